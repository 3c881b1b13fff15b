what-if --format json --catalog examples/catalog/programs.csv program=0803590001 examples/profiles/example.json
