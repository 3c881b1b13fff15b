examples/profiles/exmaple.json
