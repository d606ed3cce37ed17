"""The REST API under /api/v1: FastAPI routers over the same use cases the CLI calls."""
