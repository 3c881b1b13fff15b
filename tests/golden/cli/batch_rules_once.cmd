batch --no-timing --rules-once --rules tests/golden/cli/rules/batch.rules tests/golden/cli/mixed.jsonl
