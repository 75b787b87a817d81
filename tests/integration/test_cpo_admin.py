"""The admin API through the real app: auth, CRUD of our CPO data, imports, reads, and clean errors.

Every test works on objects of its own ids, so one node network per backend serves the module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from laddhub.store.tables import OutboxRecord
from tests.integration.cpo_fixtures import (
    CpoWorld,
    add_token,
    cpo_world,
    node_network,
    our_location,
    our_tariff,
)
from tests.support.databases import BACKENDS
from tests.unit.ocpi import builders

pytestmark = pytest.mark.asyncio(loop_scope="module")

ADMIN_TOKEN = "admin-secret-for-tests"


class Admin:
    def __init__(self, world: CpoWorld) -> None:
        self.world = world
        self.client = world.cpo.client

    async def call(
        self, method: str, path: str, body: Any = None, token: str | None = ADMIN_TOKEN
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if isinstance(body, bytes):
            return await self.client.request(method, "/admin" + path, content=body, headers=headers)
        return await self.client.request(method, "/admin" + path, json=body, headers=headers)


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
async def admin(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Admin]:
    with node_network(str(request.param), tmp_path_factory.mktemp("cpo-admin")) as network:
        async with cpo_world(network, admin_token=ADMIN_TOKEN) as world:
            yield Admin(world)


def location(location_id: str, **changes: Any) -> dict[str, Any]:
    payload = our_location(location_id, **changes)
    del payload["country_code"], payload["party_id"]
    return payload


async def outbox_size(admin: Admin) -> int:
    async with admin.world.cpo.node.uow() as work:
        return int((await work.session.execute(select(func.count()).select_from(OutboxRecord))).scalar_one())


async def test_without_or_with_a_wrong_admin_token_everything_is_refused(admin: Admin) -> None:
    for token in (None, "guess"):
        response = await admin.call("GET", "/locations", token=token)
        assert response.status_code == 401
        assert response.json()["status_code"] == 2000


async def test_a_location_is_created_read_listed_and_not_created_twice(admin: Admin) -> None:
    created = await admin.call("POST", "/locations", location("ADM-1"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["outcome"], body["data"]["country_code"], body["data"]["party_id"]) == (
        "CREATED",
        "NL",
        "CPO",
    )
    assert body["warnings"] == ["tariff_ids: no Tariff 'T1' exists (yet)"]
    assert (await admin.call("GET", "/locations/adm-1")).json()["id"] == "ADM-1"
    again = await admin.call("POST", "/locations", location("ADM-1"))
    assert (again.status_code, again.json()["status_code"]) == (409, 2001)
    listed = (await admin.call("GET", "/locations?limit=1000")).json()
    assert "ADM-1" in [item["id"] for item in listed["items"]]


async def test_an_evse_status_change_is_one_call_and_reaches_the_outbox(admin: Admin) -> None:
    await admin.call("PUT", "/locations/ADM-2", location("ADM-2"))
    before = await outbox_size(admin)
    response = await admin.call("PUT", "/locations/ADM-2/evses/E1/status", {"status": "charging"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] == "CHARGING"
    assert await outbox_size(admin) == before + 2
    evse = (await admin.call("GET", "/locations/ADM-2/evses/e1")).json()
    assert evse["status"] == "CHARGING"


async def test_evse_and_connector_endpoints_change_and_remove(admin: Admin) -> None:
    await admin.call("PUT", "/locations/ADM-3", location("ADM-3"))
    patched = await admin.call("PATCH", "/locations/ADM-3/evses/E2", {"floor_level": "-1"})
    assert patched.json()["data"]["floor_level"] == "-1"
    connector = builders.connector(id="2", standard="CHADEMO", power_type="DC")
    assert (await admin.call("PUT", "/locations/ADM-3/evses/E2/connectors/2", connector)).status_code == 201
    read = await admin.call("GET", "/locations/ADM-3/evses/E2/connectors/2")
    assert read.json()["standard"] == "CHADEMO"
    assert (await admin.call("DELETE", "/locations/ADM-3/evses/E2/connectors/2")).status_code == 200
    removed = await admin.call("DELETE", "/locations/ADM-3/evses/E1")
    assert removed.json()["data"]["status"] == "REMOVED"
    retired = await admin.call("DELETE", "/locations/ADM-3")
    assert {e["status"] for e in retired.json()["data"]["evses"]} == {"REMOVED"}


@pytest.mark.parametrize(
    ("method", "path", "body", "http_status", "field"),
    [
        ("PUT", "/locations/ADM-4", location("ADM-4", city=None), 400, "city"),
        ("PUT", "/locations/ADM-4", location("OTHER"), 400, "id"),
        ("PATCH", "/locations/ADM-4", {"coordinates": {"latitude": "x"}}, 400, "coordinates.latitude"),
        ("PATCH", "/locations/ADM-4/evses/E1", {"status": "BROKEN"}, 400, "status"),
        ("PUT", "/locations/ADM-4/evses/E1/status", {}, 400, "status"),
        ("PUT", "/locations/ADM-4/evses/E1", b"{not json", 400, "JSON"),
        ("PATCH", "/locations/ADM-4/evses/E9", {"floor_level": "1"}, 404, "E9"),
        ("DELETE", "/locations/ADM-4/evses/E1/connectors/1", None, 400, "last Connector"),
        ("GET", "/locations?limit=0", None, 400, "limit"),
        ("GET", "/sessions?date_from=yesterday", None, 400, "date_from"),
    ],
)
async def test_a_rejected_request_names_the_problem_and_changes_nothing(
    admin: Admin, method: str, path: str, body: Any, http_status: int, field: str
) -> None:
    await admin.call("PUT", "/locations/ADM-4", location("ADM-4"))
    before = (await admin.call("GET", "/locations/ADM-4")).json()
    response = await admin.call(method, path, body)
    assert response.status_code == http_status, response.text
    assert field in response.json()["status_message"]
    assert (await admin.call("GET", "/locations/ADM-4")).json() == before


async def test_tariffs_are_managed_and_one_in_use_is_not_deleted(admin: Admin) -> None:
    tariff = our_tariff("ADM-T")
    del tariff["country_code"], tariff["party_id"]
    assert (await admin.call("POST", "/tariffs", tariff)).status_code == 201
    assert (await admin.call("PUT", "/tariffs/ADM-T", tariff)).json()["outcome"] == "UNCHANGED"
    user = location("ADM-5")
    user["evses"][0]["connectors"][0]["tariff_ids"] = ["adm-t"]
    assert (await admin.call("PUT", "/locations/ADM-5", user)).json()["warnings"] == [
        "tariff_ids: no Tariff 'T1' exists (yet)"
    ]
    refused = await admin.call("DELETE", "/tariffs/ADM-T")
    assert refused.status_code == 400
    assert "ADM-5/E1/1" in refused.json()["status_message"]
    assert (await admin.call("GET", "/tariffs/adm-t")).json()["id"] == "ADM-T"


async def test_an_import_is_all_or_nothing_and_exports_read_back(admin: Admin) -> None:
    bad = location("IMP-2", coordinates={"latitude": "91.000000", "longitude": "4.000000"})
    refused = await admin.call("POST", "/import/locations", [location("IMP-1"), bad])
    assert refused.status_code == 400
    assert "[1] IMP-2: coordinates" in refused.json()["status_message"]
    assert (await admin.call("GET", "/locations/IMP-1")).status_code == 404
    envelope = {
        "data": [location("IMP-1"), location("IMP-3")],
        "status_code": 1000,
        "timestamp": "2026-11-24T12:00:00Z",
    }
    report = (await admin.call("POST", "/import/locations", envelope)).json()
    assert (report["created"], report["updated"], report["unchanged"]) == (2, 0, 0)
    exported = (await admin.call("GET", "/export/locations")).json()
    assert {"IMP-1", "IMP-3"} <= {item["id"] for item in exported}


async def test_partners_tokens_sessions_and_cdrs_are_readable(admin: Admin) -> None:
    partners = (await admin.call("GET", "/partners")).json()
    assert [(p["name"], p["roles"][0]["party_id"]) for p in partners] == [("msp-a", "AAA"), ("msp-b", "BBB")]
    msp_a = partners[0]["id"]
    assert (await admin.call("GET", f"/partners/{msp_a}")).json()["status"] == "REGISTERED"
    assert (await admin.call("GET", "/partners/999")).status_code == 404
    await add_token(admin.world.cpo.node.uow, "msp-a", country_code="NL", party_id="AAA", uid="ADM-TOKEN")
    tokens = (await admin.call("GET", f"/tokens?partner_id={msp_a}")).json()
    assert [t["uid"] for t in tokens["items"]] == ["ADM-TOKEN"]
    sessions = (await admin.call("GET", "/sessions?token_country_code=NL&token_party_id=AAA")).json()
    assert (sessions["total"], sessions["limit"]) == (0, 100)
    assert (await admin.call("GET", "/cdrs")).json()["items"] == []


async def test_the_admin_api_is_in_the_openapi_schema_with_its_bearer_scheme(admin: Admin) -> None:
    schema = (await admin.client.get("/openapi.json")).json()
    assert "/admin/locations/{location_id}/evses/{evse_uid}/status" in schema["paths"]
    assert schema["components"]["securitySchemes"]["AdminToken"]["scheme"] == "bearer"


@pytest.mark.parametrize(
    "path",
    [
        f"/tokens?offset={2**63}",
        f"/locations?limit=10&offset={10**30}",
        f"/sessions?partner_id={2**70}",
        f"/partners/{2**64}",
    ],
)
async def test_integers_no_database_can_hold_are_refused_cleanly(admin: Admin, path: str) -> None:
    response = await admin.call("GET", path)
    assert 400 <= response.status_code < 500, response.text
    assert "3000" not in response.text
