test tests/golden/test/fail_syntax.cases --rules tests/golden/test/tiny.rules
