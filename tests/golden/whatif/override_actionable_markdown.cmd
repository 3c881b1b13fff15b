what-if --format markdown --actionable step2ck strategy=single examples/profiles/example.json
