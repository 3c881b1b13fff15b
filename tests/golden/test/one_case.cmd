test tests/golden/test/fail.cases:21 --rules tests/golden/test/tiny.rules
