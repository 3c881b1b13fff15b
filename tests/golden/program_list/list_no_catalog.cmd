list tests/cases/program_list/applicant.json
