test tests/golden/test/broken_first.cases --rules tests/golden/test/broken_first.rules
