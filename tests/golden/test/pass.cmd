test tests/golden/test/pass.cases --rules tests/golden/test/tiny.rules
