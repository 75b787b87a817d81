"""The whitelist rules and the eMSP's real-time answer decide whether a driver may charge."""

from __future__ import annotations

from typing import Any

import pytest

from laddhub.ocpi.v2_2_1.cdrs import AuthMethod
from laddhub.ocpi.v2_2_1.tokens import AuthorizationInfo, Token, WhitelistType
from laddhub.services.authorization import (
    Answer,
    RealtimeOutcome,
    Route,
    decide,
    party_of_contract,
    party_of_uid,
    pick_stored,
    plan,
)


def token(whitelist: str, *, valid: bool = True, **extra: Any) -> Token:
    return Token.model_validate(
        {
            "country_code": "NL",
            "party_id": "MSP",
            "uid": "04A1B2",
            "type": "RFID",
            "contract_id": "NL-MSP-C00000001-X",
            "issuer": "MSP",
            "valid": valid,
            "whitelist": whitelist,
            "last_updated": "2026-11-01T00:00:00Z",
            **extra,
        }
    )


def answered(
    allowed: str, *, evse_uids: list[str] | None = None, reference: str | None = "REF-1"
) -> RealtimeOutcome:
    info: dict[str, Any] = {"allowed": allowed, "token": token("NEVER").to_ocpi()}
    if reference:
        info["authorization_reference"] = reference
    if evse_uids is not None:
        info["location"] = {"location_id": "LOC1", "evse_uids": evse_uids}
    return RealtimeOutcome(Answer.ANSWERED, AuthorizationInfo.model_validate(info))


UNREACHABLE = RealtimeOutcome(Answer.UNREACHABLE, detail="timed out")
NOT_FOUND = RealtimeOutcome(Answer.NOT_FOUND, detail="2004")


@pytest.mark.parametrize(
    ("whitelist", "valid", "route"),
    [
        ("ALWAYS", True, Route.ALLOW),
        ("ALWAYS", False, Route.DENY),
        ("ALLOWED", True, Route.ALLOW),
        ("ALLOWED", False, Route.DENY),
        ("ALLOWED_OFFLINE", True, Route.ASK_EMSP),
        ("ALLOWED_OFFLINE", False, Route.ASK_EMSP),
        ("NEVER", True, Route.ASK_EMSP),
        ("NEVER", False, Route.ASK_EMSP),
    ],
)
def test_the_whitelist_says_who_decides(whitelist: str, valid: bool, route: Route) -> None:
    assert plan(token(whitelist, valid=valid)).route is route


def test_an_unknown_token_must_be_asked_and_is_refused_when_nobody_answers() -> None:
    verdict = plan(None)
    assert verdict.route is Route.ASK_EMSP
    assert not decide(verdict, None, UNREACHABLE, "E1").allowed


@pytest.mark.parametrize("whitelist", ["ALWAYS", "ALLOWED"])
def test_local_whitelists_allow_a_valid_token_without_asking(whitelist: str) -> None:
    stored = token(whitelist)
    decision = decide(plan(stored), stored, None, "E1")
    assert decision.allowed and decision.method is AuthMethod.WHITELIST and decision.token == stored


@pytest.mark.parametrize(
    ("whitelist", "valid", "outcome", "allowed"),
    [
        ("ALLOWED_OFFLINE", True, UNREACHABLE, True),
        ("ALLOWED_OFFLINE", False, UNREACHABLE, False),
        ("NEVER", True, UNREACHABLE, False),
        ("ALLOWED_OFFLINE", True, NOT_FOUND, False),
        ("NEVER", True, NOT_FOUND, False),
    ],
)
def test_without_an_answer_only_allowed_offline_falls_back_to_the_stored_token(
    whitelist: str, valid: bool, outcome: RealtimeOutcome, allowed: bool
) -> None:
    stored = token(whitelist, valid=valid)
    decision = decide(plan(stored), stored, outcome, "E1")
    assert decision.allowed is allowed
    if allowed:
        assert decision.method is AuthMethod.WHITELIST


@pytest.mark.parametrize("whitelist", ["ALLOWED_OFFLINE", "NEVER"])
@pytest.mark.parametrize("answer", ["BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED"])
def test_any_answer_but_allowed_refuses_even_a_valid_token(whitelist: str, answer: str) -> None:
    stored = token(whitelist)
    decision = decide(plan(stored), stored, answered(answer), "E1")
    assert not decision.allowed and answer in decision.reason


def test_an_allowed_answer_uses_the_emsps_token_and_reference() -> None:
    stored = token("NEVER", valid=False)
    decision = decide(plan(stored), stored, answered("ALLOWED"), "E1")
    assert decision.allowed
    assert decision.method is AuthMethod.AUTH_REQUEST
    assert decision.authorization_reference == "REF-1"
    assert decision.token is not None and decision.token.whitelist is WhitelistType.NEVER


def test_an_allowed_answer_listing_other_evses_refuses_this_one() -> None:
    verdict = plan(None)
    assert decide(verdict, None, answered("ALLOWED", evse_uids=["e1", "E2"]), "E1").allowed
    refused = decide(verdict, None, answered("ALLOWED", evse_uids=["E2"]), "E1")
    assert not refused.allowed and "not at EVSE E1" in refused.reason


def test_emsp_of_a_contract_id_and_of_a_uid_prefix() -> None:
    assert party_of_contract("NL-TNM-C12345678-X") == ("NL", "TNM")
    assert party_of_contract("nltnmc12345678x") == ("NL", "TNM")
    assert party_of_contract("DE8ACC12E46L89") == ("DE", "8AC")
    assert party_of_contract("12") is None
    prefixes = {"04": ("NL", "AAA"), "04a1": ("DE", "BBB")}
    assert party_of_uid("04A1FF", prefixes) == ("DE", "BBB")
    assert party_of_uid("04FF", prefixes) == ("NL", "AAA")
    assert party_of_uid("FF", prefixes) is None


def test_of_several_stored_tokens_the_matching_contract_then_a_valid_one_wins() -> None:
    a = token("ALWAYS", valid=False, contract_id="NL-MSP-A")
    b = token("ALWAYS", valid=True, contract_id="NL-MSP-B", last_updated="2026-10-01T00:00:00Z")
    assert pick_stored([a, b], None) is b
    assert pick_stored([a, b], "nl-msp-a") is a
    assert pick_stored([], None) is None
