check --kb tests/golden/.tmp/kb rules/
