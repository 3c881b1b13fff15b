batch --jobs -3 tests/golden/cli/mixed.jsonl
