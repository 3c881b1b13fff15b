tests/golden/cli/unknown_enum.json
