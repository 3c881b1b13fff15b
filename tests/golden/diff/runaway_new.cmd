diff tests/golden/diff/derm.json --old tests/golden/diff/old.rules --new tests/golden/diff/loop.rules
