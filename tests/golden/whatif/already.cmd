what-if strategy=dual examples/profiles/example.json
