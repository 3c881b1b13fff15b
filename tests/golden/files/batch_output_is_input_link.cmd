batch --no-timing -o tests/golden/.tmp/link.jsonl tests/golden/.tmp/in.jsonl
