tests/golden/cli/unknown_fields.json
