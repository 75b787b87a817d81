"""Local authorisation at a charger: the whitelist rules with a fake eMSP that answers ALLOWED, BLOCKED,
404 / 2004, too late, or not at all, for every whitelist value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.charging.harness import ChargingWorld, charging_world, evse

BEHAVIOURS = ("ALLOWED", "BLOCKED", "UNKNOWN", "SLOW", "DOWN")
EVSES = [evse(f"E{i}") for i in range(1, len(BEHAVIOURS) + 1)]

# What each whitelist value does with each eMSP behaviour: (allowed, asked the eMSP, auth_method).
EXPECTED: dict[str, dict[str, tuple[bool, bool, str | None]]] = {
    "ALWAYS": {b: (True, False, "WHITELIST") for b in BEHAVIOURS},
    "ALLOWED": {b: (True, False, "WHITELIST") for b in BEHAVIOURS},
    "ALLOWED_OFFLINE": {
        "ALLOWED": (True, True, "AUTH_REQUEST"),
        "BLOCKED": (False, True, None),
        "UNKNOWN": (False, True, None),
        "SLOW": (True, True, "WHITELIST"),
        "DOWN": (True, True, "WHITELIST"),
    },
    "NEVER": {
        "ALLOWED": (True, True, "AUTH_REQUEST"),
        "BLOCKED": (False, True, None),
        "UNKNOWN": (False, True, None),
        "SLOW": (False, True, None),
        "DOWN": (False, True, None),
    },
}


async def badge(world: ChargingWorld, evse_uid: str, **body: Any) -> dict[str, Any]:
    await world.admin("POST", f"LOC1/{evse_uid}/plug-in")
    response = await world.admin("POST", f"LOC1/{evse_uid}/authorize", {"uid": "04A1B2C3", **body})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.parametrize("whitelist", list(EXPECTED))
async def test_each_whitelist_value_against_every_answer_of_the_emsp(
    backend: str, tmp_path: Path, whitelist: str
) -> None:
    async with charging_world(backend, tmp_path, evses=EVSES) as world:
        await world.store_token(whitelist=whitelist)
        for index, behaviour in enumerate(BEHAVIOURS, start=1):
            world.emsp.authorize = behaviour
            world.emsp.slow_s = 1.0
            asked_before = len(world.emsp.requests("/authorize"))
            answer = await badge(world, f"E{index}")
            allowed, asked, method = EXPECTED[whitelist][behaviour]
            label = f"{whitelist} / {behaviour}: {answer}"
            assert answer["allowed"] is allowed, label
            assert (len(world.emsp.requests("/authorize")) > asked_before) is asked, label
            assert answer["auth_method"] == method, label
            assert (answer["session_id"] is not None) is allowed, label
            if method == "AUTH_REQUEST":
                session = await world.session(answer["session_id"])
                assert session.authorization_reference == "AUTH-04A1B2C3"
                assert session.auth_method.value == "AUTH_REQUEST"


async def test_the_request_names_the_location_and_evse_and_carries_the_routing_headers(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        await world.store_token(whitelist="NEVER")
        await badge(world, "E2")
        [request] = world.emsp.requests("/authorize")
        assert request.method == "POST"
        assert request.path == "/tokens/04A1B2C3/authorize" and request.query == "type=RFID"
        assert request.body == {"location_id": "LOC1", "evse_uids": ["E2"]}
        assert request.headers["ocpi-from-party-id"] == "CPO" and request.headers["ocpi-to-party-id"] == "MSP"


async def test_an_allowed_answer_for_other_evses_refuses_this_one(backend: str, tmp_path: Path) -> None:
    async with charging_world(backend, tmp_path) as world:
        await world.store_token(whitelist="NEVER")
        world.emsp.evse_uids = ["E2"]
        refused = await badge(world, "E1")
        assert not refused["allowed"] and "E1" in refused["reason"]
        allowed = await badge(world, "E2")
        assert allowed["allowed"]


async def test_an_invalid_token_is_refused_locally_without_asking(backend: str, tmp_path: Path) -> None:
    async with charging_world(backend, tmp_path) as world:
        await world.store_token(whitelist="ALWAYS", valid=False)
        answer = await badge(world, "E1")
        assert not answer["allowed"] and not world.emsp.requests("/authorize")
        assert await world.sessions() == []


async def test_unknown_tokens_are_asked_of_the_emsp_named_by_contract_id_or_uid_prefix(
    backend: str, tmp_path: Path
) -> None:
    prefixes = "04A1=NL:MSP"
    async with charging_world(
        backend, tmp_path, evses=EVSES, realtime_authorization_uid_prefixes=prefixes
    ) as world:
        by_prefix = await badge(world, "E1")
        assert by_prefix["allowed"] and by_prefix["auth_method"] == "AUTH_REQUEST"
        session = await world.session(by_prefix["session_id"])
        assert session.cdr_token.contract_id == "NL-MSP-C00000001-X"  # from the eMSP's AuthorizationInfo

        response = await world.admin(
            "POST", "LOC1/E2/authorize", {"uid": "FFEE0011", "contract_id": "NL-OTH-C99999999-Y"}
        )
        assert response.json()["allowed"]
        assert len(world.other.requests("/authorize")) == 1

        nobody = await world.admin("POST", "LOC1/E3/authorize", {"uid": "99887766"})
        assert not nobody.json()["allowed"] and "no eMSP" in nobody.json()["reason"]


async def test_a_busy_charger_refuses_another_token_without_asking(backend: str, tmp_path: Path) -> None:
    async with charging_world(backend, tmp_path) as world:
        await world.store_token(whitelist="ALWAYS")
        await badge(world, "E1")
        other = await world.admin("POST", "LOC1/E1/authorize", {"uid": "DIFFERENT"})
        assert not other.json()["allowed"] and other.json()["result"] == "EVSE_OCCUPIED"
        assert not world.emsp.requests("/authorize")
