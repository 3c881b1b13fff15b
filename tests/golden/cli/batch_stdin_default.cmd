batch --no-timing --rules tests/golden/cli/rules/batch.rules
