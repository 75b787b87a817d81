"""The OCPI protocol, pure: field types, status codes, envelope, paging, auth and the per-version models.

Nothing in this package touches a database or a clock it was not given; `client.py` is the one module
that performs HTTP.
"""
