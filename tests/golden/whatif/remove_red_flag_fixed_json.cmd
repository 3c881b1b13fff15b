what-if --format json red_flags!=step1_failure examples/profiles/step1_failure.json
