diff tests/golden/.tmp/inj --old tests/golden/diff/old.rules --new tests/golden/diff/new.rules
