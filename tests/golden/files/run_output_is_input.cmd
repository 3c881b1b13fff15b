run -o tests/golden/.tmp/p.json tests/golden/.tmp/p.json
