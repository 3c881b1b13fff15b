test tests/golden/test/fail_profile_paths.cases --rules tests/golden/test/tiny.rules
