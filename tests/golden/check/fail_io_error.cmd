check tests/golden/check/no_such_file.rules
