what-if --catalog examples/catalog/programs.csv program=0804890002:reach examples/profiles/example.json
