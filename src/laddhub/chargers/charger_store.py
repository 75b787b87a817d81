"""Where simulated chargers live: loading one with its Location and EVSE, saving it, finding the due ones.

A charger's row (`charger_states`) is created the first time its EVSE is used. Every change of a charger
happens through `ChargerStore.changing`: under a lock of this process and a row lock (on PostgreSQL), in
one unit of work that is committed with the charger's state, its next event and whatever else the change
wrote (session, EVSE status, outbox, results owed).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from laddhub.chargers.state import ChargerState, Phase, Run
from laddhub.ocpi.common import ci_key
from laddhub.ocpi.status import NotFound
from laddhub.ocpi.v2_2_1.locations import EVSE, Connector, Location
from laddhub.services.cpo_data import CpoParties
from laddhub.services.cpo_locations import LocationRef, own_location
from laddhub.store.charging_records import ChargerStateRecord
from laddhub.store.uow import UnitOfWork, UnitOfWorkFactory


class ChargerError(Exception):
    """A driver's or operator's action that the charger's present state does not allow."""


@dataclass(frozen=True, slots=True)
class EvseRef:
    """One of our EVSEs: the Location's owner and id, and the EVSE's uid (any case)."""

    country_code: str
    party_id: str
    location_id: str
    evse_uid: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (
            ci_key(self.country_code),
            ci_key(self.party_id),
            ci_key(self.location_id),
            ci_key(self.evse_uid),
        )


@dataclass
class Charger:
    """A charger loaded in a unit of work, with the Location and EVSE it sits in."""

    ref: EvseRef
    record: ChargerStateRecord
    state: ChargerState
    location: Location
    evse: EVSE

    def connector(self, connector_id: str | None) -> Connector:
        """The connector with this id, else the EVSE's first (a charger without a choice uses that)."""
        if connector_id is not None:
            for connector in self.evse.connectors:
                if ci_key(connector.id) == ci_key(connector_id):
                    return connector
        return self.evse.connectors[0]

    @property
    def run(self) -> Run:
        """The session the charger runs; an error when it runs none."""
        if self.state.run is None:
            raise ChargerError(f"EVSE {self.evse.uid} runs no session")
        return self.state.run

    @property
    def ours(self) -> tuple[str, str]:
        """Our CPO party that owns the charger's Location."""
        return (self.location.country_code, self.location.party_id)


class ChargerStore:
    """Loads, locks and saves simulated chargers."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        parties: CpoParties,
        *,
        meter_interval: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self.uow = uow
        self.parties = parties
        self._meter_interval = meter_interval
        self._clock = clock
        self._locks: dict[tuple[str, str, str, str], asyncio.Lock] = {}

    def _lock(self, ref: EvseRef) -> asyncio.Lock:
        return self._locks.setdefault(ref.key, asyncio.Lock())

    async def load(self, uow: UnitOfWork, ref: EvseRef) -> Charger:
        """The charger of EVSE `ref` (created on first use); 404 when we have no such Location or EVSE."""
        _, location = await own_location(
            uow, self.parties, LocationRef(ref.location_id, ref.country_code, ref.party_id)
        )
        evse = next((e for e in location.evses if ci_key(e.uid) == ci_key(ref.evse_uid)), None)
        if evse is None:
            raise NotFound(f"Location {location.id} has no EVSE {ref.evse_uid}")
        ref = EvseRef(location.country_code, location.party_id, location.id, evse.uid)
        country, party, location_key, evse_key = ref.key
        statement = (
            select(ChargerStateRecord)
            .where(
                ChargerStateRecord.country_code == country,
                ChargerStateRecord.party_id == party,
                ChargerStateRecord.location_key == location_key,
                ChargerStateRecord.evse_key == evse_key,
            )
            .with_for_update()
        )
        record = (await uow.session.execute(statement)).scalar_one_or_none()
        if record is None:
            record = ChargerStateRecord(
                country_code=country,
                party_id=party,
                location_key=location_key,
                evse_key=evse_key,
                location_id=location.id,
                evse_uid=evse.uid,
                phase=Phase.IDLE.value,
                state=ChargerState().model_dump_json(),
                updated_at=self._clock(),
            )
            uow.session.add(record)
            await uow.session.flush()
        return Charger(ref, record, ChargerState.model_validate_json(record.state), location, evse)

    def save(self, charger: Charger) -> None:
        """Write the charger's state and the columns the scheduler and lookups read."""
        state = charger.state
        charger.record.state = state.model_dump_json()
        charger.record.phase = state.phase.value
        charger.record.session_key = None if state.run is None else ci_key(state.run.session_id)
        charger.record.next_event_at = state.next_event(self._meter_interval)
        charger.record.updated_at = self._clock()

    @asynccontextmanager
    async def changing(self, ref: EvseRef) -> AsyncIterator[tuple[UnitOfWork, Charger]]:
        """The charger `ref` under its lock in a unit of work; saved and committed when the block ends
        without an error, rolled back otherwise."""
        async with self._lock(ref), self.uow() as uow:
            charger = await self.load(uow, ref)
            yield uow, charger
            self.save(charger)
            await uow.commit()

    async def peek(self, ref: EvseRef) -> Charger:
        """The charger as it is now, read without a lock (nothing is written)."""
        async with self.uow() as uow:
            return await self.load(uow, ref)

    async def due(self, now: datetime) -> list[EvseRef]:
        """The chargers whose next event is due, earliest first."""
        async with self.uow() as uow:
            rows = (
                await uow.session.execute(
                    select(
                        ChargerStateRecord.country_code,
                        ChargerStateRecord.party_id,
                        ChargerStateRecord.location_id,
                        ChargerStateRecord.evse_uid,
                    )
                    .where(ChargerStateRecord.next_event_at <= now)
                    .order_by(ChargerStateRecord.next_event_at)
                )
            ).all()
        return [EvseRef(*row) for row in rows]

    async def next_event_at(self) -> datetime | None:
        """The earliest next event of any charger."""
        async with self.uow() as uow:
            found: datetime | None = (
                await uow.session.execute(
                    select(ChargerStateRecord.next_event_at)
                    .where(ChargerStateRecord.next_event_at.is_not(None))
                    .order_by(ChargerStateRecord.next_event_at)
                    .limit(1)
                )
            ).scalar_one_or_none()
        return found

    @staticmethod
    async def running(uow: UnitOfWork, country_code: str, party_id: str, session_key: str) -> EvseRef | None:
        """The charger that runs a session, if one does."""
        row = (
            await uow.session.execute(
                select(ChargerStateRecord).where(
                    ChargerStateRecord.country_code == country_code,
                    ChargerStateRecord.party_id == party_id,
                    ChargerStateRecord.session_key == session_key,
                )
            )
        ).scalar_one_or_none()
        return None if row is None else EvseRef(row.country_code, row.party_id, row.location_id, row.evse_uid)

    @staticmethod
    async def states_at(
        uow: UnitOfWork, country_code: str, party_id: str, location_key: str
    ) -> dict[str, ChargerState]:
        """The states of a Location's chargers, by EVSE key (EVSEs never used have none)."""
        rows = (
            await uow.session.execute(
                select(ChargerStateRecord).where(
                    ChargerStateRecord.country_code == country_code,
                    ChargerStateRecord.party_id == party_id,
                    ChargerStateRecord.location_key == location_key,
                )
            )
        ).scalars()
        return {row.evse_key: ChargerState.model_validate_json(row.state) for row in rows}
