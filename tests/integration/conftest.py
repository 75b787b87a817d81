"""Fixtures for in-process integration tests: nodes on SQLite and PostgreSQL, wired by a host router."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from laddhub.api.app import create_app
from laddhub.config import Settings
from tests.support.asgi import HostRouter, running
from tests.support.databases import BACKENDS, database_url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class Node:
    name: str
    base_url: str
    app: FastAPI
    settings: Settings
    client: httpx.AsyncClient

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}

    @property
    def node(self) -> Any:
        return self.app.state.node


@dataclass
class Network:
    router: HostRouter
    make: Callable[..., Node]


@pytest.fixture
def network(backend: str, tmp_path: Path) -> Any:
    """A factory of nodes sharing one in-process network, each with its own database of `backend`."""
    from contextlib import ExitStack

    router = HostRouter()
    stack = ExitStack()

    def make(name: str, roles: str, **settings: Any) -> Node:
        url = stack.enter_context(database_url(backend, tmp_path))
        base = f"http://{name}.test"
        config = Settings(
            database_url=url, public_url=base, roles=roles, business_name=name.upper(), **settings
        )
        http = httpx.AsyncClient(transport=router, timeout=5)
        app = create_app(config, http=http)
        router.add(f"{name}.test", app)
        return Node(name, base, app, config, httpx.AsyncClient(transport=router, base_url=base))

    yield Network(router, make)
    stack.close()


@pytest.fixture
async def cpo_emsp(network: Network) -> AsyncIterator[tuple[Node, Node]]:
    cpo = network.make("cpo", "CPO:NL:CPO")
    emsp = network.make("emsp", "EMSP:NL:MSP")
    async with running(cpo.app, emsp.app):
        yield cpo, emsp
