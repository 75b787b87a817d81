"""The Tokens Receiver through the real app, and pulling an eMSP's Tokens Sender.

Every test works on tokens of its own uid, so one node network per backend serves the module.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from laddhub.ocpi.client import PartnerError
from laddhub.ocpi.envelope import envelope
from laddhub.ocpi.paging import page_headers, parse_page_request
from laddhub.services import cpo_locations, tokens
from laddhub.services.partner_clients import client_factory
from laddhub.store.tables import OutboxRecord, PartnerEndpointRecord, PartnerRecord, PartnerRoleRecord
from tests.integration.cpo_fixtures import NOW, CpoWorld, Reader, cpo_world, node_network, our_location
from tests.support.databases import BACKENDS
from tests.unit.ocpi import builders

pytestmark = pytest.mark.asyncio(loop_scope="module")

BASE = "/ocpi/2.2.1/cpo/tokens"
SENDER_HOST = "tokens-sender.test"


class TokenSender:
    """A minimal eMSP Tokens Sender: serves `tokens` in pages of two, with the OCPI paging headers."""

    def __init__(self) -> None:
        self.tokens: list[Any] = []
        self.app = FastAPI()
        self.app.get("/tokens")(self.list)

    async def list(self, request: Request) -> JSONResponse:
        page = parse_page_request(request.query_params, max_limit=2)
        chosen = self.tokens
        if page.date_from is not None:
            chosen = [
                t for t in chosen if isinstance(t, dict) and t["last_updated"] >= "2026-11-24T12:30:00Z"
            ]
        data = chosen[page.offset : page.offset + page.limit]
        headers = page_headers(str(request.url), page, len(chosen), len(data))
        return JSONResponse(envelope(data, now=datetime.now(UTC)), headers=headers)


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[CpoWorld]:
    with node_network(str(request.param), tmp_path_factory.mktemp("cpo-tokens")) as network:
        async with cpo_world(network) as built:
            yield built


def token(uid: str, **changes: Any) -> dict[str, Any]:
    return builders.token(**({"country_code": "NL", "party_id": "AAA", "uid": uid} | changes))


def url(uid: str, party: str = "AAA", query: str = "") -> str:
    return f"{BASE}/NL/{party}/{uid}{query}"


async def stored(world: CpoWorld, uid: str, kind: str = "RFID") -> dict[str, Any] | None:
    async with world.cpo.node.uow() as work:
        record = await work.tokens.get_token("NL", "AAA", uid, kind)
    return None if record is None else dict(json.loads(record.document))


def status(response: Any) -> tuple[int, int]:
    return response.status_code, response.json()["status_code"]


async def test_put_creates_then_replaces_and_get_reads_it_in_any_case(world: CpoWorld) -> None:
    assert status(await world.msp_a.request("PUT", url("T-NEW"), token("T-NEW"))) == (201, 1000)
    replaced = token("T-NEW", valid=False, last_updated="2026-11-24T12:00:00Z")
    assert status(await world.msp_a.request("PUT", url("t-new"), replaced)) == (200, 1000)
    assert (await world.msp_a.data(url("t-New")))["valid"] is False


async def test_a_token_type_other_than_rfid_is_addressed_by_the_type_parameter(world: CpoWorld) -> None:
    app_token = token("T-APP", type="APP_USER")
    assert status(await world.msp_a.request("PUT", url("T-APP", query="?type=APP_USER"), app_token)) == (
        201,
        1000,
    )
    assert (await world.msp_a.data(url("T-APP", query="?type=app_user")))["type"] == "APP_USER"
    assert (await world.msp_a.get(url("T-APP"))).status_code == 404
    lenient = token("T-APP2", type="AD_HOC_USER")
    assert status(await world.msp_a.request("PUT", url("T-APP2"), lenient)) == (201, 1000)
    assert await stored(world, "T-APP2", "AD_HOC_USER") is not None


async def test_patch_changes_fields_and_an_older_version_is_acknowledged_but_ignored(world: CpoWorld) -> None:
    await world.msp_a.request("PUT", url("T-PATCH"), token("T-PATCH", last_updated="2026-11-24T10:00:00Z"))
    patch = {"valid": False, "last_updated": "2026-11-24T11:00:00Z"}
    assert status(await world.msp_a.request("PATCH", url("T-PATCH"), patch)) == (200, 1000)
    before = await stored(world, "T-PATCH")
    assert before is not None and before["valid"] is False
    older_patch = {"valid": True, "last_updated": "2026-11-24T10:30:00Z"}
    assert status(await world.msp_a.request("PATCH", url("T-PATCH"), older_patch)) == (200, 1000)
    older_put = token("T-PATCH", valid=True, last_updated="2026-11-24T09:00:00Z")
    assert status(await world.msp_a.request("PUT", url("T-PATCH"), older_put)) == (200, 1000)
    assert await stored(world, "T-PATCH") == before


@pytest.mark.parametrize(
    ("method", "path", "body", "expected", "message"),
    [
        ("PUT", url("T-REJ"), token("T-OTHER"), (200, 2001), "uid"),
        ("PUT", url("T-REJ"), token("T-REJ", party_id="BBB"), (200, 2001), "party_id"),
        ("PUT", url("T-REJ", query="?type=APP_USER"), token("T-REJ"), (200, 2001), "type"),
        ("PUT", url("T-REJ", query="?type=CARD"), token("T-REJ"), (200, 2001), "type"),
        ("PUT", url("T-REJ"), token("T-REJ", whitelist="SOMETIMES"), (200, 2001), "whitelist"),
        ("PUT", url("T-REJ", party="BBB"), token("T-REJ", party_id="BBB"), (404, 2000), "BBB"),
        ("PUT", url("T-REJ"), b'{"uid": "T-REJ",', (400, 2000), "JSON"),
        ("PATCH", url("T-REJ"), {"valid": False}, (200, 2001), "last_updated"),
        ("PATCH", url("T-REJ"), {"uid": "X", "last_updated": "2026-11-24T13:00:00Z"}, (200, 2001), "uid"),
        ("PATCH", url("T-REJ", party="BBB"), {"last_updated": "2026-11-24T13:00:00Z"}, (404, 2000), "BBB"),
    ],
)
async def test_a_rejected_token_request_changes_nothing(
    world: CpoWorld, method: str, path: str, body: Any, expected: tuple[int, int], message: str
) -> None:
    original = token("T-REJ", last_updated="2026-11-24T12:00:00Z")
    await world.msp_a.request("PUT", url("T-REJ"), original)
    before = await stored(world, "T-REJ")
    response = await world.msp_a.request(method, path, body)
    assert status(response) == expected
    assert message in response.json()["status_message"]
    assert await stored(world, "T-REJ") == before


async def test_patching_an_unknown_token_is_not_found(world: CpoWorld) -> None:
    response = await world.msp_a.request(
        "PATCH", url("T-NONE"), {"valid": False, "last_updated": "2026-11-24T13:00:00Z"}
    )
    assert status(response) == (404, 2000)


async def test_a_partner_cannot_read_another_partners_tokens(world: CpoWorld) -> None:
    await world.msp_a.request("PUT", url("T-MINE"), token("T-MINE"))
    assert status(await world.msp_b.get(url("T-MINE"))) == (404, 2000)
    assert status(await world.msp_a.get(url("T-MINE"))) == (200, 1000)


async def test_an_unknown_credentials_token_is_refused(world: CpoWorld) -> None:
    stranger = Reader(world.cpo, "who-am-i")
    assert status(await stranger.request("PUT", url("T-401"), token("T-401"))) == (401, 2000)
    assert await stored(world, "T-401") is None


async def test_a_new_token_gets_the_unpublished_locations_it_may_see_pushed(world: CpoWorld) -> None:
    private = our_location("PRIV-TOK", country_code="NL", party_id="CPO", publish=False)
    private["publish_allowed_to"] = [{"group_id": "TOKEN-FLEET"}]
    async with world.cpo.node.uow() as work:
        await cpo_locations.put_location(work, world.parties, private, now=NOW)
        await work.commit()
    await world.msp_a.request("PUT", url("T-FLEET"), token("T-FLEET", group_id="token-fleet"))
    async with world.cpo.node.uow() as work:
        rows = (
            (await work.session.execute(select(OutboxRecord).where(OutboxRecord.path == "/NL/CPO/PRIV-TOK")))
            .scalars()
            .all()
        )
        msp_a = await world.partner_id("msp-a")
    assert [(row.partner_id, row.method) for row in rows] == [(msp_a, "PUT")]


# --- pulling ----------------------------------------------------------------------------------------------


async def sender_partner(world: CpoWorld, sender: TokenSender, name: str) -> int:
    """Register, straight in the CPO's store, an eMSP NL/SND whose Tokens Sender is `sender`."""
    host = f"{name}.{SENDER_HOST}"
    world.router.add(host, sender.app)
    async with world.cpo.node.uow() as work:
        partner = PartnerRecord(
            name=name,
            status="REGISTERED",
            version="2.2.1",
            outgoing_token="sender-token",
            created_at=NOW,
            updated_at=NOW,
        )
        partner.roles = [
            PartnerRoleRecord(role="EMSP", country_code="NL", party_id="SND", business_details={})
        ]
        partner.endpoints = [
            PartnerEndpointRecord(identifier="tokens", interface_role="SENDER", url=f"http://{host}/tokens")
        ]
        work.partners.add(partner)
        await work.commit()
        return partner.id


