batch --no-timing tests/golden/cli/mixed.jsonl
