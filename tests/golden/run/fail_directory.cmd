examples/profiles