def sender_token(uid: str, **changes: Any) -> dict[str, Any]:
    return builders.token(country_code="NL", party_id="SND", uid=uid, **changes)


async def pull(world: CpoWorld, partner_id: int, date_from: datetime | None = None) -> tokens.SyncReport:
    return await tokens.sync_tokens(
        world.cpo.node.uow,
        partner_id,
        clients=client_factory(world.cpo.node.http),
        ours=world.party,
        now=NOW,
        date_from=date_from,
    )


async def sender_uids(world: CpoWorld, partner_id: int) -> list[str]:
    async with world.cpo.node.uow() as work:
        keys = await work.tokens.keys_of(partner_id)
    return sorted(key[2] for key in keys)


async def test_a_full_pull_stores_every_page_and_drops_what_the_emsp_no_longer_lists(world: CpoWorld) -> None:
    sender = TokenSender()
    partner_id = await sender_partner(world, sender, "full")
    sender.tokens = [sender_token(f"P{i}", last_updated="2026-11-24T12:00:00Z") for i in range(5)]
    sender.tokens.append({"uid": "broken"})
    sender.tokens.append(builders.token(country_code="DE", party_id="XXX", uid="FOREIGN"))
    first = await pull(world, partner_id)
    assert (first.received, first.stored, first.invalid, first.ignored, first.removed) == (7, 5, 1, 1, 0)
    sender.tokens = [sender_token(f"P{i}", last_updated="2026-11-24T12:00:00Z") for i in range(1, 5)]
    sender.tokens[0] = sender_token("P1", valid=False, last_updated="2026-11-24T13:00:00Z")
    second = await pull(world, partner_id)
    assert (second.stored, second.kept, second.removed, second.complete) == (1, 3, 1, True)
    assert await sender_uids(world, partner_id) == ["P1", "P2", "P3", "P4"]


