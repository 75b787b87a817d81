"""The HubClientInfo Receiver: a Hub reports the parties behind it; only a Hub may."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from laddhub.ocpi.v2_2_1.sessions import Session
from laddhub.services import cpo_views
from tests.integration.cpo_fixtures import NOW, CpoWorld, Reader, connect, cpo_world, node_network
from tests.support.asgi import running
from tests.support.databases import BACKENDS
from tests.unit.ocpi import builders

URL = "/ocpi/2.2.1/hubclientinfo"


@dataclass
class HubWorld:
    world: CpoWorld
    hub: Reader


# Each test reports parties of its own, so one node network per backend serves the module.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
async def hub_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[HubWorld]:
    with node_network(str(request.param), tmp_path_factory.mktemp("cpo-hub")) as network:
        async with cpo_world(network) as world:
            hub = network.make("hub", "HUB:NL:HUB", push_enabled=False)
            async with running(hub.app):
                yield HubWorld(world, Reader(world.cpo, await connect(world.cpo, hub)))


def info(status: str, last_updated: str, **changes: Any) -> dict[str, Any]:
    payload = {
        "party_id": "XYZ",
        "country_code": "DE",
        "role": "EMSP",
        "status": status,
        "last_updated": last_updated,
    }
    return payload | changes


async def test_a_hub_reports_parties_and_only_newer_reports_replace_older_ones(hub_world: HubWorld) -> None:
    hub = hub_world.hub
    created = await hub.request("PUT", URL + "/DE/XYZ", info("CONNECTED", "2026-11-24T10:00:00Z"))
    assert (created.status_code, created.json()["status_code"]) == (201, 1000)
    assert not any(name.startswith("ocpi-") for name in created.headers)
    await hub.request("PUT", URL + "/de/xyz", info("OFFLINE", "2026-11-24T11:00:00Z"))
    stale = await hub.request("PUT", URL + "/DE/XYZ", info("CONNECTED", "2026-11-24T10:30:00Z"))
    assert (stale.status_code, stale.json()["status_code"]) == (200, 1000)
    assert (await hub.data(URL + "/DE/XYZ"))["status"] == "OFFLINE"


async def test_client_info_from_a_platform_that_is_not_a_hub_is_refused(hub_world: HubWorld) -> None:
    response = await hub_world.world.msp_a.request(
        "PUT", URL + "/DE/XYZ", info("SUSPENDED", "2026-11-24T10:00:00Z")
    )
    assert (response.status_code, response.json()["status_code"]) == (403, 2000)


async def test_a_client_info_for_another_party_than_the_url_is_2001(hub_world: HubWorld) -> None:
    body = info("CONNECTED", "2026-11-24T10:00:00Z", party_id="ABC")
    response = await hub_world.hub.request("PUT", URL + "/DE/MIS", body)
    assert response.json()["status_code"] == 2001
    assert (await hub_world.hub.get(URL + "/DE/MIS")).status_code == 404


async def test_a_hub_reads_the_sessions_of_the_parties_it_reported(hub_world: HubWorld) -> None:
    world = hub_world.world
    await hub_world.hub.request(
        "PUT", URL + "/DE/SES", info("CONNECTED", "2026-11-24T10:00:00Z", party_id="SES")
    )
    async with world.cpo.node.uow() as work:
        for session_id, party in (("S-HUB", "SES"), ("S-NOT", "QQQ")):
            session = builders.session(
                country_code="NL",
                party_id="CPO",
                id=session_id,
                cdr_token=builders.cdr_token(country_code="DE", party_id=party),
            )
            await work.sessions.upsert(Session.model_validate(session), partner_id=None, now=NOW)
        await work.commit()
        hub_partner = await work.partners.by_name("hub")
        assert hub_partner is not None
        assert ("DE", "SES") in await cpo_views.token_parties(work, hub_partner)
    data = await hub_world.hub.data("/ocpi/2.2.1/cpo/sessions?date_from=2019-01-01T00:00:00Z")
    assert [s["id"] for s in data] == ["S-HUB"]


async def test_a_hub_relays_the_tokens_of_an_emsp_behind_it(hub_world: HubWorld) -> None:
    token = builders.token(country_code="DE", party_id="REL", uid="RELAYED")
    response = await hub_world.hub.request("PUT", "/ocpi/2.2.1/cpo/tokens/DE/REL/RELAYED", token)
    assert (response.status_code, response.json()["status_code"]) == (201, 1000)
    assert (await hub_world.hub.data("/ocpi/2.2.1/cpo/tokens/de/rel/relayed"))["uid"] == "RELAYED"
