"""API routers, a few lines each: parse, authorize, call a use case, shape the answer."""
