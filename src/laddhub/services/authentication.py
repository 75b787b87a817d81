"""Who is calling: turn an `Authorization` header into a partner and the kind of token it used."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from laddhub.ocpi.auth import MalformedAuthorization, candidate_tokens, digests_match, hash_token, uses_base64
from laddhub.ocpi.status import Unauthorized
from laddhub.store.partners import ACCESS, ACTIVE, INVITATION, PENDING
from laddhub.store.tables import PartnerRecord
from laddhub.store.uow import UnitOfWorkFactory

log = logging.getLogger("laddhub.auth")

# Partners already warned about sending raw tokens: once per process is enough for an operator to act.
_WARNED_PLAIN: set[int] = set()


@dataclass(frozen=True)
class Caller:
    """An authenticated partner. `token` is the secret it presented, kept in memory only so that a
    credentials GET can answer with it (we store nothing but its digest)."""

    partner: PartnerRecord
    token: str
    token_kind: str
    token_id: int
    sent_plain: bool

    @property
    def is_invitation(self) -> bool:
        return self.token_kind == INVITATION


async def authenticate(
    uow_factory: UnitOfWorkFactory,
    header: str | None,
    *,
    now: datetime,
    allow_invitation: bool,
    version: str = "2.2.1",
) -> Caller:
    """Find the partner behind a token; 401 for a missing/unknown token or a token A outside the
    configuration modules.

    A token issued in a credentials PUT starts PENDING; its first use activates it and retires the token it
    replaces, so a rotation never locks a partner out if our PUT response got lost.
    """
    try:
        candidates = candidate_tokens(header)
    except MalformedAuthorization as exc:
        raise Unauthorized(str(exc)) from None
    digests = [hash_token(candidate) for candidate in candidates]
    async with uow_factory.reader() as reader:
        found = await reader.partners.caller_by_digests(digests)
    if found is None:
        raise Unauthorized("unknown credentials token")
    record, partner = found
    index = next(i for i, digest in enumerate(digests) if digests_match(record.token_hash, digest))
    if record.kind == INVITATION and not allow_invitation:
        raise Unauthorized("this credentials token (token A) is only valid for versions and credentials")
    if record.state == PENDING:
        async with uow_factory() as uow:
            stored = await uow.partners.token_by_hash(record.token_hash)
            if stored is not None and stored.state == PENDING:
                stored.state = ACTIVE
                await uow.partners.revoke_tokens(partner.id, now, kind=ACCESS, keep_id=stored.id)
                await uow.commit()
                log.info("partner %s started using its rotated token", partner.name)
    sent_plain = index == 0
    if sent_plain and uses_base64(version) and partner.id not in _WARNED_PLAIN:
        _WARNED_PLAIN.add(partner.id)
        log.warning(
            "partner %s sends its token without Base64 (OCPI %s asks for Base64); accepted",
            partner.name,
            version,
        )
    return Caller(partner, candidates[index], record.kind, record.id, sent_plain)
