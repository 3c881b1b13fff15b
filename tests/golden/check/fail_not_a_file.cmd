check tests/golden/check/fail_not_a_file.d
