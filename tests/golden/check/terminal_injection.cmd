check tests/golden/.tmp/inj
