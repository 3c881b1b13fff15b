batch --no-timing tests/golden/.tmp/big.jsonl
