fmt tests/golden/files/nope.rules
