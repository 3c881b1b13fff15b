tests/golden/run/profile_utf16be_no_bom.json
