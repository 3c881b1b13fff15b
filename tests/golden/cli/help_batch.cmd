batch --help
