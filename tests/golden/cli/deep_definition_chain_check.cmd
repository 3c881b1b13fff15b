check tests/golden/.tmp/chain.rules
