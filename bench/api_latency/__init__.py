"""API latency benchmark: see README.md."""
