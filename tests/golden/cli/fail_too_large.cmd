tests/golden/.tmp/big.json
