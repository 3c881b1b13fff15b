test tests/golden/test/no_such.cases --rules tests/golden/test/tiny.rules
