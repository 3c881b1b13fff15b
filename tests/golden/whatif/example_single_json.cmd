what-if --format json strategy=single examples/profiles/example.json
