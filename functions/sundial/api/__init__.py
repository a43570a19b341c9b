"""The HTTP API: routes, authentication, tenant isolation."""
