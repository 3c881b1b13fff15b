list --csv --catalog tests/cases/program_list/catalog.csv tests/cases/program_list/applicant.json
