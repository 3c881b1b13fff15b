what-if strategy=singel examples/profiles/example.json
