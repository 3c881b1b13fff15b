fmt tests/golden/.tmp/f.rules
