what-if --catalog examples/catalog/programs.csv program=0804890003 examples/profiles/example.json
