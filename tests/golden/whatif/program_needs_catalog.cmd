what-if program=0804890002 examples/profiles/example.json
