tests/golden/.tmp/nul.bin
