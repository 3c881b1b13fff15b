test tests/golden/test/pass.cases --rules tests/golden/.tmp/chain.rules
