batch tests/golden/cli
