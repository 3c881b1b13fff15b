tests/golden/cli/wrong_types.json
