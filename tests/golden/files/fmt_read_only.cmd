fmt tests/golden/.tmp/ro.rules
