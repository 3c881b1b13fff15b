batch --no-timing -o tests/golden/.tmp/in.jsonl tests/golden/.tmp/in.jsonl