async def test_a_pull_since_a_date_only_refreshes(world: CpoWorld) -> None:
    sender = TokenSender()
    partner_id = await sender_partner(world, sender, "since")
    sender.tokens = [sender_token("OLD", last_updated="2026-11-24T12:00:00Z")]
    await pull(world, partner_id)
    sender.tokens = [sender_token("NEW", last_updated="2026-11-24T12:45:00Z")]
    report = await pull(world, partner_id, date_from=datetime(2026, 11, 24, 12, 30, tzinfo=UTC))
    assert (report.stored, report.removed, report.complete) == (1, 0, False)
    assert await sender_uids(world, partner_id) == ["NEW", "OLD"]


async def test_a_pull_from_an_unreachable_emsp_removes_nothing(world: CpoWorld) -> None:
    sender = TokenSender()
    partner_id = await sender_partner(world, sender, "gone")
    sender.tokens = [sender_token("KEEP")]
    await pull(world, partner_id)
    async with world.cpo.node.uow() as work:
        partner = await work.partners.get(partner_id)
        assert partner is not None
        partner.endpoints[0].url = "http://nowhere.test/tokens"
        await work.commit()
    with pytest.raises(PartnerError):
        await pull(world, partner_id)
    assert await sender_uids(world, partner_id) == ["KEEP"]
