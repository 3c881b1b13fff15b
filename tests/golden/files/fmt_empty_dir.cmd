fmt tests/golden/.tmp/norules
