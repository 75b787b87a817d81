"""The CPO Sender interfaces through the real app: paging, filters, visibility and routing headers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from laddhub.ocpi.paging import parse_link_next
from laddhub.ocpi.v2_2_1.cdrs import CDR
from laddhub.ocpi.v2_2_1.sessions import Session
from laddhub.services import cpo_locations, cpo_tariffs
from tests.integration.cpo_fixtures import (
    NOW,
    CpoWorld,
    add_token,
    cpo_world,
    node_network,
    our_location,
    our_tariff,
)
from tests.support.databases import BACKENDS
from tests.unit.ocpi import builders

LOCATIONS = "/ocpi/2.2.1/cpo/locations"


def stamp(minutes: int) -> str:
    return (NOW + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def cpo_location(location_id: str, **changes: Any) -> dict[str, Any]:
    return our_location(location_id, country_code="NL", party_id="CPO", **changes)


async def seed(world: CpoWorld) -> None:
    uow = world.cpo.node.uow
    await add_token(uow, "msp-a", country_code="NL", party_id="AAA", uid="A-CARD", group_id="FLEET")
    async with uow() as work:
        for index in range(5):
            payload = cpo_location(f"L{index}")
            await cpo_locations.put_location(work, world.parties, payload, now=NOW + timedelta(minutes=index))
        private = cpo_location("PRIV", publish=False, publish_allowed_to=[{"group_id": "FLEET"}])
        await cpo_locations.put_location(work, world.parties, private, now=NOW + timedelta(minutes=10))
        tariff = our_tariff("T1", country_code="NL", party_id="CPO")
        await cpo_tariffs.put_tariff(work, world.parties, tariff, now=NOW)
        for session_id, party, minutes in (("S-A1", "AAA", 1), ("S-B1", "BBB", 2), ("S-A2", "AAA", 3)):
            token = builders.cdr_token(party_id=party)
            session = builders.session(
                country_code="NL", party_id="CPO", id=session_id, cdr_token=token, last_updated=stamp(minutes)
            )
            await work.sessions.upsert(Session.model_validate(session), partner_id=None, now=NOW)
            cdr = builders.cdr(
                country_code="NL",
                party_id="CPO",
                id=f"C{session_id}",
                cdr_token=token,
                last_updated=stamp(minutes),
            )
            await work.cdrs.upsert(CDR.model_validate(cdr), partner_id=None, now=NOW)
        await work.commit()


# The tests only read, so one seeded node network per backend serves the whole module.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[CpoWorld]:
    with node_network(str(request.param), tmp_path_factory.mktemp("cpo-senders")) as network:
        async with cpo_world(network, page_max_limit=3) as built:
            await seed(built)
            yield built


def ids(data: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in data]


async def test_locations_page_with_headers_and_the_link_walks_every_visible_location(world: CpoWorld) -> None:
    first = await world.msp_a.get(LOCATIONS + "?limit=2")
    assert first.status_code == 200
    assert (first.headers["x-total-count"], first.headers["x-limit"]) == ("6", "3")
    assert ids(first.json()["data"]) == ["L0", "L1"]
    seen = ids(first.json()["data"])
    link = parse_link_next(first.headers.get("link"))
    while link is not None:
        page = await world.msp_a.get(link)
        seen += ids(page.json()["data"])
        link = parse_link_next(page.headers.get("link"))
    assert seen == ["L0", "L1", "L2", "L3", "L4", "PRIV"]


async def test_a_limit_above_the_maximum_is_capped(world: CpoWorld) -> None:
    response = await world.msp_b.get(LOCATIONS + "?limit=50")
    assert len(response.json()["data"]) == 3
    assert (
        parse_link_next(response.headers["link"])
        == "http://cpo.test/ocpi/2.2.1/cpo/locations?offset=3&limit=3"
    )


async def test_date_filters_are_inclusive_from_and_exclusive_to(world: CpoWorld) -> None:
    data = await world.msp_b.data(LOCATIONS + f"?date_from={stamp(1)}&date_to={stamp(3)}")
    assert ids(data) == ["L1", "L2"]


async def test_an_unpublished_location_is_seen_only_by_the_owner_of_a_matching_token(world: CpoWorld) -> None:
    everything_b = await world.msp_b.get(LOCATIONS + "?offset=3")
    assert everything_b.headers["x-total-count"] == "5"
    assert "PRIV" not in ids(everything_b.json()["data"])
    assert (await world.msp_a.data(LOCATIONS + "/priv"))["id"] == "PRIV"
    hidden = await world.msp_b.get(LOCATIONS + "/PRIV")
    assert (hidden.status_code, hidden.json()["status_code"]) == (404, 2000)


async def test_one_location_evse_and_connector_are_served_case_insensitively(world: CpoWorld) -> None:
    location = await world.msp_b.data(LOCATIONS + "/l1")
    evse = await world.msp_b.data(LOCATIONS + "/L1/e2")
    connector = await world.msp_b.data(LOCATIONS + "/L1/E2/1/")
    assert (location["id"], evse["uid"], connector["id"]) == ("L1", "E2", "1")
    for missing in ("/L9", "/L1/E9", "/L1/E1/9"):
        response = await world.msp_b.get(LOCATIONS + missing)
        assert response.status_code == 404, missing


async def test_tariffs_are_listed(world: CpoWorld) -> None:
    assert ids(await world.msp_b.data("/ocpi/2.2.1/cpo/tariffs")) == ["T1"]


async def test_sessions_need_date_from(world: CpoWorld) -> None:
    response = await world.msp_a.get("/ocpi/2.2.1/cpo/sessions")
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert "date_from" in response.json()["status_message"]


async def test_a_partner_reads_only_the_sessions_and_cdrs_of_its_own_tokens(world: CpoWorld) -> None:
    since = f"?date_from={stamp(0)}"
    assert ids(await world.msp_a.data("/ocpi/2.2.1/cpo/sessions" + since)) == ["S-A1", "S-A2"]
    assert ids(await world.msp_b.data("/ocpi/2.2.1/cpo/sessions" + since)) == ["S-B1"]
    assert ids(await world.msp_a.data("/ocpi/2.2.1/cpo/cdrs")) == ["CS-A1", "CS-A2"]
    response = await world.msp_b.get("/ocpi/2.2.1/cpo/cdrs")
    assert (ids(response.json()["data"]), response.headers["x-total-count"]) == (["CS-B1"], "1")


async def test_the_list_is_the_stored_json_exactly(world: CpoWorld) -> None:
    response = await world.msp_b.get("/ocpi/2.2.1/cpo/tariffs")
    async with world.cpo.node.uow() as work:
        record = await work.tariffs.get("NL", "CPO", "T1")
    assert record is not None
    assert response.text.startswith('{"data":[' + record.document + "]")
    assert json.loads(response.text)["timestamp"].endswith("Z")


async def test_an_unknown_token_is_refused_with_401(world: CpoWorld) -> None:
    response = await world.cpo.client.get(LOCATIONS, headers=world.cpo.auth("not-a-token"))
    assert response.status_code == 401
    assert (await world.cpo.client.get(LOCATIONS)).status_code == 401


async def test_bad_paging_parameters_are_2001_naming_the_parameter(world: CpoWorld) -> None:
    for query, name in (
        ("?offset=-1", "offset"),
        ("?limit=x", "limit"),
        ("?date_from=yesterday", "date_from"),
    ):
        body = (await world.msp_a.get(LOCATIONS + query)).json()
        assert body["status_code"] == 2001 and body["status_message"].startswith(name), query


# --- routing headers (api/routing.py) -----------------------------------------------------------------------


async def test_routing_headers_are_inferred_when_absent_and_echoed_reversed(world: CpoWorld) -> None:
    response = await world.msp_a.get(LOCATIONS)
    assert {k: v for k, v in response.headers.items() if k.startswith("ocpi-")} == {
        "ocpi-from-country-code": "NL",
        "ocpi-from-party-id": "CPO",
        "ocpi-to-country-code": "NL",
        "ocpi-to-party-id": "AAA",
    }


async def test_explicit_routing_headers_are_echoed_reversed(world: CpoWorld) -> None:
    headers = {
        "OCPI-from-country-code": "nl",
        "OCPI-from-party-id": "bbb",
        "OCPI-to-country-code": "NL",
        "OCPI-to-party-id": "CPO",
    }
    response = await world.msp_b.get(LOCATIONS, **headers)
    assert response.json()["status_code"] == 1000
    assert (response.headers["ocpi-to-party-id"], response.headers["ocpi-from-party-id"]) == ("BBB", "CPO")


async def test_ocpi_to_naming_a_party_we_do_not_serve_is_refused(world: CpoWorld) -> None:
    body = (
        await world.msp_a.get(LOCATIONS, **{"OCPI-to-country-code": "NL", "OCPI-to-party-id": "XXX"})
    ).json()
    assert body["status_code"] == 2001
    assert "OCPI-to" in body["status_message"]


async def test_ocpi_from_naming_a_party_the_caller_does_not_own_is_refused(world: CpoWorld) -> None:
    headers = {"OCPI-from-country-code": "NL", "OCPI-from-party-id": "BBB"}
    body = (await world.msp_a.get("/ocpi/2.2.1/cpo/cdrs", **headers)).json()
    assert body["status_code"] == 2001
    assert "OCPI-from" in body["status_message"]
    assert "data" not in body


async def test_version_details_list_the_sender_endpoints(world: CpoWorld) -> None:
    details = await world.msp_a.data("/ocpi/2.2.1")
    senders = {e["identifier"] for e in details["endpoints"] if e["role"] == "SENDER"}
    assert {"locations", "tariffs", "sessions", "cdrs"} <= senders
