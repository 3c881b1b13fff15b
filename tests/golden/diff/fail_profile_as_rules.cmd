diff tests/golden/diff/derm.json --old tests/golden/diff/derm.json --new tests/golden/diff/new.rules
