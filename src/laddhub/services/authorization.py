"""Local authorisation of a token at one of our chargers, with the eMSP's real-time answer where needed.

What the CPO may decide alone is the token's `whitelist` (digest §9.4 and its [Interpretation]):

| whitelist        | asks the eMSP? | when the eMSP cannot be reached           |
|------------------|----------------|-------------------------------------------|
| ALWAYS           | never          | (not asked) allowed if the token is valid |
| ALLOWED          | no (local)     | (not asked) allowed if the token is valid |
| ALLOWED_OFFLINE  | yes            | allowed if the stored token is valid      |
| NEVER            | yes            | refused                                   |
| (unknown token)  | yes, if we know its eMSP | refused                         |

The eMSP is asked with `POST {its tokens endpoint}/{uid}/authorize?type=` and the Location and EVSE as
LocationReferences. Its answer decides: ALLOWED (at this EVSE, if it lists EVSEs) lets the driver charge,
anything else does not; OCPI status 2004 (sent with HTTP 404) means the eMSP does not know the token. A
timeout, a connection error or a server error count as unreachable, and the whitelist decides. The
`authorization_reference` the eMSP returns goes into the session and the CDR.

Which eMSP to ask: the owner of the stored token; for a token we do not hold, the eMSP whose party the
contract id names (an eMA ID such as ``NL-TNM-C12345678-X`` starts with country and party) or, failing
that, the party configured for the uid's prefix (`realtime_authorization_uid_prefixes`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import ValidationError

from laddhub.ocpi.client import PartnerError, Party, Routing
from laddhub.ocpi.common import DisplayText, ci_key
from laddhub.ocpi.status import StatusCode
from laddhub.ocpi.v2_2_1.cdrs import AuthMethod
from laddhub.ocpi.v2_2_1.tokens import (
    AllowedType,
    AuthorizationInfo,
    LocationReferences,
    Token,
    TokenType,
    WhitelistType,
)
from laddhub.ocpi.validation import describe_validation_error
from laddhub.services.partner_clients import ClientFactory
from laddhub.services.partner_directory import client_for, endpoint, join, partner_playing
from laddhub.store.tables import PartnerRecord, TokenRecord
from laddhub.store.uow import UnitOfWorkFactory

log = logging.getLogger("laddhub.authorization")

_EMA_ID = re.compile(r"^([A-Za-z]{2})[-*]?([A-Za-z0-9]{3})(?:[-*]|[A-Za-z0-9])")


@dataclass(frozen=True, slots=True)
class PresentedToken:
    """What a charger reads: a uid and its type, and the contract id when the vehicle tells it (ISO 15118)."""

    uid: str
    type: TokenType = TokenType.RFID
    contract_id: str | None = None


class Route(StrEnum):
    """What the whitelist lets the CPO do with a token."""

    ALLOW = "ALLOW"
    DENY = "DENY"
    ASK_EMSP = "ASK_EMSP"


@dataclass(frozen=True, slots=True)
class Plan:
    """The whitelist's verdict before anyone is asked, and what to do if the eMSP cannot be reached."""

    route: Route
    allow_if_unreachable: bool
    reason: str


def plan(token: Token | None) -> Plan:
    """What the whitelist rules say for a token (None: a token we do not hold). Pure."""
    if token is None:
        return Plan(Route.ASK_EMSP, False, "unknown token: only its eMSP can allow it")
    validity = "valid" if token.valid else "not valid"
    if token.whitelist in (WhitelistType.ALWAYS, WhitelistType.ALLOWED):
        route = Route.ALLOW if token.valid else Route.DENY
        return Plan(route, token.valid, f"whitelist {token.whitelist.value}: the stored token is {validity}")
    if token.whitelist is WhitelistType.ALLOWED_OFFLINE:
        return Plan(
            Route.ASK_EMSP,
            token.valid,
            f"whitelist ALLOWED_OFFLINE: ask the eMSP; offline the stored token ({validity}) decides",
        )
    return Plan(Route.ASK_EMSP, False, "whitelist NEVER: only the eMSP can allow it")


