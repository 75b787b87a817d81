"""The eMSPs' tokens at the CPO: the Tokens Receiver (PUT, PATCH, GET) and the pull of a Tokens Sender.

Receiving (digest §9.2): a token is identified by (country_code, party_id, uid, type); the URL names the
eMSP, which must be one of the caller's registered roles (else 404; a Hub relays any eMSP's tokens), and
the body's ids must equal the URL's (else 2001). The `type` query parameter defaults to RFID; a partner
that leaves it out while pushing a token of another type is taken at its body's word, with a warning. A
PATCH needs `last_updated` (2001) and an existing token (404). A version older than the stored one
changes nothing and is still acknowledged, because a retried or overtaken push is not an error.

Pulling (digest §2.5, §9.1): `sync_tokens` walks the eMSP's Tokens Sender page by page, storing each page
in its own transaction. A full pull is the complete truth, so afterwards the partner's tokens that no
page listed are deleted; a pull limited by `date_from` only refreshes.

Either way, a token we learn may unlock Locations with `publish: false` for its owner; those Locations are
then pushed to it (`location_audience`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from laddhub.ocpi.client import PartnerError, Party, Routing
from laddhub.ocpi.common import ci_key, format_datetime
from laddhub.ocpi.status import InvalidParameters, NotFound
from laddhub.ocpi.v2_2_1.tokens import Token, TokenPatch, TokenType
from laddhub.services import cpo_changes
from laddhub.services.cpo_data import apply_patch, require_object, same_id, validate
from laddhub.services.handshake import REGISTERED
from laddhub.services.location_audience import unpublished_for_tokens
from laddhub.services.partner_clients import ClientFactory
from laddhub.services.publishing import publish
from laddhub.store.tables import PartnerRecord, TokenRecord
from laddhub.store.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("laddhub.tokens")

__all__ = [
    "Stored",
    "SyncReport",
    "TokenKey",
    "parse_token_type",
    "patch_token",
    "put_token",
    "read_token",
    "sync_tokens",
]


class Stored(StrEnum):
    """What a PUT or PATCH did: created the token, updated it, or kept a newer stored version."""

    CREATED = "CREATED"
    UPDATED = "UPDATED"
    KEPT = "KEPT"


@dataclass(frozen=True, slots=True)
class TokenKey:
    """A token as the Receiver URL names it. `type` is None when the URL left `?type=` out."""

    country_code: str
    party_id: str
    uid: str
    type: TokenType | None

    @property
    def effective_type(self) -> TokenType:
        return self.type or TokenType.RFID

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id}/{self.uid} ({self.effective_type.value})"


def parse_token_type(value: str | None) -> TokenType | None:
    """The `type` query parameter (2001 naming it when it is not a TokenType); None when absent."""
    if value is None or value == "":
        return None
    try:
        return TokenType(value.strip().upper())
    except ValueError:
        allowed = ", ".join(t.value for t in TokenType)
        raise InvalidParameters(f"type: '{value}' is not one of {allowed}") from None


def _owned(partner: PartnerRecord, country_code: str, party_id: str) -> bool:
    wanted = (ci_key(country_code), ci_key(party_id))
    return any((ci_key(r.country_code), ci_key(r.party_id)) == wanted for r in partner.roles)


def _is_hub(partner: PartnerRecord) -> bool:
    return any(r.role == "HUB" for r in partner.roles)


def _require_owner(partner: PartnerRecord, key: TokenKey) -> None:
    # A Hub relays the tokens of the eMSPs behind it, under their own country and party (digest §2.9).
    if not _is_hub(partner) and not _owned(partner, key.country_code, key.party_id):
        raise NotFound(f"{key.country_code}/{key.party_id} is not a party of the calling platform")


def _check_body_ids(key: TokenKey, body: dict[str, Any]) -> None:
    same_id("country_code", key.country_code, body.get("country_code"))
    same_id("party_id", key.party_id, body.get("party_id"))
    same_id("uid", key.uid, body.get("uid"))
    if key.type is not None:
        same_id("type", key.type.value, body.get("type"))


def _is_stale(incoming: datetime, stored: TokenRecord, key: TokenKey, partner: PartnerRecord) -> bool:
    if incoming < stored.last_updated:
        log.info(
            "kept token %s: %s sent last_updated %s, older than the stored %s",
            key,
            partner.name,
            format_datetime(incoming),
            format_datetime(stored.last_updated),
        )
        return True
    return False


async def _announce_unpublished(uow: UnitOfWork, tokens: Sequence[Token], now: datetime) -> None:
    """Push the unpublished Locations these tokens may see to the tokens' owners."""
    for location, parties in await unpublished_for_tokens(uow, tokens):
        await publish(uow, cpo_changes.location_put(location.to_ocpi(), audience=frozenset(parties)), now=now)


async def read_token(uow_factory: UnitOfWorkFactory, partner: PartnerRecord, key: TokenKey) -> str:
    """The stored token as JSON text; 404 when the URL's party is not the caller's or no such token."""
    _require_owner(partner, key)
    async with uow_factory() as uow:
        record = await uow.tokens.get_token(key.country_code, key.party_id, key.uid, key.effective_type)
    if record is None:
        raise NotFound(f"no token {key}")
    return record.document


async def put_token(
    uow_factory: UnitOfWorkFactory, partner: PartnerRecord, key: TokenKey, payload: Any, *, now: datetime
) -> Stored:
    """Create or replace a token pushed by its eMSP."""
    _require_owner(partner, key)
    body = require_object(payload, "a Token")
    _check_body_ids(key, body)
    token = validate(Token, body, f"Token from {partner.name}")
    if key.type is None and token.type is not TokenType.RFID:
        log.warning(
            "%s pushed a %s token without ?type= in the URL; using the body's type", partner.name, token.type
        )
    async with uow_factory() as uow:
        stored = await uow.tokens.get_token(
            token.country_code, token.party_id, token.uid, token.type, lock=True
        )
        if stored is not None and _is_stale(token.last_updated, stored, key, partner):
            return Stored.KEPT
        await uow.tokens.upsert(token, partner_id=partner.id, now=now)
        await _announce_unpublished(uow, [token], now)
        await uow.commit()
    return Stored.CREATED if stored is None else Stored.UPDATED


