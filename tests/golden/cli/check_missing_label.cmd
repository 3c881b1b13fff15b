check --no-analysis --kb tests/golden/.tmp/kb rules/
