tests/golden/cli/ok.json
