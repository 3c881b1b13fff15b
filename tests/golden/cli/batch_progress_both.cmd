batch --progress --no-progress examples/profiles/example.json
