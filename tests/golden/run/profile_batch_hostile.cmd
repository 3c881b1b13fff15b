batch --no-timing tests/golden/.tmp/hostile.jsonl
