tests/golden/cli/no_such_profile.json
