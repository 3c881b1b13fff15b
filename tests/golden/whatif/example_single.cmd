what-if strategy=single examples/profiles/example.json
