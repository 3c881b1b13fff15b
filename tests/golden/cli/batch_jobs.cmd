batch --no-timing --jobs 2 --rules tests/golden/cli/rules/batch.rules tests/golden/cli/mixed.jsonl