class Answer(StrEnum):
    """How a real-time authorisation request ended."""

    ANSWERED = "ANSWERED"
    NOT_FOUND = "NOT_FOUND"
    """The eMSP does not know the token (404 / 2004)."""
    UNREACHABLE = "UNREACHABLE"
    NOBODY_TO_ASK = "NOBODY_TO_ASK"


@dataclass(frozen=True, slots=True)
class RealtimeOutcome:
    """The eMSP's answer (with its AuthorizationInfo when it gave one), or why there is none."""

    answer: Answer
    info: AuthorizationInfo | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether the driver may charge, how that was decided, and what the session must record."""

    allowed: bool
    reason: str
    method: AuthMethod | None = None
    token: Token | None = None
    """The token for the session's cdr_token: the eMSP's complete token, else the stored one."""
    authorization_reference: str | None = None
    info: DisplayText | None = None


def _listed(evse_uid: str, references: LocationReferences | None) -> bool:
    if references is None or not references.evse_uids:
        return True
    return any(ci_key(uid) == ci_key(evse_uid) for uid in references.evse_uids)


def decide(verdict: Plan, stored: Token | None, outcome: RealtimeOutcome | None, evse_uid: str) -> Decision:
    """The final decision from the whitelist's plan and, when the eMSP was asked, its answer. Pure."""
    if verdict.route is not Route.ASK_EMSP or outcome is None:
        allowed = verdict.route is Route.ALLOW
        return Decision(allowed, verdict.reason, AuthMethod.WHITELIST if allowed else None, stored)
    if outcome.answer is Answer.ANSWERED and outcome.info is not None:
        info = outcome.info
        allowed = info.allowed is AllowedType.ALLOWED and _listed(evse_uid, info.location)
        if info.allowed is AllowedType.ALLOWED and not allowed:
            reason = f"the eMSP allows the token, but not at EVSE {evse_uid}"
        else:
            reason = f"the eMSP answered {info.allowed.value}"
        return Decision(
            allowed,
            reason,
            AuthMethod.AUTH_REQUEST if allowed else None,
            info.token,
            info.authorization_reference,
            info.info,
        )
    if outcome.answer is Answer.NOT_FOUND:
        return Decision(False, "the eMSP does not know the token")
    if verdict.allow_if_unreachable:
        return Decision(
            True, f"{verdict.reason}; eMSP unreachable ({outcome.detail})", AuthMethod.WHITELIST, stored
        )
    return Decision(False, f"{verdict.reason}; {outcome.detail or 'no answer'}")


def party_of_contract(contract_id: str) -> tuple[str, str] | None:
    """The (country_code, party_id) an eMA ID starts with, e.g. NL/TNM for ``NL-TNM-C12345678-X``."""
    match = _EMA_ID.match(contract_id.strip())
    return None if match is None else (match.group(1).upper(), match.group(2).upper())


def party_of_uid(uid: str, prefixes: Mapping[str, tuple[str, str]]) -> tuple[str, str] | None:
    """The party configured for the longest prefix of `uid` (compared without regard to case)."""
    key = ci_key(uid)
    matches = [(len(prefix), party) for prefix, party in prefixes.items() if key.startswith(ci_key(prefix))]
    return max(matches)[1] if matches else None


def pick_stored(records: Sequence[Token], contract_id: str | None) -> Token | None:
    """The stored token a charger read means, when several eMSPs hold a token with that uid and type.

    One whose contract id matches wins (the vehicle told it), then a valid one, then the latest changed.
    """
    if not records:
        return None

    def rank(token: Token) -> tuple[bool, bool, object]:
        same_contract = contract_id is not None and ci_key(token.contract_id) == ci_key(contract_id)
        return (same_contract, token.valid, token.last_updated)

    return max(records, key=rank)


@dataclass(frozen=True, slots=True)
class AuthorizationSettings:
    """How long to wait for the eMSP, and which eMSP owns unknown uids (prefix -> (country, party))."""

    timeout_s: float
    uid_prefixes: Mapping[str, tuple[str, str]]


