run --rules tests/golden/.tmp/chain.rules examples/profiles/example.json
