"""Who may see an unpublished Location (`publish: false`, digest §5.4).

A Location with `publish: false` is meant only for drivers whose token matches one of its
`publish_allowed_to` entries, where every field an entry sets must match. We decide per partner: a
Location with `publish: false` is pushed to, and listed for, only the partners that own a token we know
(the tokens table) matching one of the entries; nobody else hears of it. A partner owns a token when the
token's country/party is one of its registered roles, or when it pushed the token to us (a Hub relaying
an eMSP's tokens).

Tokens are found by SQL first (by uid through its index, by group id or visual number through a text
search of the stored documents) and then checked exactly on the parsed token, so the text search can only
widen the candidates, never decide.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, select, tuple_

from laddhub.ocpi.common import ci_key
from laddhub.ocpi.v2_2_1.locations import Location, PublishTokenType
from laddhub.ocpi.v2_2_1.tokens import Token
from laddhub.store.tables import PartnerRecord, TokenRecord
from laddhub.store.uow import UnitOfWork

Party = tuple[str, str]

# Conditions per candidate query: far below the bound-parameter limits of SQLite and asyncpg.
_CHUNK = 200


def token_matches(rule: PublishTokenType, token: Token) -> bool:
    """Whether `token` has every field `rule` sets (CiStrings compared without case, strings exactly)."""
    if rule.uid is not None and ci_key(rule.uid) != ci_key(token.uid):
        return False
    if rule.type is not None and rule.type != token.type:
        return False
    if rule.visual_number is not None and rule.visual_number != token.visual_number:
        return False
    if rule.issuer is not None and rule.issuer != token.issuer:
        return False
    return rule.group_id is None or (
        token.group_id is not None and ci_key(rule.group_id) == ci_key(token.group_id)
    )


def allows(location: Location, token: Token) -> bool:
    """Whether a driver with `token` may see `location`: it is public, or an entry matches the token."""
    return location.publish or any(token_matches(rule, token) for rule in location.publish_allowed_to)


def _fragment(name: str, value: str) -> str:
    # The stored documents are compact JSON written by pydantic, which escapes like json.dumps without
    # ensure_ascii; the exact check afterwards guards against any difference.
    return f'"{name}":{json.dumps(value, ensure_ascii=False)}'


def _rule_condition(rule: PublishTokenType) -> ColumnElement[bool]:
    if rule.uid is not None:
        condition = TokenRecord.object_key == ci_key(rule.uid)
        if rule.type is not None:
            condition = and_(condition, TokenRecord.token_type == rule.type.value)
        return condition
    if rule.group_id is not None:
        return TokenRecord.document.icontains(_fragment("group_id", rule.group_id), autoescape=True)
    if rule.visual_number is not None:
        return TokenRecord.document.contains(_fragment("visual_number", rule.visual_number), autoescape=True)
    return false()


def _owned_by(partner: PartnerRecord) -> ColumnElement[bool]:
    parties = sorted({(ci_key(r.country_code), ci_key(r.party_id)) for r in partner.roles})
    if not parties:
        return TokenRecord.partner_id == partner.id
    return or_(
        TokenRecord.partner_id == partner.id,
        tuple_(TokenRecord.country_code, TokenRecord.party_id).in_(parties),
    )


@dataclass(frozen=True, slots=True)
class _KnownToken:
    token: Token
    party: Party
    partner_id: int | None


async def _candidates(
    uow: UnitOfWork, rules: Sequence[PublishTokenType], owner: PartnerRecord | None
) -> list[_KnownToken]:
    """Stored tokens that may match one of `rules` (a superset), parsed; of one partner if given."""
    unique = list({rule.model_dump_json(): rule for rule in rules}.values())
    found: dict[int, _KnownToken] = {}
    for start in range(0, len(unique), _CHUNK):
        conditions = [_rule_condition(rule) for rule in unique[start : start + _CHUNK]]
        statement = select(TokenRecord).where(or_(*conditions))
        if owner is not None:
            statement = statement.where(_owned_by(owner))
        for record in (await uow.session.execute(statement)).scalars():
            if record.id not in found:
                token = uow.tokens.parse(record)
                found[record.id] = _KnownToken(
                    token, (record.country_code, record.party_id), record.partner_id
                )
    return list(found.values())


async def push_audience(uow: UnitOfWork, location: Location) -> frozenset[Party] | None:
    """The parties a change of `location` goes to: None (every receiver) when it is public; else the
    owners of matching tokens, plus the roles of the partners that pushed those tokens to us."""
    if location.publish:
        return None
    parties: set[Party] = set()
    pushers: set[int] = set()
    for known in await _candidates(uow, location.publish_allowed_to, None):
        if allows(location, known.token):
            parties.add(known.party)
            if known.partner_id is not None:
                pushers.add(known.partner_id)
    for partner_id in sorted(pushers):
        partner = await uow.partners.get(partner_id)
        if partner is not None:
            parties.update((ci_key(r.country_code), ci_key(r.party_id)) for r in partner.roles)
    return frozenset(parties)


def merge_audiences(*audiences: frozenset[Party] | None) -> frozenset[Party] | None:
    """The union of audiences, where None (everyone) absorbs the rest."""
    merged: set[Party] = set()
    for audience in audiences:
        if audience is None:
            return None
        merged.update(audience)
    return frozenset(merged)


async def visible_unpublished_ids(uow: UnitOfWork, partner: PartnerRecord) -> list[int]:
    """Row ids of our unpublished Locations that `partner` may see (for its list and GET requests)."""
    unpublished = await uow.locations.unpublished()
    if not unpublished:
        return []
    locations = [(record.id, uow.locations.parse(record)) for record in unpublished]
    rules = [rule for _, location in locations for rule in location.publish_allowed_to]
    if not rules:
        return []
    tokens = [known.token for known in await _candidates(uow, rules, partner)]
    return [record_id for record_id, location in locations if any(allows(location, t) for t in tokens)]


async def may_see(uow: UnitOfWork, partner: PartnerRecord, location: Location) -> bool:
    """Whether `partner` may see one Location (a GET of one Location, EVSE or Connector)."""
    if location.publish:
        return True
    tokens = await _candidates(uow, location.publish_allowed_to, partner)
    return any(allows(location, known.token) for known in tokens)


async def unpublished_for_tokens(
    uow: UnitOfWork, tokens: Iterable[Token]
) -> list[tuple[Location, set[Party]]]:
    """Our unpublished Locations that some of `tokens` may see, each with the parties owning those tokens.

    When an eMSP pushes or we pull a token, Locations hidden so far may become visible to it; the caller
    pushes them to exactly these parties.
    """
    given = list(tokens)
    if not given:
        return []
    found: list[tuple[Location, set[Party]]] = []
    for record in await uow.locations.unpublished():
        location = uow.locations.parse(record)
        parties = {(ci_key(t.country_code), ci_key(t.party_id)) for t in given if allows(location, t)}
        if parties:
            found.append((location, parties))
    return found
