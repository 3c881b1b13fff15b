diff tests/golden/diff/derm.json tests/golden/diff/ortho.json --old tests/golden/diff/old.rules --new tests/golden/diff/new.rules --format json
