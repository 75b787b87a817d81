"""Make OCPI clients for calling partners, sharing one HTTP connection pool."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from laddhub.ocpi.client import OcpiClient

ClientFactory = Callable[[str, str], OcpiClient]
"""(token, version) -> a client that calls a partner with that token in that version."""


def client_factory(http: httpx.AsyncClient) -> ClientFactory:
    def make(token: str, version: str) -> OcpiClient:
        return OcpiClient(http, token=token, version=version)

    return make
