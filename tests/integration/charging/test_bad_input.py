"""Bad input on the charging endpoints: 401, 400, 2001, 404; a rejected request changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from laddhub.store.charging_records import ChargerRequestRecord, SessionSmartChargingRecord
from laddhub.store.tables import OutboxRecord
from tests.integration.charging.harness import ADMIN, OTH_TOKEN, ChargingWorld, charging_world, start_body

ENDPOINTS = [
    ("POST", "/ocpi/2.2.1/cpo/commands/START_SESSION"),
    ("PUT", "/ocpi/2.2.1/cpo/chargingprofiles/S1"),
    ("PUT", "/ocpi/2.2.1/cpo/sessions/S1/charging_preferences"),
]


async def counts(world: ChargingWorld) -> tuple[int, ...]:
    async with world.uow() as work:
        result = []
        for table in (ChargerRequestRecord, OutboxRecord, SessionSmartChargingRecord):
            result.append(
                int((await work.session.execute(select(func.count()).select_from(table))).scalar_one())
            )
        return tuple(result)


@pytest.fixture
async def world(backend: str, tmp_path: Path) -> AsyncIterator[ChargingWorld]:
    async with charging_world(backend, tmp_path) as built:
        yield built


async def test_an_unknown_token_is_401_and_a_missing_one_too(world: ChargingWorld) -> None:
    before = await counts(world)
    for method, path in ENDPOINTS:
        unknown = await world.client.request(method, path, json={}, headers=world.auth("who-is-this"))
        assert unknown.status_code == 401, path
        assert unknown.json()["status_code"] == 2000
        missing = await world.client.request(method, path, json={})
        assert missing.status_code == 401, path
    assert await counts(world) == before


async def test_malformed_json_is_400(world: ChargingWorld) -> None:
    before = await counts(world)
    for method, path in ENDPOINTS:
        response = await world.client.request(
            method,
            path,
            content=b'{"response_url": ',
            headers={**world.auth(), "Content-Type": "application/json"},
        )
        assert response.status_code == 400, path
    assert await counts(world) == before


async def test_invalid_bodies_are_2001_naming_the_field(world: ChargingWorld) -> None:
    before = await counts(world)
    without_url = {k: v for k, v in start_body().items() if k != "response_url"}
    reply = await world.command("START_SESSION", without_url)
    assert reply["status_code"] == 2001 and "response_url" in reply["status_message"]
    connector_without_evse = start_body(None, connector_id="1")
    reply = await world.command("START_SESSION", connector_without_evse)
    assert reply["status_code"] == 2001 and "evse_uid" in reply["status_message"]
    reply = await world.command("STOP_SESSION", ["not", "an", "object"])  # type: ignore[arg-type]
    assert reply["status_code"] == 2001
    reply = await world.command(
        "RESERVE_NOW", {**start_body(), "expiry_date": "tomorrow", "reservation_id": "1"}
    )
    assert reply["status_code"] == 2001 and "expiry_date" in reply["status_message"]
    assert await counts(world) == before


async def test_an_unknown_command_is_404_and_trailing_slashes_are_fine(world: ChargingWorld) -> None:
    response = await world.ocpi("POST", "/ocpi/2.2.1/cpo/commands/SELF_DESTRUCT", start_body())
    assert response.status_code == 404 and response.json()["status_code"] == 2000
    slashed = await world.ocpi("POST", "/ocpi/2.2.1/cpo/commands/START_SESSION/", start_body())
    assert slashed.json()["data"]["result"] == "ACCEPTED"
    lower = await world.ocpi("POST", "/ocpi/2.2.1/cpo/commands/start_session", start_body(ref="2"))
    assert lower.json()["data"]["result"] == "ACCEPTED"


async def test_a_partner_cannot_see_or_steer_another_partners_sessions(world: ChargingWorld) -> None:
    await world.admin("POST", "LOC1/E1/plug-in")
    await world.command("START_SESSION", start_body())
    await world.settle()
    [session] = await world.sessions()
    before = await counts(world)
    preferences = await world.ocpi(
        "PUT",
        f"/ocpi/2.2.1/cpo/sessions/{session.id}/charging_preferences",
        {"profile_type": "FAST"},
        secret=OTH_TOKEN,
    )
    assert preferences.status_code == 404
    listed = await world.ocpi(
        "GET", "/ocpi/2.2.1/cpo/sessions", secret=OTH_TOKEN, date_from="2026-01-01T00:00:00Z"
    )
    assert listed.json()["data"] == []
    mine = await world.ocpi("GET", "/ocpi/2.2.1/cpo/sessions", date_from="2026-01-01T00:00:00Z")
    assert [s["id"] for s in mine.json()["data"]] == [session.id]
    assert await counts(world) == before


async def test_the_admin_api_needs_its_token_and_knows_only_our_evses(world: ChargingWorld) -> None:
    denied = await world.client.post("/admin/chargers/LOC1/E1/plug-in")
    assert denied.status_code == 401
    wrong = await world.client.post(
        "/admin/chargers/LOC1/E1/plug-in", headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
    assert (await world.admin("POST", "NOWHERE/E1/plug-in")).status_code == 404
    assert (await world.admin("POST", "LOC1/E9/plug-in")).status_code == 404
    assert (await world.admin("POST", "LOC1/E1/unplug")).status_code == 409
    assert (await world.admin("POST", "LOC1/E1/plug-in", {"energy_kwh": -1})).status_code == 400
    assert (await world.admin("POST", "LOC1/E1/authorize", {"type": "RFID"})).status_code == 400
    response = await world.client.get("/admin/chargers/LOC1/E1", headers=ADMIN)
    assert response.json()["phase"] == "IDLE"
