"""The HTTP API (API.md): routes, authentication, tenant isolation."""
