test tests/golden/test/fail.cases --rules tests/golden/test/tiny.rules --coverage --coverage-format json
