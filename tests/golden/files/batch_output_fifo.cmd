batch --no-timing -o tests/golden/.tmp/out.fifo tests/golden/cli/mixed.jsonl
