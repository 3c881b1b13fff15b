diff tests/golden/diff/old.rules tests/golden/diff/derm.json
