test --covrage
