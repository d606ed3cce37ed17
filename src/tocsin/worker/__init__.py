"""Background work run beside the server: health checks and SLA rules, for now."""
