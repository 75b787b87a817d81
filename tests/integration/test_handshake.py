"""The credentials handshake between two in-process nodes, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from laddhub.ocpi.auth import hash_token
from laddhub.services import handshake
from laddhub.services.identity import NodeIdentity
from laddhub.services.partner_clients import client_factory
from laddhub.store.tables import IssuedTokenRecord, PartnerRecord
from tests.integration.conftest import Node


def now() -> datetime:
    return datetime.now(UTC)


async def invite(node: Node, name: str = "partner") -> str:
    _, token = await handshake.invite(node.node.uow, name, now=now())
    return token


async def register(initiator: Node, receiver: Node, token_a: str) -> PartnerRecord:
    return await handshake.register_with(
        initiator.node.uow,
        name=receiver.name,
        versions_url=f"{receiver.base_url}/ocpi/versions",
        token_a=token_a,
        identity=NodeIdentity.from_settings(initiator.settings),
        clients=client_factory(initiator.node.http),
        now=now,
    )


async def partner_of(node: Node) -> PartnerRecord:
    async with node.node.uow() as uow:
        partners = list(await uow.partners.list())
    assert len(partners) == 1
    return partners[0]


async def registered_pair(cpo: Node, emsp: Node) -> tuple[PartnerRecord, PartnerRecord]:
    await register(emsp, cpo, await invite(cpo, "emsp"))
    return await partner_of(cpo), await partner_of(emsp)


async def test_registration_stores_both_sides_and_each_reads_the_others_credentials(
    cpo_emsp: tuple[Node, Node],
) -> None:
    cpo, emsp = cpo_emsp
    at_cpo, at_emsp = await registered_pair(cpo, emsp)

    assert at_cpo.status == at_emsp.status == "REGISTERED"
    assert at_cpo.version == at_emsp.version == "2.2.1"
    assert [(r.role, r.country_code, r.party_id) for r in at_cpo.roles] == [("EMSP", "NL", "MSP")]
    assert [(r.role, r.country_code, r.party_id) for r in at_emsp.roles] == [("CPO", "NL", "CPO")]
    assert at_cpo.roles[0].business_details == {"name": "EMSP"}
    assert {e.identifier for e in at_emsp.endpoints} >= {"credentials"}

    token_c, token_b = at_emsp.outgoing_token, at_cpo.outgoing_token
    assert token_c and token_b and token_c != token_b
    got = await cpo.client.get("/ocpi/2.2.1/credentials", headers=cpo.auth(token_c))
    assert got.status_code == 200
    body = got.json()
    assert body["status_code"] == 1000
    assert body["data"]["token"] == token_c
    assert body["data"]["url"] == "http://cpo.test/ocpi/versions"
    assert body["data"]["roles"][0]["role"] == "CPO"
    back = await emsp.client.get("/ocpi/2.2.1/credentials", headers=emsp.auth(token_b))
    assert back.json()["data"]["token"] == token_b


async def test_issued_tokens_are_stored_only_as_sha256_digests(cpo_emsp: tuple[Node, Node]) -> None:
    cpo, emsp = cpo_emsp
    token_a = await invite(cpo)
    await register(emsp, cpo, token_a)
    at_emsp = await partner_of(emsp)
    async with cpo.node.uow() as uow:
        stored = (await uow.session.execute(select(IssuedTokenRecord))).scalars().all()
    digests = {t.token_hash for t in stored}
    assert hash_token(token_a) in digests
    assert hash_token(at_emsp.outgoing_token or "") in digests
    assert token_a not in digests and at_emsp.outgoing_token not in digests


async def test_token_a_stops_working_after_registration(cpo_emsp: tuple[Node, Node]) -> None:
    cpo, emsp = cpo_emsp
    token_a = await invite(cpo)
    versions = await cpo.client.get("/ocpi/versions", headers=cpo.auth(token_a))
    assert versions.json()["data"] == [{"version": "2.2.1", "url": "http://cpo.test/ocpi/2.2.1"}]
    await register(emsp, cpo, token_a)
    for path in ("/ocpi/versions", "/ocpi/2.2.1", "/ocpi/2.2.1/credentials"):
        response = await cpo.client.get(path, headers=cpo.auth(token_a))
        assert response.status_code == 401, path
        assert response.json()["status_code"] == 2000


async def test_raw_token_without_base64_is_accepted(cpo_emsp: tuple[Node, Node]) -> None:
    cpo, emsp = cpo_emsp
    _, at_emsp = await registered_pair(cpo, emsp)
    raw = await cpo.client.get(
        "/ocpi/2.2.1/credentials", headers={"Authorization": f"Token {at_emsp.outgoing_token}"}
    )
    assert raw.json()["status_code"] == 1000


async def test_post_when_registered_is_405(cpo_emsp: tuple[Node, Node]) -> None:
    cpo, emsp = cpo_emsp
    _, at_emsp = await registered_pair(cpo, emsp)
    body = {"token": "x" * 10, "url": "http://emsp.test/ocpi/versions", "roles": []}
    response = await cpo.client.post(
        "/ocpi/2.2.1/credentials", json=body, headers=cpo.auth(at_emsp.outgoing_token or "")
    )
    assert response.status_code == 405


@pytest.mark.parametrize("method", ["PUT", "DELETE", "GET"])
async def test_put_delete_get_with_token_a_are_405(cpo_emsp: tuple[Node, Node], method: str) -> None:
    cpo, _ = cpo_emsp
    token_a = await invite(cpo)
    body: Any = {"token": "abc", "url": "http://emsp.test/ocpi/versions", "roles": []}
    response = await cpo.client.request(
        method, "/ocpi/2.2.1/credentials", json=body if method == "PUT" else None, headers=cpo.auth(token_a)
    )
    assert response.status_code == 405
    assert response.json()["status_code"] == 2000


async def test_unknown_or_missing_token_is_401(cpo_emsp: tuple[Node, Node]) -> None:
    cpo, _ = cpo_emsp
    assert (await cpo.client.get("/ocpi/versions", headers=cpo.auth("nope"))).status_code == 401
    assert (await cpo.client.get("/ocpi/versions")).status_code == 401
    assert (await cpo.client.get("/ocpi/versions", headers={"Authorization": "Bearer x"})).status_code == 401


async def test_invalid_json_is_http_400_and_schema_violation_is_2001_naming_the_field(
    cpo_emsp: tuple[Node, Node],
) -> None:
    cpo, _ = cpo_emsp
    token_a = await invite(cpo)
    bad = await cpo.client.post(
        "/ocpi/2.2.1/credentials",
        content=b"{not json",
        headers={**cpo.auth(token_a), "Content-Type": "application/json"},
    )
    assert bad.status_code == 400
    assert bad.json()["status_code"] == 2000
    missing = await cpo.client.post(
        "/ocpi/2.2.1/credentials",
        json={"url": "http://emsp.test/ocpi/versions", "roles": []},
        headers=cpo.auth(token_a),
    )
    assert missing.status_code == 200
    assert missing.json()["status_code"] == 2001
    assert "token" in missing.json()["status_message"]
    # The rejected requests changed nothing: the invitation still works.
    assert (await cpo.client.get("/ocpi/versions", headers=cpo.auth(token_a))).status_code == 200


def _credentials(url: str) -> dict[str, Any]:
    return {
        "token": "token-b-of-the-partner",
        "url": url,
        "roles": [
            {"role": "EMSP", "party_id": "MSP", "country_code": "NL", "business_details": {"name": "X"}}
        ],
    }


def _fake_partner(handler: Any) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


def _envelope(data: Any, status: int = 1000) -> dict[str, Any]:
    return {"data": data, "status_code": status, "timestamp": "2026-11-24T00:00:00Z"}


@pytest.mark.parametrize(
    ("versions", "details", "expected"),
    [
        (None, None, 3001),
        ([{"version": "2.1.1", "url": "http://fake.test/2.1.1"}], None, 3002),
        (
            [{"version": "2.2.1", "url": "http://fake.test/2.2.1"}],
            {
                "version": "2.2.1",
                "endpoints": [{"identifier": "locations", "role": "RECEIVER", "url": "http://fake.test/l"}],
            },
            3003,
        ),
    ],
)
async def test_registration_fails_with_300x_when_the_partner_api_is_unusable(
    cpo_emsp: tuple[Node, Node], versions: Any, details: Any, expected: int
) -> None:
    cpo, _ = cpo_emsp

    def fake(request: httpx.Request) -> httpx.Response:
        if versions is None:
            return httpx.Response(503, text="down")
        if request.url.path.endswith("/versions"):
            return httpx.Response(200, json=_envelope(versions))
        return httpx.Response(200, json=_envelope(details))

    cpo.app.state.node.http = httpx.AsyncClient(transport=_fake_partner(fake))
    token_a = await invite(cpo)
    response = await cpo.client.post(
        "/ocpi/2.2.1/credentials", json=_credentials("http://fake.test/versions"), headers=cpo.auth(token_a)
    )
    assert response.json()["status_code"] == expected
    assert (await partner_of(cpo)).status == "INVITED"


async def test_update_rotates_both_tokens_and_refreshes_the_partner(cpo_emsp: tuple[Node, Node]) -> None:
    cpo, emsp = cpo_emsp
    at_cpo, at_emsp = await registered_pair(cpo, emsp)
    old_c, old_b = at_emsp.outgoing_token or "", at_cpo.outgoing_token or ""
    updated = await handshake.update_at(
        emsp.node.uow,
        at_emsp.id,
        identity=NodeIdentity.from_settings(emsp.settings),
        clients=client_factory(emsp.node.http),
        now=now,
    )
    new_c = updated.outgoing_token or ""
    new_b = (await partner_of(cpo)).outgoing_token or ""
    assert new_c != old_c and new_b != old_b
    assert updated.status == "REGISTERED" and {e.identifier for e in updated.endpoints} >= {"credentials"}
    # Both sides have used the new tokens during the update, which retired the old ones.
    assert (await cpo.client.get("/ocpi/2.2.1/credentials", headers=cpo.auth(new_c))).status_code == 200
    assert (await cpo.client.get("/ocpi/2.2.1/credentials", headers=cpo.auth(old_c))).status_code == 401
    assert (await emsp.client.get("/ocpi/2.2.1/credentials", headers=emsp.auth(new_b))).status_code == 200
    assert (await emsp.client.get("/ocpi/2.2.1/credentials", headers=emsp.auth(old_b))).status_code == 401


async def test_token_issued_by_put_is_pending_until_first_use(cpo_emsp: tuple[Node, Node]) -> None:
    cpo, emsp = cpo_emsp
    _, at_emsp = await registered_pair(cpo, emsp)
    old_c = at_emsp.outgoing_token or ""
    body = {
        "token": "fresh-token-b",
        "url": "http://emsp.test/ocpi/versions",
        "roles": [
            {"role": "EMSP", "party_id": "MSP", "country_code": "NL", "business_details": {"name": "E2"}}
        ],
    }
    # The partner must accept our call-back with its new token B: register it at the eMSP as it would.
    async with emsp.node.uow() as uow:
        [cpo_at_emsp] = list(await uow.partners.list())
        uow.partners.add_token(
            IssuedTokenRecord(
                partner_id=cpo_at_emsp.id,
                token_hash=hash_token("fresh-token-b"),
                kind="ACCESS",
                state="ACTIVE",
                created_at=now(),
            )
        )
        await uow.commit()
    response = await cpo.client.put("/ocpi/2.2.1/credentials", json=body, headers=cpo.auth(old_c))
    assert response.json()["status_code"] == 1000
    new_c = response.json()["data"]["token"]
    assert new_c != old_c
    assert (await partner_of(cpo)).roles[0].business_details == {"name": "E2"}
    # Until the partner uses the new token, the old one keeps working (our answer might have been lost)...
    assert (await cpo.client.get("/ocpi/2.2.1/credentials", headers=cpo.auth(old_c))).status_code == 200
    assert (await cpo.client.get("/ocpi/2.2.1/credentials", headers=cpo.auth(new_c))).status_code == 200
    # ...and from its first use on, only the new one does.
    assert (await cpo.client.get("/ocpi/2.2.1/credentials", headers=cpo.auth(old_c))).status_code == 401


async def test_delete_unregisters_both_sides(cpo_emsp: tuple[Node, Node]) -> None:
    cpo, emsp = cpo_emsp
    at_cpo, at_emsp = await registered_pair(cpo, emsp)
    token_c, token_b = at_emsp.outgoing_token or "", at_cpo.outgoing_token or ""
    await handshake.unregister_from(
        emsp.node.uow, at_emsp.id, clients=client_factory(emsp.node.http), now=now
    )
    assert (await partner_of(cpo)).status == "UNREGISTERED"
    assert (await partner_of(emsp)).status == "UNREGISTERED"
    assert (await cpo.client.get("/ocpi/2.2.1/credentials", headers=cpo.auth(token_c))).status_code == 401
    assert (await emsp.client.get("/ocpi/2.2.1/credentials", headers=emsp.auth(token_b))).status_code == 401


async def test_request_and_correlation_ids_are_echoed_or_generated(cpo_emsp: tuple[Node, Node]) -> None:
    cpo, _ = cpo_emsp
    token_a = await invite(cpo)
    echoed = await cpo.client.get(
        "/ocpi/versions", headers={**cpo.auth(token_a), "X-Request-ID": "req-1", "X-Correlation-ID": "corr-1"}
    )
    assert echoed.headers["X-Request-ID"] == "req-1"
    assert echoed.headers["X-Correlation-ID"] == "corr-1"
    generated = await cpo.client.get("/ocpi/versions", headers=cpo.auth(token_a))
    assert len(generated.headers["X-Request-ID"]) == 36
    assert len(generated.headers["X-Correlation-ID"]) == 36


async def test_trailing_slash_and_unknown_paths_get_envelopes(cpo_emsp: tuple[Node, Node]) -> None:
    cpo, _ = cpo_emsp
    token_a = await invite(cpo)
    slashed = await cpo.client.get("/ocpi/versions/", headers=cpo.auth(token_a))
    assert slashed.status_code == 200 and slashed.json()["status_code"] == 1000
    unknown = await cpo.client.get("/ocpi/nothing-here", headers=cpo.auth(token_a))
    assert unknown.status_code == 404
    assert unknown.json()["status_code"] == 2000
    wrong_method = await cpo.client.patch("/ocpi/2.2.1/credentials", headers=cpo.auth(token_a))
    assert wrong_method.status_code == 405
    assert wrong_method.json()["status_code"] == 2000


async def test_an_unexpected_error_is_an_ocpi_3000_envelope_without_traceback(
    cpo_emsp: tuple[Node, Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    cpo, emsp = cpo_emsp
    _, at_emsp = await registered_pair(cpo, emsp)

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(handshake, "credentials_for", explode)
    response = await cpo.client.get(
        "/ocpi/2.2.1/credentials", headers={**cpo.auth(at_emsp.outgoing_token or ""), "X-Request-ID": "r-42"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == 3000
    assert "r-42" in body["status_message"]
    assert "secret internal detail" not in response.text and "Traceback" not in response.text
