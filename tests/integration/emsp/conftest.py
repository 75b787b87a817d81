"""An eMSP node with two CPO partners registered, in process, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio

from laddhub.api.app import create_app
from laddhub.config import Settings
from laddhub.services import handshake
from laddhub.services.identity import NodeIdentity
from laddhub.services.partner_clients import client_factory
from tests.integration.conftest import Node
from tests.support.asgi import HostRouter, running
from tests.support.databases import BACKENDS, database_url


async def connect(cpo: Node, emsp: Node) -> str:
    """Register the eMSP with the CPO (the CPO invites); return the token the CPO calls the eMSP with."""
    now = datetime.now(UTC)
    _, token_a = await handshake.invite(cpo.node.uow, emsp.name, now=now)
    await handshake.register_with(
        emsp.node.uow,
        name=cpo.name,
        versions_url=f"{cpo.base_url}/ocpi/versions",
        token_a=token_a,
        identity=NodeIdentity.from_settings(emsp.settings),
        clients=client_factory(emsp.node.http),
        now=lambda: datetime.now(UTC),
    )
    async with cpo.node.uow() as uow:
        at_cpo = await uow.partners.by_name(emsp.name)
    assert at_cpo is not None and at_cpo.outgoing_token
    return at_cpo.outgoing_token


@dataclass
class Pusher:
    """A CPO partner of the eMSP, calling the eMSP's Receiver interfaces with its token."""

    emsp: Node
    token: str

    async def request(self, method: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
        return await self.emsp.client.request(
            method,
            "/ocpi/2.2.1/emsp" + path,
            json=body,
            headers={**self.emsp.auth(self.token), **headers},
        )

    async def put(self, path: str, body: Any) -> httpx.Response:
        return await self.request("PUT", path, body)

    async def patch(self, path: str, body: Any) -> httpx.Response:
        return await self.request("PATCH", path, body)

    async def get(self, path: str) -> httpx.Response:
        return await self.request("GET", path)

    async def data(self, path: str) -> Any:
        response = await self.get(path)
        assert response.status_code == 200, response.text
        assert response.json()["status_code"] == 1000, response.text
        return response.json()["data"]


@dataclass
class Receivers:
    emsp: Node
    cpo: Pusher
    other: Pusher


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
async def receivers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Receivers]:
    """The eMSP NL/MSP with CPO NL/CPO and a second CPO NL/OTH registered, shared by a test module.

    Building three nodes and two registrations per test would dominate the run time (on PostgreSQL each
    node creates and drops a database), so a module shares them and its tests use objects of their own
    (`unique`).
    """
    backend = str(request.param)
    directory = tmp_path_factory.mktemp(f"receivers-{backend}")
    router = HostRouter()
    with ExitStack() as stack:

        def make(name: str, roles: str) -> Node:
            url = stack.enter_context(database_url(backend, directory))
            base = f"http://{name}.test"
            settings = Settings(
                database_url=url, public_url=base, roles=roles, business_name=name.upper(), push_enabled=False
            )
            app = create_app(settings, http=httpx.AsyncClient(transport=router, timeout=5))
            router.add(f"{name}.test", app)
            return Node(name, base, app, settings, httpx.AsyncClient(transport=router, base_url=base))

        cpo, other, emsp = make("cpo", "CPO:NL:CPO"), make("other", "CPO:NL:OTH"), make("emsp", "EMSP:NL:MSP")
        async with running(cpo.app, other.app, emsp.app):
            yield Receivers(
                emsp, Pusher(emsp, await connect(cpo, emsp)), Pusher(emsp, await connect(other, emsp))
            )


@pytest.fixture
def unique() -> str:
    """An object id no other test of the module uses."""
    return "X" + uuid.uuid4().hex[:10].upper()
