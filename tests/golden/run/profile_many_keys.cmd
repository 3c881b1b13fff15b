tests/golden/.tmp/many_keys.json