async def patch_token(
    uow_factory: UnitOfWorkFactory, partner: PartnerRecord, key: TokenKey, payload: Any, *, now: datetime
) -> Stored:
    """Change some fields of a stored token (`last_updated` required, as in every 2.2.1 PATCH)."""
    _require_owner(partner, key)
    body = require_object(payload, "fields of a Token")
    _check_body_ids(key, body)
    patch = validate(TokenPatch, body, f"Token PATCH from {partner.name}")
    async with uow_factory() as uow:
        stored = await uow.tokens.get_token(
            key.country_code, key.party_id, key.uid, key.effective_type, lock=True
        )
        if stored is None:
            raise NotFound(f"no token {key}; PUT the token first")
        if _is_stale(patch.last_updated, stored, key, partner):
            return Stored.KEPT
        token = apply_patch(patch, uow.tokens.parse(stored))
        await uow.tokens.upsert(token, partner_id=partner.id, now=now)
        await _announce_unpublished(uow, [token], now)
        await uow.commit()
    return Stored.UPDATED


# --- pulling ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What a pull of a partner's tokens did."""

    received: int
    stored: int
    kept: int
    invalid: int
    ignored: int
    removed: int
    complete: bool
    """A full pull (no `date_from`): the partner's tokens missing from it were removed."""


def _tokens_sender(partner: PartnerRecord) -> str:
    for wanted in ("SENDER", None):
        for endpoint in partner.endpoints:
            if endpoint.identifier == "tokens" and endpoint.interface_role == wanted:
                return endpoint.url
    raise PartnerError(f"{partner.name} publishes no Tokens Sender endpoint; it cannot be pulled from")


def _routing(partner: PartnerRecord, ours: Party) -> Routing:
    emsp = next((r for r in partner.roles if r.role == "EMSP"), None) or (
        partner.roles[0] if partner.roles else None
    )
    if emsp is None:
        raise PartnerError(f"{partner.name} registered no roles")
    return Routing(from_party=ours, to_party=Party(emsp.country_code, emsp.party_id))


@dataclass
class _Tally:
    received: int = 0
    stored: int = 0
    kept: int = 0
    invalid: int = 0
    ignored: int = 0


async def _store_page(
    uow_factory: UnitOfWorkFactory,
    partner: PartnerRecord,
    items: list[Any],
    seen: set[tuple[str, str, str, str]],
    tally: _Tally,
    now: datetime,
) -> None:
    tokens: list[Token] = []
    hub = _is_hub(partner)
    for index, item in enumerate(items):
        tally.received += 1
        try:
            token = validate(Token, item, f"Token from {partner.name}")
        except InvalidParameters as exc:
            log.warning("skipping token %d of a page from %s: %s", index, partner.name, exc.message)
            tally.invalid += 1
            continue
        if not hub and not _owned(partner, token.country_code, token.party_id):
            log.warning(
                "ignoring token %s/%s/%s of a party %s does not own",
                token.country_code,
                token.party_id,
                token.uid,
                partner.name,
            )
            tally.ignored += 1
            continue
        seen.add((ci_key(token.country_code), ci_key(token.party_id), ci_key(token.uid), token.type.value))
        tokens.append(token)
    async with uow_factory() as uow:
        changed: list[Token] = []
        for token in tokens:
            stored = await uow.tokens.get_token(
                token.country_code, token.party_id, token.uid, token.type, lock=True
            )
            if stored is not None and token.last_updated <= stored.last_updated:
                tally.kept += 1
                continue
            await uow.tokens.upsert(token, partner_id=partner.id, now=now)
            changed.append(token)
            tally.stored += 1
        await _announce_unpublished(uow, changed, now)
        await uow.commit()


async def sync_tokens(
    uow_factory: UnitOfWorkFactory,
    partner_id: int,
    *,
    clients: ClientFactory,
    ours: Party,
    now: datetime,
    date_from: datetime | None = None,
) -> SyncReport:
    """Pull the tokens of a registered eMSP (or Hub) from its Tokens Sender and store them.

    Raises `PartnerError` when the partner cannot be called; pages stored before the failure stay (they
    are valid tokens), but nothing is removed unless every page arrived.
    """
    async with uow_factory() as uow:
        partner = await uow.partners.get(partner_id)
    if partner is None or partner.status != REGISTERED or not partner.outgoing_token:
        raise PartnerError(f"partner {partner_id} is not registered with us")
    client = clients(partner.outgoing_token, partner.version or "2.2.1")
    params = {"date_from": format_datetime(date_from)} if date_from is not None else None
    seen: set[tuple[str, str, str, str]] = set()
    tally = _Tally()
    async for page in client.pages(_tokens_sender(partner), params=params, routing=_routing(partner, ours)):
        await _store_page(uow_factory, partner, page, seen, tally, now)
    removed = 0
    if date_from is None:
        async with uow_factory() as uow:
            known = await uow.tokens.keys_of(partner.id)
            removed = await uow.tokens.delete_ids([row for key, row in known.items() if key not in seen])
            await uow.commit()
        if removed:
            log.info("removed %d token(s) %s no longer lists", removed, partner.name)
    return SyncReport(
        tally.received, tally.stored, tally.kept, tally.invalid, tally.ignored, removed, date_from is None
    )
