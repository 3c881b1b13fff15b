what-if strategy=single examples/profiles/low_nbme_before_step2.json
