"""Repository of what Hubs reported about the parties behind them (HubClientInfo)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from laddhub.ocpi.common import ci_key
from laddhub.store.hub_records import HubClientInfoRecord


class HubClientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def of_party(
        self, partner_id: int, country_code: str, party_id: str, *, lock: bool = False
    ) -> Sequence[HubClientInfoRecord]:
        """Every role the Hub `partner_id` reported for one party, most recently changed first."""
        statement = (
            select(HubClientInfoRecord)
            .where(
                HubClientInfoRecord.partner_id == partner_id,
                HubClientInfoRecord.country_code == ci_key(country_code),
                HubClientInfoRecord.party_id == ci_key(party_id),
            )
            .order_by(HubClientInfoRecord.last_updated.desc(), HubClientInfoRecord.id.desc())
        )
        if lock:
            statement = statement.with_for_update()
        return (await self._session.execute(statement)).scalars().all()

    def add(self, record: HubClientInfoRecord) -> None:
        self._session.add(record)

    async def of_partner(self, partner_id: int) -> Sequence[HubClientInfoRecord]:
        """What one Hub reported, by party."""
        statement = (
            select(HubClientInfoRecord)
            .where(HubClientInfoRecord.partner_id == partner_id)
            .order_by(
                HubClientInfoRecord.country_code, HubClientInfoRecord.party_id, HubClientInfoRecord.role
            )
        )
        return (await self._session.execute(statement)).scalars().all()

    async def all(self) -> Sequence[HubClientInfoRecord]:
        """Everything every Hub reported, by Hub and party."""
        statement = select(HubClientInfoRecord).order_by(
            HubClientInfoRecord.partner_id,
            HubClientInfoRecord.country_code,
            HubClientInfoRecord.party_id,
            HubClientInfoRecord.role,
        )
        return (await self._session.execute(statement)).scalars().all()
