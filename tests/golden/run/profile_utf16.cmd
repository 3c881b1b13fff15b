tests/golden/run/profile_utf16.json
