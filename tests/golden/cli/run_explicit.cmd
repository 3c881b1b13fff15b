run tests/golden/cli/ok.json
