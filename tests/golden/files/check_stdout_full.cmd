check tests/golden/check/fail_missing_source.rules