class Authorizer:
    """Authorises tokens presented at our chargers: stored tokens, whitelist rules, real-time requests."""

    def __init__(self, uow: UnitOfWorkFactory, clients: ClientFactory, config: AuthorizationSettings) -> None:
        self._uow = uow
        self._clients = clients
        self._config = config

    async def authorize(
        self, presented: PresentedToken, *, cpo: tuple[str, str], location_id: str, evse_uid: str
    ) -> Decision:
        """Decide whether `presented` may charge at EVSE `evse_uid` of our Location `location_id`.

        Opens no transaction while it waits for the eMSP: the stored token and partners are read first.
        """
        async with self._uow() as uow:
            records: Sequence[TokenRecord] = await uow.tokens.by_uid(presented.uid, presented.type)
            stored = pick_stored([uow.tokens.parse(r) for r in records], presented.contract_id)
            partners = await uow.partners.by_status("REGISTERED")
        verdict = plan(stored)
        if verdict.route is not Route.ASK_EMSP:
            return decide(verdict, stored, None, evse_uid)
        party = self._emsp_party(presented, stored)
        partner = None if party is None else partner_playing(partners, *party, roles=("EMSP",))
        if party is None or partner is None:
            who = "no eMSP is known for this token" if party is None else f"eMSP {party[0]}/{party[1]}"
            detail = who if party is None else f"{who} is not a registered partner"
            return decide(verdict, stored, RealtimeOutcome(Answer.NOBODY_TO_ASK, detail=detail), evse_uid)
        outcome = await self._ask(partner, party, presented, cpo, location_id, evse_uid)
        decision = decide(verdict, stored, outcome, evse_uid)
        log.info(
            "token of %s/%s at %s/%s: %s (%s)",
            party[0],
            party[1],
            location_id,
            evse_uid,
            "allowed" if decision.allowed else "refused",
            decision.reason,
        )
        return decision

    def _emsp_party(self, presented: PresentedToken, stored: Token | None) -> tuple[str, str] | None:
        if stored is not None:
            return (stored.country_code, stored.party_id)
        if presented.contract_id:
            party = party_of_contract(presented.contract_id)
            if party is not None:
                return party
        return party_of_uid(presented.uid, self._config.uid_prefixes)

    async def _ask(
        self,
        partner: PartnerRecord,
        party: tuple[str, str],
        presented: PresentedToken,
        cpo: tuple[str, str],
        location_id: str,
        evse_uid: str,
    ) -> RealtimeOutcome:
        client = client_for(partner, self._clients)
        tokens = endpoint(partner, "tokens", "SENDER")
        if client is None or tokens is None:
            return RealtimeOutcome(Answer.UNREACHABLE, detail=f"{partner.name} publishes no tokens Sender")
        url = join(tokens, presented.uid, "authorize")
        body = LocationReferences(location_id=location_id, evse_uids=[evse_uid]).to_ocpi()
        routing = Routing(Party(*cpo), Party(*party))
        try:
            response = await asyncio.wait_for(
                client.call("POST", url, body=body, params={"type": presented.type.value}, routing=routing),
                self._config.timeout_s,
            )
        except TimeoutError:
            return RealtimeOutcome(Answer.UNREACHABLE, detail=f"no answer within {self._config.timeout_s}s")
        except PartnerError as exc:
            if exc.ocpi_status == StatusCode.UNKNOWN_TOKEN:
                return RealtimeOutcome(Answer.NOT_FOUND, detail=exc.message)
            return RealtimeOutcome(Answer.UNREACHABLE, detail=exc.message)
        try:
            info = AuthorizationInfo.model_validate(response.data)
        except ValidationError as exc:
            return RealtimeOutcome(
                Answer.UNREACHABLE,
                detail=f"the eMSP's AuthorizationInfo is invalid: {describe_validation_error(exc)}",
            )
        return RealtimeOutcome(Answer.ANSWERED, info)
