test tests/golden/test/profile_hostile.cases --rules tests/golden/test/tiny.rules
