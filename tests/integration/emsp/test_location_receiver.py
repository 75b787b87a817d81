"""The eMSP's Locations Receiver: PUT/PATCH/GET of Locations, EVSEs and Connectors, and its rules."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import pytest

from laddhub.ocpi.v2_2_1.locations import Location
from tests.integration.emsp.conftest import Receivers
from tests.unit.ocpi import builders

pytestmark = pytest.mark.asyncio(loop_scope="module")

T0, T1, T2, T3 = (f"2026-11-24T10:0{n}:00Z" for n in range(4))


@dataclass
class Site:
    """A Location of CPO NL/CPO used by one test: its id, receiver URL and a valid body."""

    receivers: Receivers
    id: str

    @property
    def url(self) -> str:
        return f"/locations/NL/CPO/{self.id}"

    def body(self, **changes: Any) -> dict[str, Any]:
        connector = builders.connector(id="1", last_updated=T0)
        evse = builders.evse(uid="E1", last_updated=T0, connectors=[connector])
        location = builders.location(
            country_code="NL", party_id="CPO", id=self.id, evses=[evse], last_updated=T0
        )
        return location | changes

    async def stored(self) -> dict[str, Any]:
        data: dict[str, Any] = await self.receivers.cpo.data(self.url)
        return data


@pytest.fixture
def site(receivers: Receivers, unique: str) -> Site:
    return Site(receivers, unique)


async def test_a_put_location_is_created_then_replaced_and_served_back_with_routing_headers(
    site: Site,
) -> None:
    cpo = site.receivers.cpo
    created = await cpo.put(site.url, site.body())
    assert (created.status_code, created.json()["status_code"]) == (201, 1000)
    assert "data" not in created.json()
    assert created.headers["OCPI-from-party-id"] == "MSP" and created.headers["OCPI-to-party-id"] == "CPO"
    assert await site.stored() == site.body()

    replaced = await cpo.put(site.url, site.body(name="Renamed", last_updated=T1))
    assert (replaced.status_code, replaced.json()["status_code"]) == (200, 1000)
    assert (await site.stored())["name"] == "Renamed"
    assert await cpo.data(site.url.lower() + "/") == await site.stored()


async def test_an_older_location_never_overwrites_a_newer_copy(site: Site) -> None:
    cpo = site.receivers.cpo
    await cpo.put(site.url, site.body(name="New", last_updated=T2))
    late = await cpo.put(site.url, site.body(name="Old", last_updated=T1))
    assert (late.status_code, late.json()["status_code"]) == (200, 1000)
    old_patch = await cpo.patch(site.url, {"name": "Older", "last_updated": T0})
    assert old_patch.json()["status_code"] == 1000
    assert (await site.stored())["name"] == "New"


async def test_an_evse_patch_changes_the_evse_and_moves_the_location_last_updated(site: Site) -> None:
    cpo = site.receivers.cpo
    await cpo.put(site.url, site.body())
    response = await cpo.patch(site.url + "/E1", {"status": "CHARGING", "last_updated": T1})
    assert (response.status_code, response.json()["status_code"]) == (200, 1000)
    evse = await cpo.data(site.url + "/e1")
    assert (evse["status"], evse["last_updated"]) == ("CHARGING", T1)
    assert evse["connectors"] == site.body()["evses"][0]["connectors"]
    assert (await site.stored())["last_updated"] == T1

    stale = await cpo.patch(site.url + "/E1", {"status": "AVAILABLE", "last_updated": T0})
    assert stale.json()["status_code"] == 1000
    assert (await cpo.data(site.url + "/E1"))["status"] == "CHARGING"


async def test_a_connector_put_and_patch_move_both_parents_forward(site: Site) -> None:
    cpo = site.receivers.cpo
    await cpo.put(site.url, site.body())
    added = await cpo.put(site.url + "/E1/2", builders.connector(id="2", standard="CHADEMO", last_updated=T1))
    assert added.status_code == 201
    patched = await cpo.patch(site.url + "/E1/2", {"tariff_ids": ["T9"], "last_updated": T2})
    assert patched.json()["status_code"] == 1000

    assert (await cpo.data(site.url + "/E1/2"))["tariff_ids"] == ["T9"]
    document = await site.stored()
    assert document["last_updated"] == T2
    assert document["evses"][0]["last_updated"] == T2
    assert [c["id"] for c in document["evses"][0]["connectors"]] == ["1", "2"]


async def test_a_put_evse_adds_or_replaces_one_evse(site: Site) -> None:
    cpo = site.receivers.cpo
    await cpo.put(site.url, site.body())
    added = await cpo.put(site.url + "/E2", builders.evse(uid="E2", status="BLOCKED", last_updated=T1))
    assert added.status_code == 201
    replaced = await cpo.put(site.url + "/E1", builders.evse(uid="E1", status="OUTOFORDER", last_updated=T2))
    assert replaced.status_code == 200
    document = await site.stored()
    assert [(e["uid"], e["status"]) for e in document["evses"]] == [("E1", "OUTOFORDER"), ("E2", "BLOCKED")]
    assert document["last_updated"] == T2


INVALID = [
    ("PUT", "", {"id": "OTHER"}, "id"),
    ("PUT", "", {"party_id": "OTH"}, "party_id"),
    ("PUT", "", {"address": None}, "address"),
    ("PUT", "/E1", builders.evse(uid="E9", last_updated=T1), "uid"),
    ("PUT", "/E1/1", builders.connector(id="7", last_updated=T1), "id"),
    ("PATCH", "", {"id": "OTHER", "name": "x", "last_updated": T1}, "id"),
    ("PATCH", "", {"name": "no time"}, "last_updated"),
    (
        "PATCH",
        "",
        {"publish": True, "publish_allowed_to": [{"uid": "u", "type": "RFID"}], "last_updated": T1},
        "publish_allowed_to",
    ),
    ("PATCH", "/E1", {"uid": "E9", "status": "CHARGING", "last_updated": T1}, "uid"),
    ("PATCH", "/E1", {"status": "CHARGING"}, "last_updated"),
    ("PATCH", "/E1", {"status": "SLEEPING", "last_updated": T1}, "status"),
    ("PATCH", "/E1/1", {"max_voltage": 400}, "last_updated"),
]


@pytest.mark.parametrize(("method", "suffix", "body", "named"), INVALID)
async def test_invalid_bodies_are_2001_naming_the_field_and_change_nothing(
    site: Site, method: str, suffix: str, body: dict[str, Any], named: str
) -> None:
    await site.receivers.cpo.put(site.url, site.body())
    if method == "PUT" and not suffix:
        body = site.body(**body)
    response = await site.receivers.cpo.request(method, site.url + suffix, body)
    assert (response.status_code, response.json()["status_code"]) == (200, 2001)
    assert named in response.json()["status_message"]
    assert await site.stored() == site.body()


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH"])
async def test_another_partys_objects_are_404_and_stay_untouched(site: Site, method: str) -> None:
    await site.receivers.cpo.put(site.url, site.body())
    changes: dict[str, Any] = {"name": "Hijacked", "last_updated": T3}
    body = None if method == "GET" else site.body(**changes) if method == "PUT" else changes
    response = await site.receivers.other.request(method, site.url, body)
    assert (response.status_code, response.json()["status_code"]) == (404, 2000)
    assert await site.stored() == site.body()


async def test_unknown_token_is_401_and_malformed_json_is_400_and_neither_stores_anything(site: Site) -> None:
    emsp = site.receivers.emsp
    anonymous = await emsp.client.put(
        "/ocpi/2.2.1/emsp" + site.url, json=site.body(), headers=emsp.auth("not-a-token")
    )
    assert anonymous.status_code == 401
    broken = await emsp.client.put(
        "/ocpi/2.2.1/emsp" + site.url,
        content=b'{"country_code": "NL",',
        headers={**emsp.auth(site.receivers.cpo.token), "Content-Type": "application/json"},
    )
    assert (broken.status_code, broken.json()["status_code"]) == (400, 2000)
    missing = await site.receivers.cpo.get(site.url)
    assert (missing.status_code, missing.json()["status_code"]) == (404, 2000)


async def test_children_of_an_unknown_location_or_evse_are_404(site: Site) -> None:
    cpo = site.receivers.cpo
    assert (await cpo.patch(site.url + "/E1", {"status": "CHARGING", "last_updated": T1})).status_code == 404
    assert (await cpo.put(site.url + "/E1", builders.evse(uid="E1"))).status_code == 404
    await cpo.put(site.url, site.body())
    assert (await cpo.get(site.url + "/E7")).status_code == 404
    assert (await cpo.get(site.url + "/E1/9")).status_code == 404
    assert (await cpo.patch(site.url + "/E1/9", {"max_voltage": 1, "last_updated": T1})).status_code == 404


async def test_unknown_fields_are_accepted_and_logged_with_their_paths(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    body = site.body()
    body["evses"][0]["floor"] = 2
    body["vendor_extension"] = {"a": 1}
    with caplog.at_level(logging.WARNING, logger="laddhub.emsp"):
        response = await site.receivers.cpo.put(site.url, body)
    assert response.status_code == 201
    assert "evses[0].floor" in caplog.text and "vendor_extension" in caplog.text
    assert await site.stored() == site.body()


async def test_our_own_objects_are_not_reachable_even_for_a_partner_claiming_their_party(site: Site) -> None:
    own = Location.model_validate(site.body(name="Ours"))
    async with site.receivers.emsp.node.uow() as uow:
        await uow.locations.upsert(own, partner_id=None, now=own.last_updated)
        await uow.commit()
    assert (await site.receivers.cpo.get(site.url)).status_code == 404
    assert (await site.receivers.cpo.put(site.url, site.body(last_updated=T3))).status_code == 404
    async with site.receivers.emsp.node.uow() as uow:
        record = await uow.locations.get("NL", "CPO", site.id)
    assert record is not None and record.partner_id is None and json.loads(record.document)["name"] == "Ours"


async def test_version_details_list_the_receiver_endpoints_of_an_emsp_only(receivers: Receivers) -> None:
    details = await receivers.emsp.client.get("/ocpi/2.2.1", headers=receivers.emsp.auth(receivers.cpo.token))
    endpoints = {(e["identifier"], e["role"]): e["url"] for e in details.json()["data"]["endpoints"]}
    for module in ("locations", "tariffs", "sessions", "cdrs"):
        assert endpoints[(module, "RECEIVER")] == f"http://emsp.test/ocpi/2.2.1/emsp/{module}"
    async with receivers.emsp.node.uow() as uow:
        cpo = await uow.partners.by_name("cpo")
    assert cpo is not None
    assert not [e.url for e in cpo.endpoints if "/emsp/" in e.url]
