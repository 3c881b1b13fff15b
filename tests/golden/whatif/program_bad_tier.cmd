what-if --catalog examples/catalog/programs.csv program=0804890002:reech examples/profiles/example.json
