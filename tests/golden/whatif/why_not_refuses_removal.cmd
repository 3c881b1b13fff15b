run --why-not red_flags!=step1_failure examples/profiles/step1_failure.json
