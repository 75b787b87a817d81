"""FastAPI adapters: the OCPI routers per version and role, and the admin API."""
