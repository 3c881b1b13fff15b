batch --explain tests/golden/cli/mixed.jsonl
