test tests/golden/test/catalog_warning/suite.cases
