check --strict tests/golden/check/fail_conflict.rules
