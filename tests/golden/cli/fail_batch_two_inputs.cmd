batch a.jsonl b.jsonl
