"""Post-mortem drafts: the seeds' outlines and the sandboxed Jinja2 renderer."""
