"""The eMSP's Tariffs, Sessions and CDRs Receivers: storage, appended charging periods, CDR locations."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.emsp.conftest import Receivers
from tests.unit.ocpi import builders

pytestmark = pytest.mark.asyncio(loop_scope="module")

T0, T1, T2, T3 = (f"2026-11-24T10:0{n}:00Z" for n in range(4))


def tariff(tariff_id: str, **changes: Any) -> dict[str, Any]:
    return builders.tariff(country_code="NL", party_id="CPO", id=tariff_id, last_updated=T0) | changes


def session(session_id: str, **changes: Any) -> dict[str, Any]:
    token = builders.cdr_token(country_code="NL", party_id="MSP")
    return (
        builders.session(country_code="NL", party_id="CPO", id=session_id, cdr_token=token, last_updated=T0)
        | changes
    )


def period(start: str, kwh: float) -> dict[str, Any]:
    return builders.charging_period(("ENERGY", kwh), start=start)


def cdr(cdr_id: str, **changes: Any) -> dict[str, Any]:
    token = builders.cdr_token(country_code="NL", party_id="MSP")
    return builders.cdr(country_code="NL", party_id="CPO", id=cdr_id, cdr_token=token) | changes


# --- tariffs -----------------------------------------------------------------------------------------------


async def test_a_tariff_is_put_read_replaced_only_by_newer_versions_and_deleted(
    receivers: Receivers, unique: str
) -> None:
    cpo, url = receivers.cpo, f"/tariffs/NL/CPO/{unique}"
    assert (await cpo.put(url, tariff(unique))).status_code == 201
    assert await cpo.data(url) == tariff(unique)
    assert (await cpo.put(url, tariff(unique, currency="SEK", last_updated=T2))).status_code == 200
    assert (await cpo.put(url, tariff(unique, currency="NOK", last_updated=T1))).json()["status_code"] == 1000
    assert (await cpo.data(url))["currency"] == "SEK"

    deleted = await cpo.request("DELETE", url)
    assert (deleted.status_code, deleted.json()["status_code"]) == (200, 1000)
    assert (await cpo.get(url)).status_code == 404
    assert (await cpo.request("DELETE", url)).status_code == 404


async def test_tariffs_of_another_party_and_with_mismatched_ids_are_refused(
    receivers: Receivers, unique: str
) -> None:
    url = f"/tariffs/NL/CPO/{unique}"
    await receivers.cpo.put(url, tariff(unique))
    assert (await receivers.other.request("DELETE", url)).status_code == 404
    assert (await receivers.other.put(url, tariff(unique, last_updated=T3))).status_code == 404
    mismatch = await receivers.cpo.put(url, tariff("SOMETHING-ELSE", last_updated=T3))
    assert mismatch.json()["status_code"] == 2001 and "id" in mismatch.json()["status_message"]
    no_elements = await receivers.cpo.put(url, tariff(unique, elements=[], last_updated=T3))
    assert no_elements.json()["status_code"] == 2001 and "elements" in no_elements.json()["status_message"]
    assert await receivers.cpo.data(url) == tariff(unique)


# --- sessions ----------------------------------------------------------------------------------------------


async def test_session_patches_append_charging_periods_once_and_a_put_replaces_them(
    receivers: Receivers, unique: str
) -> None:
    cpo, url = receivers.cpo, f"/sessions/NL/CPO/{unique}"
    first = period("2026-11-24T10:00:00Z", 1.5)
    assert (await cpo.put(url, session(unique, charging_periods=[first]))).status_code == 201

    second = period("2026-11-24T10:01:00Z", 2.0)
    patch = {"kwh": 3.5, "charging_periods": [second], "last_updated": T1}
    assert (await cpo.patch(url, patch)).json()["status_code"] == 1000
    assert (await cpo.patch(url, patch)).json()["status_code"] == 1000  # delivered twice: appended once
    stored = await cpo.data(url)
    assert stored["charging_periods"] == [first, second]
    assert (stored["kwh"], stored["last_updated"]) == (3.5, T1)

    status_only = await cpo.patch(url, {"status": "COMPLETED", "last_updated": T2})
    assert status_only.json()["status_code"] == 1000
    assert (await cpo.data(url))["charging_periods"] == [first, second]

    replaced = await cpo.put(url, session(unique, status="COMPLETED", last_updated=T3))
    assert replaced.status_code == 200
    stored = await cpo.data(url)
    assert "charging_periods" not in stored and stored["status"] == "COMPLETED"


async def test_session_rules_stale_patch_missing_last_updated_and_foreign_party(
    receivers: Receivers, unique: str
) -> None:
    cpo, url = receivers.cpo, f"/sessions/NL/CPO/{unique}"
    await cpo.put(url, session(unique, kwh=5, last_updated=T2))
    assert (await cpo.patch(url, {"kwh": 1, "last_updated": T1})).json()["status_code"] == 1000
    missing = await cpo.patch(url, {"kwh": 9})
    assert missing.json()["status_code"] == 2001 and "last_updated" in missing.json()["status_message"]
    wrong_id = await cpo.put(url, session("S-OTHER", last_updated=T3))
    assert wrong_id.json()["status_code"] == 2001
    assert (await receivers.other.get(url)).status_code == 404
    assert (await receivers.other.patch(url, {"kwh": 7, "last_updated": T3})).status_code == 404
    assert (await cpo.data(url))["kwh"] == 5
    unknown = await cpo.patch(f"/sessions/NL/CPO/{unique}-NONE", {"kwh": 1, "last_updated": T1})
    assert unknown.status_code == 404


# --- CDRs --------------------------------------------------------------------------------------------------


async def test_a_posted_cdr_is_stored_at_the_location_it_names_and_a_second_post_is_idempotent(
    receivers: Receivers, unique: str
) -> None:
    posted = await receivers.cpo.request("POST", "/cdrs", cdr(unique))
    assert (posted.status_code, posted.json()["status_code"]) == (201, 1000)
    location = posted.headers["Location"]
    assert location.startswith("http://emsp.test/ocpi/2.2.1/emsp/cdrs/")
    reference = location.rsplit("/", 1)[1]
    assert await receivers.cpo.data(f"/cdrs/{reference}") == cdr(unique)

    again = await receivers.cpo.request("POST", "/cdrs", cdr(unique))
    assert (again.status_code, again.json()["status_code"], again.headers["Location"]) == (
        200,
        1000,
        location,
    )


async def test_cdrs_are_only_for_their_owner_and_must_be_valid(receivers: Receivers, unique: str) -> None:
    posted = await receivers.cpo.request("POST", "/cdrs", cdr(unique))
    reference = posted.headers["Location"].rsplit("/", 1)[1]
    assert (await receivers.other.get(f"/cdrs/{reference}")).status_code == 404
    assert (await receivers.cpo.get("/cdrs/999999")).status_code == 404

    foreign = await receivers.other.request("POST", "/cdrs", cdr(unique + "B"))
    assert foreign.json()["status_code"] == 2001 and "party" in foreign.json()["status_message"]
    invalid = await receivers.cpo.request("POST", "/cdrs", cdr(unique + "C", charging_periods=[]))
    assert invalid.json()["status_code"] == 2001 and "charging_periods" in invalid.json()["status_message"]
    assert "Location" not in invalid.headers
    for rejected in (unique + "B", unique + "C"):
        async with receivers.emsp.node.uow() as uow:
            assert await uow.cdrs.get("NL", "CPO", rejected) is None
            assert await uow.cdrs.get("NL", "OTH", rejected) is None
