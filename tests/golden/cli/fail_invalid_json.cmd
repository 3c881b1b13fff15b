tests/golden/cli/invalid.json
