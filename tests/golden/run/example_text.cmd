examples/profiles/example.json
