test tests/golden/.tmp/fifo.cases --rules tests/golden/test/tiny.rules
