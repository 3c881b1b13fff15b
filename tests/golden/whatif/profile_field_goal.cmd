what-if step2ck=260 examples/profiles/example.json
