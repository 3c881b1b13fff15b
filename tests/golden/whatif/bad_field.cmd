what-if --actionable step2_ck strategy=single examples/profiles/example.json
