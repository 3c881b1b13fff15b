diff --old tests/golden/test/tiny.rules --new tests/golden/test/tiny.rules /dev/zero
