diff tests/golden/diff/derm.json --old tests/golden/diff/loop.rules --new tests/golden/diff/loop.rules
