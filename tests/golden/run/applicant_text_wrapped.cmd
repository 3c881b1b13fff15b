run --for applicant examples/profiles/low_nbme_before_step2.json
