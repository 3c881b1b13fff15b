test tests/golden/test/catalog_warning_only/suite.cases
