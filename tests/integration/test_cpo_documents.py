"""The document repositories: case-insensitive keys, upserts and filtered pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from laddhub.ocpi.v2_2_1.cdrs import CDR
from laddhub.ocpi.v2_2_1.locations import Location
from laddhub.ocpi.v2_2_1.sessions import Session
from laddhub.ocpi.v2_2_1.tokens import Token
from laddhub.store.documents import ANY_OWNER, PageQuery
from laddhub.store.uow import UnitOfWorkFactory
from tests.integration.cpo_fixtures import cpo_store, wipe
from tests.support.databases import BACKENDS
from tests.unit.ocpi import builders

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


# One migrated database per backend for the module, emptied before each test.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
async def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[UnitOfWorkFactory]:
    async with cpo_store(str(request.param), tmp_path_factory.mktemp("cpo-documents")) as factory:
        yield factory


@pytest_asyncio.fixture(loop_scope="module")
async def uow(store: UnitOfWorkFactory) -> UnitOfWorkFactory:
    await wipe(store)
    return store


def stamp(minutes: int) -> str:
    return (NOW + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def location(index: int, **changes: object) -> Location:
    return Location.model_validate(
        builders.location(country_code="NL", party_id="LAD", id=f"Loc{index}", last_updated=stamp(index))
        | changes
    )


async def test_lookup_ignores_the_case_of_ids_and_keeps_the_written_case(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await work.locations.upsert(location(1), partner_id=None, now=NOW)
        await work.commit()
    async with uow() as work:
        record = await work.locations.get("nl", "lad", "LOC1")
        assert record is not None
        assert record.object_id == "Loc1"
        assert json.loads(record.document)["id"] == "Loc1"
        assert work.locations.parse(record) == location(1)


async def test_upsert_replaces_the_document_and_keeps_the_creation_time(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await work.locations.upsert(location(1), partner_id=None, now=NOW)
        await work.commit()
    later = NOW + timedelta(hours=1)
    async with uow() as work:
        await work.locations.upsert(location(1, publish=False, name="Renamed"), partner_id=None, now=later)
        await work.commit()
    async with uow() as work:
        record = await work.locations.get("NL", "LAD", "loc1")
        assert record is not None
        assert (record.created_at, record.publish) == (NOW, False)
        assert json.loads(record.document)["name"] == "Renamed"
        assert await work.locations.count(PageQuery(owner=ANY_OWNER)) == 1


async def test_page_filters_by_owner_and_half_open_dates_in_creation_order(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        partner = (await work.partners.list())[0]
        for index in range(10):
            await work.locations.upsert(location(index), partner_id=None, now=NOW)
        await work.locations.upsert(
            Location.model_validate(builders.location(party_id="OTH", id="theirs")),
            partner_id=partner.id,
            now=NOW,
        )
        await work.commit()
    async with uow() as work:
        page = await work.locations.page(
            PageQuery(
                offset=1, limit=3, date_from=NOW + timedelta(minutes=2), date_to=NOW + timedelta(minutes=8)
            )
        )
        assert page.total == 6
        assert [json.loads(doc)["id"] for doc in page.documents] == ["Loc3", "Loc4", "Loc5"]
        last = await work.locations.page(PageQuery(offset=9, limit=3))
        assert (last.total, [json.loads(doc)["id"] for doc in last.documents]) == (10, ["Loc9"])
        beyond = await work.locations.page(PageQuery(offset=10, limit=3))
        assert (beyond.total, beyond.documents) == (10, [])
        theirs = await work.locations.page(PageQuery(owner=partner.id))
        assert [json.loads(doc)["id"] for doc in theirs.documents] == ["theirs"]
        assert (await work.locations.page(PageQuery(owner=ANY_OWNER))).total == 11


async def test_page_hides_unpublished_locations_except_the_visible_ones(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        await work.locations.upsert(location(1), partner_id=None, now=NOW)
        hidden = await work.locations.upsert(location(2, publish=False), partner_id=None, now=NOW)
        await work.locations.upsert(location(3, publish=False), partner_id=None, now=NOW)
        await work.commit()
    async with uow() as work:
        nobody = await work.locations.page(PageQuery(visible_ids=()))
        chosen = await work.locations.page(PageQuery(visible_ids=(hidden.id,)))
        unpublished = await work.locations.unpublished()
    assert [json.loads(doc)["id"] for doc in nobody.documents] == ["Loc1"]
    assert [json.loads(doc)["id"] for doc in chosen.documents] == ["Loc1", "Loc2"]
    assert [record.object_id for record in unpublished] == ["Loc2", "Loc3"]


async def test_sessions_and_cdrs_page_only_for_the_token_owner(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        for index, party in enumerate(("AAA", "BBB", "AAA")):
            token = builders.cdr_token(party_id=party)
            await work.sessions.upsert(
                Session.model_validate(builders.session(id=f"S{index}", cdr_token=token)),
                partner_id=None,
                now=NOW,
            )
            await work.cdrs.upsert(
                CDR.model_validate(builders.cdr(id=f"C{index}", cdr_token=token, session_id=f"S{index}")),
                partner_id=None,
                now=NOW,
            )
        await work.commit()
    async with uow() as work:
        sessions = await work.sessions.page(PageQuery(token_parties={("nl", "aaa")}))
        cdrs = await work.cdrs.page(PageQuery(token_parties={("NL", "BBB"), ("NL", "CCC")}))
        none = await work.cdrs.page(PageQuery(token_parties=()))
        record = await work.sessions.get("NL", "STK", "s1")
    assert [json.loads(doc)["id"] for doc in sessions.documents] == ["S0", "S2"]
    assert [json.loads(doc)["id"] for doc in cdrs.documents] == ["C1"]
    assert (none.total, none.documents) == (0, [])
    assert record is not None
    assert (record.token_party_id, record.token_uid, record.status) == ("BBB", "123abc", "ACTIVE")


async def test_tokens_are_keyed_by_uid_and_type(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        partner = (await work.partners.list())[0]
        rfid = await work.tokens.upsert(
            Token.model_validate(builders.token(uid="abc")), partner_id=partner.id, now=NOW
        )
        app = await work.tokens.upsert(
            Token.model_validate(builders.token(uid="ABC", type="APP_USER")), partner_id=partner.id, now=NOW
        )
        await work.commit()
    async with uow() as work:
        found = await work.tokens.get_token("de", "tnm", "Abc", "APP_USER")
        by_uid = await work.tokens.by_uid("abc")
        keys = await work.tokens.keys_of(partner.id)
        assert found is not None and found.id == app.id
        assert [record.id for record in by_uid] == [rfid.id, app.id]
        assert keys == {("DE", "TNM", "ABC", "RFID"): rfid.id, ("DE", "TNM", "ABC", "APP_USER"): app.id}
        assert await work.tokens.delete_ids([rfid.id]) == 1
        await work.commit()
    async with uow() as work:
        assert await work.tokens.get_token("DE", "TNM", "abc", "RFID") is None


async def test_removing_a_tariff_deletes_its_row(uow: UnitOfWorkFactory) -> None:
    from laddhub.ocpi.v2_2_1.tariffs import Tariff

    async with uow() as work:
        await work.tariffs.upsert(Tariff.model_validate(builders.tariff()), partner_id=None, now=NOW)
        await work.commit()
    async with uow() as work:
        record = await work.tariffs.get("DE", "ALL", "12")
        assert record is not None
        await work.tariffs.remove(record)
        await work.commit()
    async with uow() as work:
        assert await work.tariffs.get("DE", "ALL", "12") is None
