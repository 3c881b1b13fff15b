batch tests/golden/cli/no_such.jsonl
