list --catalog tests/golden/test/catalog_warning_only/catalog.csv tests/golden/test/catalog_warning_only/applicant.json
