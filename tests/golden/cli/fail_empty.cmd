tests/golden/cli/empty.json
