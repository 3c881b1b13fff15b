test tests/golden/.tmp/cov/c.cases --rules tests/golden/.tmp/cov/rules --coverage-format json
