"""HTTP API: the FastAPI application and its routers."""
