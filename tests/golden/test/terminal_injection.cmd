test tests/golden/.tmp/inj --rules tests/golden/test/tiny.rules
