batch --no-timing --catalog tests/cases/program_list/catalog.csv -
