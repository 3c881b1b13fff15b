check --format json tests/golden/check/fail_conflict.rules
