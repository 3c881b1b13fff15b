tests/golden/cli/duplicate.json
