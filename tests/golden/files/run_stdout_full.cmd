run examples/profiles/example.json
