"""The HTTP API: one FastAPI app, every route behind a permission unless explicitly public."""
