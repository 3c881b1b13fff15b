fmt tests/golden/.tmp/hl.rules
