"""Repository of partners and the tokens we issued to them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from laddhub.store.tables import IssuedTokenRecord, PartnerRecord

INVITATION = "INVITATION"
ACCESS = "ACCESS"
ACTIVE = "ACTIVE"
PENDING = "PENDING"
REVOKED = "REVOKED"


class PartnerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._registered: Sequence[PartnerRecord] | None = None

    def add(self, partner: PartnerRecord) -> None:
        self._session.add(partner)

    async def flush(self) -> None:
        await self._session.flush()

    async def get(self, partner_id: int) -> PartnerRecord | None:
        return await self._session.get(PartnerRecord, partner_id)

    async def by_name(self, name: str) -> PartnerRecord | None:
        result = await self._session.execute(
            select(PartnerRecord).where(PartnerRecord.name == name).order_by(PartnerRecord.id.desc()).limit(1)
        )
        return result.scalar_one_or_none()

    async def list(self) -> Sequence[PartnerRecord]:
        result = await self._session.execute(select(PartnerRecord).order_by(PartnerRecord.id))
        return result.scalars().all()

    async def by_status(self, *statuses: str) -> Sequence[PartnerRecord]:
        result = await self._session.execute(
            select(PartnerRecord).where(PartnerRecord.status.in_(statuses)).order_by(PartnerRecord.id)
        )
        return result.scalars().all()

    async def registered(self) -> Sequence[PartnerRecord]:
        """The registered partners, read once per unit of work: a bulk import publishes thousands of
        changes in one transaction, and the audience of each is chosen from the same partners."""
        if self._registered is None:
            self._registered = await self.by_status("REGISTERED")
        return self._registered

    async def caller_by_digests(
        self, digests: Sequence[str]
    ) -> tuple[IssuedTokenRecord, PartnerRecord] | None:
        """The live issued token with one of these digests and its partner (roles and endpoints loaded), in
        one statement: this runs on every request a partner makes."""
        statement = (
            select(IssuedTokenRecord, PartnerRecord)
            .join(PartnerRecord, PartnerRecord.id == IssuedTokenRecord.partner_id)
            .where(IssuedTokenRecord.token_hash.in_(digests), IssuedTokenRecord.state != REVOKED)
            .options(joinedload(PartnerRecord.roles), joinedload(PartnerRecord.endpoints))
            .limit(1)
        )
        row = (await self._session.execute(statement)).unique().first()
        return None if row is None else (row[0], row[1])

    async def token_by_hash(self, token_hash: str) -> IssuedTokenRecord | None:
        """The non-revoked issued token with this digest.

        The lookup is by an indexed sha256 digest, so its timing says nothing about the secret itself.
        """
        result = await self._session.execute(
            select(IssuedTokenRecord).where(
                IssuedTokenRecord.token_hash == token_hash, IssuedTokenRecord.state != REVOKED
            )
        )
        return result.scalar_one_or_none()

    def add_token(self, token: IssuedTokenRecord) -> None:
        self._session.add(token)

    async def revoke_tokens(
        self, partner_id: int, now: datetime, *, kind: str | None = None, keep_id: int | None = None
    ) -> None:
        """Revoke the partner's live tokens (of one kind if given), except `keep_id`."""
        statement = update(IssuedTokenRecord).where(
            IssuedTokenRecord.partner_id == partner_id, IssuedTokenRecord.state != REVOKED
        )
        if kind is not None:
            statement = statement.where(IssuedTokenRecord.kind == kind)
        if keep_id is not None:
            statement = statement.where(IssuedTokenRecord.id != keep_id)
        await self._session.execute(statement.values(state=REVOKED, revoked_at=now))
