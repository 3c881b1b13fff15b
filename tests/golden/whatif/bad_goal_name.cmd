what-if stratgy=single examples/profiles/example.json
