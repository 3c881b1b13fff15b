check --format json tests/golden/check/fail_unknown_name.rules
