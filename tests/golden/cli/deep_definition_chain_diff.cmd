diff tests/golden/diff/derm.json tests/golden/diff/ortho.json --old tests/golden/.tmp/chain.rules --new tests/golden/diff/new.rules
