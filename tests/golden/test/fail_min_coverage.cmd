test tests/golden/test/partial.cases --rules tests/golden/test/tiny.rules --coverage --min-coverage 100
