"""Jinja templates of the exported code (data, not code of the playground)."""
