what-if red_flags!=unexplained_gap examples/profiles/remediation_gap.json
