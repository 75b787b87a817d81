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
    async with uow_factory() as uow:
        for index, candidate in enumerate(candidates):
            digest = hash_token(candidate)
            record = await uow.partners.token_by_hash(digest)
            if record is None or not digests_match(record.token_hash, digest):
                continue
            if record.kind == INVITATION and not allow_invitation:
                raise Unauthorized(
                    "this credentials token (token A) is only valid for versions and credentials"
                )
            partner = await uow.partners.get(record.partner_id)
            if partner is None:
                break
            if record.state == PENDING:
                record.state = ACTIVE
                await uow.partners.revoke_tokens(partner.id, now, kind=ACCESS, keep_id=record.id)
                await uow.commit()
                log.info("partner %s started using its rotated token", partner.name)
            sent_plain = index == 0
            if sent_plain and uses_base64(version):
                log.warning(
                    "partner %s sends its token without Base64 (OCPI %s asks for Base64)",
                    partner.name,
                    version,
                )
            return Caller(partner, candidate, record.kind, record.id, sent_plain)
    raise Unauthorized("unknown credentials token")
