diff tests/golden/diff/const_old.rules tests/golden/diff/const_new.rules tests/golden/diff/derm.json tests/golden/diff/ortho.json
