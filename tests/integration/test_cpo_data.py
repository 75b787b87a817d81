"""Our Locations, EVSEs, Connectors and Tariffs: stamps, pushes, visibility and rejected changes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from laddhub.ocpi.status import InvalidParameters, NotFound
from laddhub.services import cpo_files, cpo_locations, cpo_tariffs
from laddhub.services.cpo_data import Outcome
from laddhub.services.cpo_locations import LocationRef
from laddhub.services.cpo_tariffs import TariffRef
from laddhub.store.uow import UnitOfWorkFactory
from tests.integration.cpo_fixtures import (
    NOW,
    OURS,
    add_token,
    clear_outbox,
    cpo_store,
    our_location,
    our_tariff,
    pushes,
    wipe,
)
from tests.support.databases import BACKENDS
from tests.unit.ocpi import builders

LATER = NOW + timedelta(minutes=5)
LATER_TEXT = "2026-11-24T12:05:00Z"
NOW_TEXT = "2026-11-24T12:00:00Z"
LOC1 = LocationRef("loc1")


# One migrated database per backend for the module, emptied before each test.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
async def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[UnitOfWorkFactory]:
    async with cpo_store(str(request.param), tmp_path_factory.mktemp("cpo-data")) as factory:
        yield factory


@pytest_asyncio.fixture(loop_scope="module")
async def uow(store: UnitOfWorkFactory) -> UnitOfWorkFactory:
    await wipe(store)
    return store


async def stored(factory: UnitOfWorkFactory, location_id: str = "LOC1") -> dict[str, Any]:
    async with factory() as work:
        record = await work.locations.get("NL", "LAD", location_id)
    assert record is not None
    document: dict[str, Any] = json.loads(record.document)
    return document


async def create(factory: UnitOfWorkFactory, payload: dict[str, Any] | None = None) -> None:
    async with factory() as work:
        saved = await cpo_locations.put_location(work, OURS, payload or our_location(), now=NOW)
        assert saved.outcome is Outcome.CREATED
        await work.commit()
    await clear_outbox(factory)


async def test_a_new_location_is_stamped_at_every_level_and_put_to_every_emsp(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        saved = await cpo_locations.put_location(work, OURS, our_location(), now=NOW)
        await work.commit()
    document = await stored(uow)
    assert saved.warnings == ("tariff_ids: no Tariff 'T1' exists (yet)",)
    assert document["last_updated"] == NOW_TEXT
    assert {e["last_updated"] for e in document["evses"]} == {NOW_TEXT}
    assert [(p.partner, p.method, p.path) for p in await pushes(uow)] == [
        ("msp-a", "PUT", "/NL/LAD/LOC1"),
        ("msp-b", "PUT", "/NL/LAD/LOC1"),
    ]
    assert (await pushes(uow))[0].payload == document


async def test_putting_the_same_location_again_changes_and_pushes_nothing(uow: UnitOfWorkFactory) -> None:
    await create(uow)
    async with uow() as work:
        saved = await cpo_locations.put_location(work, OURS, our_location(), now=LATER)
        await work.commit()
    assert saved.outcome is Outcome.UNCHANGED
    assert (await stored(uow))["last_updated"] == NOW_TEXT
    assert await pushes(uow) == []


async def test_a_status_change_is_one_evse_patch_and_moves_the_location_stamp(uow: UnitOfWorkFactory) -> None:
    await create(uow)
    async with uow() as work:
        saved = await cpo_locations.set_evse_status(work, OURS, LOC1, "e1", "charging", now=LATER)
        await work.commit()
    document = await stored(uow)
    e1, e2 = document["evses"]
    assert (saved.outcome, e1["status"], e1["last_updated"]) == (Outcome.UPDATED, "CHARGING", LATER_TEXT)
    assert (e2["last_updated"], e1["connectors"][0]["last_updated"]) == (NOW_TEXT, NOW_TEXT)
    assert document["last_updated"] == LATER_TEXT
    assert [(p.method, p.path, p.payload) for p in await pushes(uow) if p.partner == "msp-a"] == [
        ("PATCH", "/NL/LAD/LOC1/E1", {"status": "CHARGING", "last_updated": LATER_TEXT})
    ]


async def test_a_connector_patch_moves_the_evse_and_location_stamps(uow: UnitOfWorkFactory) -> None:
    await create(uow)
    async with uow() as work:
        await cpo_locations.patch_connector(work, OURS, LOC1, "E2", "1", {"max_amperage": 32}, now=LATER)
        await work.commit()
    document = await stored(uow)
    e2 = document["evses"][1]
    assert (document["last_updated"], e2["last_updated"], e2["connectors"][0]["last_updated"]) == (
        LATER_TEXT,
        LATER_TEXT,
        LATER_TEXT,
    )
    assert document["evses"][0]["last_updated"] == NOW_TEXT
    assert [(p.method, p.path, p.payload) for p in await pushes(uow) if p.partner == "msp-b"] == [
        ("PATCH", "/NL/LAD/LOC1/E2/1", {"max_amperage": 32, "last_updated": LATER_TEXT})
    ]


async def test_an_evse_left_out_of_a_location_put_is_kept_as_removed(uow: UnitOfWorkFactory) -> None:
    await create(uow)
    payload = our_location()
    payload["evses"] = payload["evses"][:1]
    async with uow() as work:
        await cpo_locations.put_location(work, OURS, payload, now=LATER)
        await work.commit()
    document = await stored(uow)
    assert [(e["uid"], e["status"]) for e in document["evses"]] == [("E1", "AVAILABLE"), ("E2", "REMOVED")]
    assert document["evses"][0]["last_updated"] == NOW_TEXT


async def test_removing_a_location_marks_every_evse_removed(uow: UnitOfWorkFactory) -> None:
    await create(uow)
    async with uow() as work:
        await cpo_locations.remove_location(work, OURS, LOC1, now=LATER)
        await work.commit()
    assert {e["status"] for e in (await stored(uow))["evses"]} == {"REMOVED"}
    assert {p.method for p in await pushes(uow)} == {"PUT"}


async def test_new_evse_and_connector_are_put_under_their_location(uow: UnitOfWorkFactory) -> None:
    await create(uow)
    evse = builders.evse(uid="E3", connectors=[builders.connector(id="1")])
    async with uow() as work:
        created = await cpo_locations.put_evse(work, OURS, LOC1, "E3", evse, now=LATER)
        connector = await cpo_locations.put_connector(
            work, OURS, LOC1, "E3", "2", builders.connector(id="2"), now=LATER
        )
        await work.commit()
    assert (created.outcome, connector.outcome) == (Outcome.CREATED, Outcome.CREATED)
    assert [e["uid"] for e in (await stored(uow))["evses"]] == ["E1", "E2", "E3"]
    assert [(p.method, p.path) for p in await pushes(uow) if p.partner == "msp-a"] == [
        ("PUT", "/NL/LAD/LOC1/E3"),
        ("PUT", "/NL/LAD/LOC1/E3/2"),
    ]


async def test_an_unpublished_location_goes_only_to_owners_of_matching_tokens(uow: UnitOfWorkFactory) -> None:
    await add_token(uow, "msp-a", country_code="NL", party_id="AAA", uid="CARD-1", group_id="FLEET")
    await add_token(uow, "msp-b", country_code="NL", party_id="BBB", uid="CARD-2", group_id="OTHER")
    private = our_location("PRIV", publish=False, publish_allowed_to=[{"group_id": "fleet"}])
    nobody = our_location("NONE", publish=False, publish_allowed_to=[{"uid": "CARD-9", "type": "RFID"}])
    async with uow() as work:
        await cpo_locations.put_location(work, OURS, private, now=NOW)
        await cpo_locations.put_location(work, OURS, nobody, now=NOW)
        await work.commit()
    assert [(p.partner, p.path) for p in await pushes(uow)] == [("msp-a", "/NL/LAD/PRIV")]


async def test_making_a_location_private_tells_everyone_who_had_it(uow: UnitOfWorkFactory) -> None:
    await create(uow)
    async with uow() as work:
        await cpo_locations.patch_location(
            work, OURS, LOC1, {"publish": False, "publish_allowed_to": [{"group_id": "X"}]}, now=LATER
        )
        await work.commit()
    assert [(p.partner, p.method, p.payload["publish"]) for p in await pushes(uow)] == [
        ("msp-a", "PUT", False),
        ("msp-b", "PUT", False),
    ]


async def test_a_location_patch_pushes_only_the_changed_fields(uow: UnitOfWorkFactory) -> None:
    await create(uow)
    async with uow() as work:
        await cpo_locations.patch_location(work, OURS, LOC1, {"name": "Station"}, now=LATER)
        await work.commit()
    assert {json.dumps(p.payload) for p in await pushes(uow)} == {
        json.dumps({"name": "Station", "last_updated": LATER_TEXT})
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda w: cpo_locations.put_evse(w, OURS, LOC1, "E1", builders.evse(uid="E9"), now=LATER), "uid"),
        (lambda w: cpo_locations.put_location(w, OURS, our_location(country_code="DE"), now=LATER), "party"),
        (lambda w: cpo_locations.patch_evse(w, OURS, LOC1, "E1", {"status": "NAPPING"}, now=LATER), "status"),
        (lambda w: cpo_locations.patch_location(w, OURS, LOC1, {"id": "LOC2"}, now=LATER), "id"),
        (lambda w: cpo_locations.remove_connector(w, OURS, LOC1, "E1", "1", now=LATER), "last Connector"),
        (lambda w: cpo_locations.set_evse_status(w, OURS, LOC1, "E1", "BROKEN", now=LATER), "status"),
    ],
)
async def test_a_rejected_change_names_the_field_and_changes_nothing(
    uow: UnitOfWorkFactory, change: Any, message: str
) -> None:
    await create(uow)
    before = await stored(uow)
    async with uow() as work:
        with pytest.raises(InvalidParameters, match=message):
            await change(work)
        await work.commit()
    assert await stored(uow) == before
    assert await pushes(uow) == []


async def test_unknown_locations_and_evses_are_not_found(uow: UnitOfWorkFactory) -> None:
    await create(uow)
    async with uow() as work:
        with pytest.raises(NotFound):
            await cpo_locations.set_evse_status(work, OURS, LocationRef("nope"), "E1", "CHARGING", now=LATER)
        with pytest.raises(NotFound):
            await cpo_locations.set_evse_status(work, OURS, LOC1, "E7", "CHARGING", now=LATER)


async def test_a_tariff_in_use_cannot_be_deleted_and_a_deleted_one_supersedes_its_pending_put(
    uow: UnitOfWorkFactory,
) -> None:
    await create(uow)
    async with uow() as work:
        assert (
            await cpo_tariffs.put_tariff(work, OURS, our_tariff("T1"), now=NOW)
        ).outcome is Outcome.CREATED
        await cpo_tariffs.put_tariff(work, OURS, our_tariff("T2"), now=NOW)
        await work.commit()
    async with uow() as work:
        with pytest.raises(InvalidParameters, match="LOC1/E1/1"):
            await cpo_tariffs.delete_tariff(work, OURS, TariffRef("t1"), now=LATER)
        removed = await cpo_tariffs.delete_tariff(work, OURS, TariffRef("t2"), now=LATER)
        await work.commit()
    assert removed.outcome is Outcome.REMOVED
    assert [(p.method, p.path) for p in await pushes(uow) if p.partner == "msp-a"] == [
        ("PUT", "/NL/LAD/T1"),
        ("DELETE", "/NL/LAD/T2"),
    ]
    async with uow() as work:
        assert await work.tariffs.get("NL", "LAD", "T2") is None


async def test_an_import_with_one_bad_object_imports_nothing(uow: UnitOfWorkFactory) -> None:
    good = our_location("A")
    bad = our_location("B", coordinates={"latitude": "95.000000", "longitude": "3.100000"})
    async with uow() as work:
        with pytest.raises(InvalidParameters, match=r"\[1\] B: coordinates: latitude 95.000000"):
            await cpo_files.import_locations(work, OURS, [good, bad], now=NOW)
    async with uow() as work:
        assert await work.locations.get("NL", "LAD", "A") is None
    assert await pushes(uow) == []


async def test_export_reads_back_as_an_unchanged_import(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        report = await cpo_files.import_locations(work, OURS, [our_location("A"), our_location("B")], now=NOW)
        await work.commit()
    assert (report.created, report.total) == (2, 2)
    async with uow() as work:
        exported = await cpo_files.export_locations(work)
    text = json.dumps({"data": exported, "status_code": 1000, "timestamp": NOW_TEXT})
    async with uow() as work:
        again = await cpo_files.import_locations(
            work, OURS, cpo_files.read_objects(text, "locations"), now=LATER
        )
    assert (again.unchanged, again.created, again.updated) == (2, 0, 0)
