"""The built-in simulated charger behind every EVSE of our Locations: it drives the life of sessions.

A driver (the admin API, a test) plugs a vehicle in and presents a token; a partner sends commands and
charging-profile requests. The charger authorises, starts a session (PENDING until the vehicle is plugged
in, then ACTIVE), takes meter readings whenever the draw changes (`charging_model`), reports progress every
`simulator_meter_interval_s` with the charging periods that closed (`metering`), parks the vehicle once it
is full, and ends the session on STOP_SESSION, a second badge of the same token, unplugging, or the
configured stay. It then prices the session under the tariff that applied at its start and issues the CDR.
It also holds reservations (a RESERVATION session, ended by the driver's start, expiry or cancellation,
with a reservation CDR when the tariff prices reservations) and applies charging profiles as a maximum.

Every change of a charger happens in one transaction with the session, the EVSE status (an EVSE PATCH
through `cpo_locations`), the outbox pushes and the results owed to partners, under a per-charger lock, so
the background loop and API calls never interleave on one charger. The state lives in the database
(`charger_states`): a node restart loses no session. Time comes from the injected clock; a late event
(after a restart) takes effect at the moment it was due, not when it is processed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select

from laddhub.chargers.charging_model import Conditions, advance, reading_at, settle
from laddhub.chargers.electrical import Supply
from laddhub.chargers.metering import (
    VOLUME_PLACES,
    Activity,
    MeterReading,
    build_periods,
    energy_at,
    price,
    price_changes,
)
from laddhub.chargers.profiles import active_profile, anchor_of
from laddhub.chargers.reservations import ReservationStatus
from laddhub.chargers.state import ChargerState, Phase, Run, Vehicle
from laddhub.chargers.tariff_choice import choose_tariff
from laddhub.config import Settings
from laddhub.ocpi.common import ci_key
from laddhub.ocpi.status import NotFound
from laddhub.ocpi.v2_2_1.cdrs import AuthMethod, CdrLocation, CdrToken
from laddhub.ocpi.v2_2_1.chargingprofiles import (
    ActiveChargingProfileResult,
    ChargingProfile,
    ChargingProfileResultType,
)
from laddhub.ocpi.v2_2_1.commands import CommandResultType, ReserveNow, StartSession
from laddhub.ocpi.v2_2_1.locations import EVSE, Capability, Connector, Location, Status
from laddhub.ocpi.v2_2_1.sessions import Session, SessionStatus
from laddhub.ocpi.v2_2_1.tariffs import Tariff
from laddhub.ocpi.v2_2_1.tokens import ProfileType, Token
from laddhub.pricing.compiled import CompiledTariff, compile_tariff
from laddhub.pricing.ocpi_adapter import tariff_from_ocpi
from laddhub.services import charger_requests
from laddhub.services.authorization import Authorizer, Decision, PresentedToken
from laddhub.services.charger_requests import RequestKind, command_result, request_body
from laddhub.services.charging_sessions import (
    cdr_location,
    change_session,
    issue_cdr,
    open_session,
    reported_cost,
    zone_of,
)
from laddhub.services.cpo_data import CpoParties
from laddhub.services.cpo_locations import LocationRef, own_location, set_evse_status
from laddhub.services.smart_charging import (
    announce_active_profile,
    preferences_of,
    profile_cleared,
    profile_set_by,
    tariffs_by_ids,
)
from laddhub.store.charging_records import ChargerRequestRecord, ChargerStateRecord, ReservationRecord
from laddhub.store.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("laddhub.chargers")

T = TypeVar("T")
_ZERO = Decimal(0)
_UNAVAILABLE = frozenset({Status.INOPERATIVE, Status.OUTOFORDER, Status.PLANNED, Status.REMOVED})
_PROFILE_RESULT_HORIZON_S = 3600


class ChargerError(Exception):
    """A driver's or operator's action that the charger's present state does not allow."""


@dataclass(frozen=True, slots=True)
class SimulatorSettings:
    """The simulator's timing and default vehicle (see the `simulator_*` settings)."""

    meter_interval: timedelta
    period_max: timedelta
    response_delay: timedelta
    plug_timeout: timedelta
    vehicle_kwh: Decimal
    vehicle_kw: Decimal
    stay: timedelta | None
    unplug_after: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SimulatorSettings:
        """The node's settings as the simulator uses them (`simulator_stay_s` 0 means no configured end)."""
        return cls(
            meter_interval=timedelta(seconds=settings.simulator_meter_interval_s),
            period_max=timedelta(seconds=settings.simulator_period_max_s),
            response_delay=timedelta(seconds=settings.simulator_response_s),
            plug_timeout=timedelta(seconds=settings.simulator_plug_timeout_s),
            vehicle_kwh=Decimal(str(settings.simulator_vehicle_kwh)),
            vehicle_kw=Decimal(str(settings.simulator_vehicle_kw)),
            stay=timedelta(seconds=settings.simulator_stay_s) if settings.simulator_stay_s else None,
            unplug_after=timedelta(seconds=settings.simulator_unplug_s),
        )


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


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the charger answered: a CommandResultType, a message for people, and the session concerned."""

    result: CommandResultType
    message: str | None = None
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChargerView:
    """A charger as an operator sees it."""

    location_id: str
    evse_uid: str
    phase: Phase
    evse_status: Status
    vehicle: Vehicle | None
    session_id: str | None
    kwh: Decimal | None


@dataclass(frozen=True, slots=True)
class Authorization:
    """The outcome of a token presented at a charger: the authorisation decision and what it led to."""

    decision: Decision
    outcome: Outcome | None


@dataclass
class _Charger:
    """A charger loaded in a unit of work, with the Location and EVSE it sits in."""

    ref: EvseRef
    record: ChargerStateRecord
    state: ChargerState
    location: Location
    evse: EVSE

    def connector(self, connector_id: str | None) -> Connector:
        if connector_id is not None:
            for connector in self.evse.connectors:
                if ci_key(connector.id) == ci_key(connector_id):
                    return connector
        return self.evse.connectors[0]

    @property
    def run(self) -> Run:
        if self.state.run is None:
            raise ChargerError(f"EVSE {self.evse.uid} runs no session")
        return self.state.run


def _token_of(session: Session) -> tuple[str, str]:
    return (session.cdr_token.country_code, session.cdr_token.party_id)


class ChargerSimulator:
    """All simulated chargers of this node. One instance per node process."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        authorizer: Authorizer,
        parties: CpoParties,
        config: SimulatorSettings,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._authorizer = authorizer
        self._parties = parties
        self._config = config
        self._clock = clock
        self._locks: dict[tuple[str, str, str, str], asyncio.Lock] = {}
        self._compiled: dict[tuple[str, str], CompiledTariff] = {}

    # --- loading and saving ----------------------------------------------------------------------------

    def _lock(self, ref: EvseRef) -> asyncio.Lock:
        return self._locks.setdefault(ref.key, asyncio.Lock())

    async def _open(self, uow: UnitOfWork, ref: EvseRef) -> _Charger:
        _, location = await own_location(
            uow, self._parties, LocationRef(ref.location_id, ref.country_code, ref.party_id)
        )
        evse = next((e for e in location.evses if ci_key(e.uid) == ci_key(ref.evse_uid)), None)
        if evse is None:
            raise NotFound(f"Location {location.id} has no EVSE {ref.evse_uid}")
        key = (
            ci_key(location.country_code),
            ci_key(location.party_id),
            ci_key(location.id),
            ci_key(evse.uid),
        )
        statement = (
            select(ChargerStateRecord)
            .where(
                ChargerStateRecord.country_code == key[0],
                ChargerStateRecord.party_id == key[1],
                ChargerStateRecord.location_key == key[2],
                ChargerStateRecord.evse_key == key[3],
            )
            .with_for_update()
        )
        record = (await uow.session.execute(statement)).scalar_one_or_none()
        if record is None:
            record = ChargerStateRecord(
                country_code=key[0],
                party_id=key[1],
                location_key=key[2],
                evse_key=key[3],
                location_id=location.id,
                evse_uid=evse.uid,
                phase=Phase.IDLE.value,
                state=ChargerState().model_dump_json(),
                updated_at=self._clock(),
            )
            uow.session.add(record)
            await uow.session.flush()
        state = ChargerState.model_validate_json(record.state)
        ref = EvseRef(location.country_code, location.party_id, location.id, evse.uid)
        return _Charger(ref, record, state, location, evse)

    def _save(self, charger: _Charger, now: datetime) -> None:
        state = charger.state
        charger.record.state = state.model_dump_json()
        charger.record.phase = state.phase.value
        charger.record.session_key = None if state.run is None else ci_key(state.run.session_id)
        charger.record.next_event_at = self._next_event(state)
        charger.record.updated_at = now

    def _next_event(self, state: ChargerState) -> datetime | None:
        """When the charger must act by itself next (the draw's own changes are computed on the way)."""
        run = state.run
        if state.phase is Phase.FINISHED:
            return state.unplug_at
        if run is None:
            return None
        if state.phase is Phase.RESERVED:
            return run.reservation_expiry
        if state.phase is Phase.AUTHORIZED:
            return run.plug_deadline
        if state.phase is not Phase.CHARGING:
            return None
        moments = [m for m in (run.ends_at, self._profile_end(run)) if m is not None]
        if run.last_progress_at is not None:
            moments.append(run.last_progress_at + self._config.meter_interval)
        return min(moments) if moments else None

    @asynccontextmanager
    async def _session(self, ref: EvseRef) -> Any:
        """The charger `ref` loaded under its lock in a unit of work; saved and committed on success."""
        async with self._lock(ref), self._uow() as uow:
            charger = await self._open(uow, ref)
            yield uow, charger
            self._save(charger, self._clock())
            await uow.commit()

    async def _with(self, ref: EvseRef, action: Callable[[UnitOfWork, _Charger], Awaitable[T]]) -> T:
        async with self._session(ref) as (uow, charger):
            return await action(uow, charger)

    # --- the EVSE, its tariffs and the session ---------------------------------------------------------

    async def _set_status(self, uow: UnitOfWork, charger: _Charger, status: Status) -> None:
        if charger.evse.status is status:
            return
        ref = charger.ref
        await set_evse_status(
            uow,
            self._parties,
            LocationRef(ref.location_id, ref.country_code, ref.party_id),
            ref.evse_uid,
            status,
            now=self._clock(),
        )
        charger.evse = charger.evse.model_copy(update={"status": status})

    def _free_status(self, charger: _Charger) -> Status:
        """The status of an EVSE with no session: CHARGING keeps a plugged-in vehicle visible as in use."""
        return Status.CHARGING if charger.state.vehicle is not None else Status.AVAILABLE

    def _busy(self, charger: _Charger, token_uid: str | None) -> Outcome | None:
        """Why the charger cannot start a session for `token_uid` now, or None when it can."""
        state = charger.state
        if charger.evse.status in _UNAVAILABLE:
            return Outcome(
                CommandResultType.EVSE_INOPERATIVE, f"EVSE {charger.evse.uid} is {charger.evse.status}"
            )
        if state.phase in (Phase.AUTHORIZED, Phase.CHARGING):
            return Outcome(CommandResultType.EVSE_OCCUPIED, f"EVSE {charger.evse.uid} is in use")
        if state.phase is Phase.RESERVED:
            if token_uid is not None and ci_key(charger.run.token_uid) == ci_key(token_uid):
                return None
            return Outcome(CommandResultType.EVSE_OCCUPIED, f"EVSE {charger.evse.uid} is reserved")
        if state.phase is Phase.IDLE and charger.evse.status in (Status.BLOCKED, Status.RESERVED):
            return Outcome(
                CommandResultType.EVSE_OCCUPIED, f"EVSE {charger.evse.uid} is {charger.evse.status}"
            )
        return None

    async def _tariff_for(
        self,
        uow: UnitOfWork,
        charger: _Charger,
        connector: Connector,
        profile: ProfileType | None,
        at: datetime,
    ) -> Tariff | None:
        tariffs = await tariffs_by_ids(
            uow, charger.location.country_code, charger.location.party_id, connector.tariff_ids
        )
        return choose_tariff(tariffs, at=at, profile=profile)

    def _compiled_tariff(self, tariff: Tariff) -> CompiledTariff:
        key = (tariff.id, tariff.last_updated.isoformat())
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = compile_tariff(tariff_from_ocpi(tariff))
            self._compiled[key] = compiled
        return compiled

    async def _stored_session(self, uow: UnitOfWork, charger: _Charger) -> Session:
        run = charger.run
        record = await uow.sessions.get(
            charger.location.country_code, charger.location.party_id, run.session_id
        )
        if record is None:
            raise ChargerError(f"session {run.session_id} is missing from the store")
        return uow.sessions.parse(record)

    def _conditions(self, charger: _Charger) -> Conditions | None:
        run, vehicle = charger.state.run, charger.state.vehicle
        if run is None or vehicle is None:
            return None
        profile = None if run.profile is None else ChargingProfile.model_validate(run.profile)
        return Conditions(
            supply=Supply.of(charger.connector(run.connector_id)),
            capacity_kwh=vehicle.capacity_kwh,
            vehicle_max_kw=vehicle.max_power_kw,
            profile=profile,
            charging_started=run.charging_started,
        )

    def _profile_end(self, run: Run) -> datetime | None:
        if run.profile is None:
            return None
        profile = ChargingProfile.model_validate(run.profile)
        anchor = anchor_of(profile, run.charging_started)
        if anchor is None or profile.duration is None:
            return None
        return anchor + timedelta(seconds=profile.duration)

    def _advance(self, charger: _Charger, until: datetime) -> None:
        run, conditions = charger.state.run, self._conditions(charger)
        if (
            run is not None
            and conditions is not None
            and run.readings
            and run.readings[-1].activity is not Activity.RESERVED
        ):
            run.readings = advance(run.readings, conditions, until)

    async def _progress(
        self,
        uow: UnitOfWork,
        charger: _Charger,
        at: datetime,
        *,
        final: bool = False,
        changes: dict[str, Any] | None = None,
    ) -> Session:
        """Report the session up to `at`: energy, cost so far and the periods that closed (all, if final)."""
        run = charger.run
        session = await self._stored_session(uow, charger)
        fields: dict[str, Any] = dict(changes or {})
        if run.readings and run.tariff is not None:
            tariff = Tariff.model_validate(run.tariff)
            zone = ZoneInfo(run.time_zone)
            priced = price(self._compiled_tariff(tariff), zone, run.readings, at)
            periods = build_periods(
                run.readings,
                at,
                price_cuts=price_changes(priced),
                max_period=self._config.period_max,
                tariff_id=tariff.id,
            )
            closed = periods if final else periods[:-1]
            so_far = session.model_copy(
                update={"charging_periods": [*session.charging_periods, *periods[run.published_periods :]]}
            )
            fields.setdefault("kwh", energy_at(run.readings, at).quantize(VOLUME_PLACES))
            fields.setdefault("total_cost", reported_cost(so_far, tariff, zone, at, expired=final))
            new_periods = closed[run.published_periods :]
            run.published_periods = max(run.published_periods, len(closed))
        else:
            new_periods = []
        run.last_progress_at = self._clock()
        return await change_session(uow, session, fields, closed_periods=new_periods, now=self._clock())

    # --- starting, charging and ending sessions --------------------------------------------------------

    async def _start(
        self,
        uow: UnitOfWork,
        charger: _Charger,
        token: Token,
        *,
        method: AuthMethod,
        reference: str | None,
        connector_id: str | None,
    ) -> Outcome:
        """Start a session for `token` (already authorised): ACTIVE if a vehicle is in, else PENDING."""
        now = self._clock()
        busy = self._busy(charger, token.uid)
        if busy is not None:
            return busy
        if charger.state.phase is Phase.RESERVED:
            return await self._claim_reservation(uow, charger, method=method, reference=reference)
        vehicle = charger.state.vehicle
        connector = charger.connector(vehicle.connector_id if vehicle is not None else connector_id)
        tariff = await self._tariff_for(uow, charger, connector, token.default_profile_type, now)
        if tariff is None:
            return Outcome(CommandResultType.FAILED, f"no tariff applies at connector {connector.id}")
        session_id = str(uuid.uuid4())
        charger.state.run = Run(
            session_id=session_id,
            connector_id=connector.id,
            token_uid=token.uid,
            default_profile=token.default_profile_type,
            created_at=now,
            tariff=tariff.to_ocpi(),
            time_zone=zone_of(charger.location).key,
            cdr_location=cdr_location(charger.location, charger.evse, connector).to_ocpi(),
            plug_deadline=now + self._config.plug_timeout,
        )
        charger.state.phase = Phase.AUTHORIZED
        await open_session(
            uow,
            Session(
                country_code=charger.location.country_code,
                party_id=charger.location.party_id,
                id=session_id,
                start_date_time=now,
                kwh=_ZERO,
                cdr_token=CdrToken(
                    country_code=token.country_code,
                    party_id=token.party_id,
                    uid=token.uid,
                    type=token.type,
                    contract_id=token.contract_id,
                ),
                auth_method=method,
                authorization_reference=reference,
                location_id=charger.location.id,
                evse_uid=charger.evse.uid,
                connector_id=connector.id,
                currency=tariff.currency,
                status=SessionStatus.PENDING,
                last_updated=now,
            ),
            now=now,
        )
        await self._set_status(uow, charger, Status.CHARGING)
        if vehicle is not None:
            await self._begin_charging(uow, charger, now)
        log.info(
            "session %s authorised at %s/%s (%s)", session_id, charger.location.id, charger.evse.uid, method
        )
        return Outcome(CommandResultType.ACCEPTED, session_id=session_id)

    async def _begin_charging(self, uow: UnitOfWork, charger: _Charger, at: datetime) -> None:
        """The vehicle is plugged in and authorised: the session becomes ACTIVE and energy flows."""
        run, vehicle = charger.run, charger.state.vehicle
        if vehicle is None:
            raise ChargerError("no vehicle is plugged in")
        session = await self._stored_session(uow, charger)
        connector = charger.connector(vehicle.connector_id)
        changes: dict[str, Any] = {
            "status": SessionStatus.ACTIVE,
            "start_date_time": at,
            "connector_id": connector.id,
        }
        if run.reservation_id is None:
            preferences = await preferences_of(uow, session)
            profile = preferences.profile_type if preferences is not None else run.default_profile
            tariff = await self._tariff_for(uow, charger, connector, profile, at)
            if tariff is not None:
                run.tariff = tariff.to_ocpi()
                changes["currency"] = tariff.currency
        run.connector_id = connector.id
        run.cdr_location = cdr_location(charger.location, charger.evse, connector).to_ocpi()
        run.charging_started = at
        run.plug_deadline = None
        run.ends_at = None if self._config.stay is None else at + self._config.stay
        conditions = self._conditions(charger)
        assert conditions is not None
        run.readings = [*run.readings, reading_at(at, _ZERO, conditions)]
        charger.state.phase = Phase.CHARGING
        await self._progress(uow, charger, at, changes=changes)
        await self._set_status(uow, charger, Status.CHARGING)

    async def _claim_reservation(
        self, uow: UnitOfWork, charger: _Charger, *, method: AuthMethod, reference: str | None
    ) -> Outcome:
        """The driver who reserved the EVSE starts: the reservation is used and its session goes on."""
        run = charger.run
        now = self._clock()
        if run.reservation_id is not None:
            reservation = await uow.session.get(ReservationRecord, run.reservation_id)
            if reservation is not None:
                reservation.status = ReservationStatus.USED.value
                reservation.updated_at = now
        session = await self._stored_session(uow, charger)
        changes: dict[str, Any] = {"auth_method": method}
        if reference is not None:
            changes["authorization_reference"] = reference
        await change_session(uow, session, changes, closed_periods=[], now=now)
        run.reservation_expiry = None
        if charger.state.vehicle is not None:
            await self._begin_charging(uow, charger, now)
        else:
            charger.state.phase = Phase.AUTHORIZED
            run.plug_deadline = now + self._config.plug_timeout
        return Outcome(CommandResultType.ACCEPTED, session_id=run.session_id)

    async def _complete(self, uow: UnitOfWork, charger: _Charger, at: datetime, why: str) -> Outcome:
        """End a charging session at `at`: final periods, COMPLETED, and its CDR."""
        run = charger.run
        self._advance(charger, at)
        session = await self._progress(
            uow, charger, at, final=True, changes={"status": SessionStatus.COMPLETED, "end_date_time": at}
        )
        if run.tariff is not None:
            tariff = Tariff.model_validate(run.tariff)
            await issue_cdr(
                uow,
                session,
                tariff,
                CdrLocation.model_validate(run.cdr_location),
                ZoneInfo(run.time_zone),
                now=self._clock(),
            )
        charger.state.run = None
        if charger.state.vehicle is not None:
            charger.state.phase = Phase.FINISHED
            charger.state.unplug_at = self._clock() + self._config.unplug_after
        else:
            charger.state.phase = Phase.IDLE
            await self._set_status(uow, charger, Status.AVAILABLE)
        log.info("session %s completed (%s)", run.session_id, why)
        return Outcome(CommandResultType.ACCEPTED, session_id=run.session_id)

    async def _end_unused(
        self, uow: UnitOfWork, charger: _Charger, at: datetime, *, status: ReservationStatus, cdr: bool
    ) -> Outcome:
        """End a session that never charged: a reservation (COMPLETED, with a CDR when the tariff prices
        reservations and `cdr`) or an authorisation whose vehicle never came (INVALID)."""
        run = charger.run
        if run.reservation_id is not None:
            reservation = await uow.session.get(ReservationRecord, run.reservation_id)
            if reservation is not None:
                reservation.status = status.value
                reservation.updated_at = self._clock()
        if any(r.activity is Activity.RESERVED for r in run.readings):
            session = await self._progress(
                uow, charger, at, final=True, changes={"status": SessionStatus.COMPLETED, "end_date_time": at}
            )
            tariff = None if run.tariff is None else Tariff.model_validate(run.tariff)
            if cdr and tariff is not None and _prices_reservations(tariff):
                await issue_cdr(
                    uow,
                    session,
                    tariff,
                    CdrLocation.model_validate(run.cdr_location),
                    ZoneInfo(run.time_zone),
                    now=self._clock(),
                )
        else:
            session = await self._stored_session(uow, charger)
            await change_session(
                uow,
                session,
                {"status": SessionStatus.INVALID, "end_date_time": at},
                closed_periods=[],
                now=self._clock(),
            )
        charger.state.run = None
        charger.state.phase = Phase.IDLE
        await self._set_status(uow, charger, self._free_status(charger))
        return Outcome(CommandResultType.ACCEPTED, session_id=run.session_id)

    async def _stop(self, uow: UnitOfWork, charger: _Charger, why: str) -> Outcome:
        now = self._clock()
        if charger.state.phase is Phase.CHARGING:
            return await self._complete(uow, charger, now, why)
        if charger.state.phase is Phase.AUTHORIZED:
            return await self._end_unused(uow, charger, now, status=ReservationStatus.USED, cdr=True)
        return Outcome(CommandResultType.REJECTED, "no session is running on this EVSE")

    # --- reservations ----------------------------------------------------------------------------------

    async def _reserve(self, uow: UnitOfWork, charger: _Charger, reservation: ReservationRecord) -> Outcome:
        now = self._clock()
        request = ReserveNow.model_validate_json(reservation.request)
        state = charger.state
        if state.phase is Phase.RESERVED and charger.run.reservation_id == reservation.id:
            return await self._renew_reservation(uow, charger, reservation, request)
        busy = self._busy(charger, None)
        if busy is not None:
            return busy
        if state.vehicle is not None:
            return Outcome(
                CommandResultType.EVSE_OCCUPIED, f"a vehicle is plugged into EVSE {charger.evse.uid}"
            )
        if request.expiry_date <= now:
            return Outcome(CommandResultType.REJECTED, "expiry_date is in the past")
        connector = charger.connector(None)
        tariff = await self._tariff_for(uow, charger, connector, request.token.default_profile_type, now)
        if tariff is None:
            return Outcome(CommandResultType.FAILED, f"no tariff applies at connector {connector.id}")
        session_id = str(uuid.uuid4())
        state.run = Run(
            session_id=session_id,
            connector_id=connector.id,
            token_uid=request.token.uid,
            default_profile=request.token.default_profile_type,
            created_at=now,
            readings=[MeterReading(now, _ZERO, _ZERO, _ZERO, Activity.RESERVED)],
            tariff=tariff.to_ocpi(),
            time_zone=zone_of(charger.location).key,
            cdr_location=cdr_location(charger.location, charger.evse, connector).to_ocpi(),
            last_progress_at=now,
            reservation_id=reservation.id,
            reservation_expiry=request.expiry_date,
        )
        state.phase = Phase.RESERVED
        token = request.token
        await open_session(
            uow,
            Session(
                country_code=charger.location.country_code,
                party_id=charger.location.party_id,
                id=session_id,
                start_date_time=now,
                kwh=_ZERO,
                cdr_token=CdrToken(
                    country_code=token.country_code,
                    party_id=token.party_id,
                    uid=token.uid,
                    type=token.type,
                    contract_id=token.contract_id,
                ),
                auth_method=AuthMethod.COMMAND,
                authorization_reference=request.authorization_reference,
                location_id=charger.location.id,
                evse_uid=charger.evse.uid,
                connector_id=connector.id,
                currency=tariff.currency,
                status=SessionStatus.RESERVATION,
                last_updated=now,
            ),
            now=now,
        )
        reservation.status = ReservationStatus.ACTIVE.value
        reservation.evse_key = ci_key(charger.evse.uid)
        reservation.session_key = ci_key(session_id)
        reservation.updated_at = now
        await self._set_status(uow, charger, Status.RESERVED)
        return Outcome(CommandResultType.ACCEPTED, session_id=session_id)

    async def _renew_reservation(
        self, uow: UnitOfWork, charger: _Charger, reservation: ReservationRecord, request: ReserveNow
    ) -> Outcome:
        """A RESERVE_NOW repeating the reservation: new expiry, token and reference, same session."""
        run = charger.run
        run.reservation_expiry = request.expiry_date
        run.token_uid = request.token.uid
        reservation.status = ReservationStatus.ACTIVE.value
        reservation.updated_at = self._clock()
        if request.authorization_reference is not None:
            session = await self._stored_session(uow, charger)
            changes = {"authorization_reference": request.authorization_reference}
            await change_session(uow, session, changes, closed_periods=[], now=self._clock())
        return Outcome(CommandResultType.ACCEPTED, session_id=run.session_id)

    async def _cancel_reservation(
        self, uow: UnitOfWork, charger: _Charger, reservation: ReservationRecord, *, by_cpo: bool
    ) -> Outcome:
        state = charger.state
        if state.run is None or state.run.reservation_id != reservation.id:
            return Outcome(CommandResultType.UNKNOWN_RESERVATION, "the charger holds no such reservation")
        if state.phase is not Phase.RESERVED:
            return Outcome(CommandResultType.REJECTED, "the reservation is already in use")
        return await self._end_unused(
            uow, charger, self._clock(), status=ReservationStatus.CANCELLED, cdr=not by_cpo
        )

    # --- charging profiles -----------------------------------------------------------------------------

    async def _apply_profile(
        self, uow: UnitOfWork, charger: _Charger, profile: ChargingProfile | None, *, at: datetime
    ) -> None:
        """Put `profile` (None: none) in force from `at` and tell the partner that asked for updates."""
        run = charger.run
        self._advance(charger, at)
        run.profile = None if profile is None else profile.to_ocpi()
        conditions = self._conditions(charger)
        if conditions is not None and run.readings and run.readings[-1].activity is not Activity.RESERVED:
            run.readings = settle(run.readings, at, conditions)
        session = await self._stored_session(uow, charger)
        await announce_active_profile(
            uow,
            session,
            self._active(charger, at, 1800),
            ours=(charger.location.country_code, charger.location.party_id),
            now=self._clock(),
        )

    def _active(self, charger: _Charger, now: datetime, duration_s: int) -> Any:
        run = charger.run
        profile = None if run.profile is None else ChargingProfile.model_validate(run.profile)
        anchor = None if profile is None else anchor_of(profile, run.charging_started)
        supply = Supply.of(charger.connector(run.connector_id))
        return active_profile(profile, anchor, now, duration_s, supply)

    async def _profile_request(
        self, uow: UnitOfWork, charger: _Charger, request: ChargerRequestRecord
    ) -> tuple[dict[str, Any], str]:
        """Execute a set / get / clear request; return the result body and its label."""
        kind = RequestKind(request.kind)
        body = request_body(request)
        run = charger.state.run
        now = self._clock()
        if run is None or ci_key(run.session_id) != request.session_key:
            return {"result": ChargingProfileResultType.REJECTED.value}, "NO_SESSION"
        if kind is RequestKind.GET_PROFILE:
            active = self._active(charger, now, int(body["duration"]))
            result = ActiveChargingProfileResult(result=ChargingProfileResultType.ACCEPTED, profile=active)
            return result.to_ocpi(), ChargingProfileResultType.ACCEPTED.value
        session = await self._stored_session(uow, charger)
        if kind is RequestKind.CLEAR_PROFILE:
            if run.profile is None:
                return {
                    "result": ChargingProfileResultType.UNKNOWN.value
                }, ChargingProfileResultType.UNKNOWN.value
            await self._apply_profile(uow, charger, None, at=now)
            await profile_cleared(uow, session, now)
            return {
                "result": ChargingProfileResultType.ACCEPTED.value
            }, ChargingProfileResultType.ACCEPTED.value
        profile = ChargingProfile.model_validate(body["charging_profile"])
        await profile_set_by(uow, session, request.partner_id, profile.model_dump_json(), now)
        await self._apply_profile(uow, charger, profile, at=now)
        return {"result": ChargingProfileResultType.ACCEPTED.value}, ChargingProfileResultType.ACCEPTED.value

    # --- what drivers and operators do -----------------------------------------------------------------

    async def plug_in(
        self,
        ref: EvseRef,
        *,
        connector_id: str | None = None,
        capacity_kwh: Decimal | None = None,
        max_power_kw: Decimal | None = None,
    ) -> ChargerView:
        """A driver plugs a vehicle in; an authorised session starts charging at once."""

        async def act(uow: UnitOfWork, charger: _Charger) -> ChargerView:
            state = charger.state
            if state.vehicle is not None:
                raise ChargerError(f"a vehicle is already plugged into EVSE {charger.evse.uid}")
            wanted = (
                state.run.connector_id if state.run is not None and connector_id is None else connector_id
            )
            connector = charger.connector(wanted)
            if connector_id is not None and ci_key(connector.id) != ci_key(connector_id):
                raise ChargerError(f"EVSE {charger.evse.uid} has no connector {connector_id}")
            state.vehicle = Vehicle(
                connector_id=connector.id,
                capacity_kwh=capacity_kwh if capacity_kwh is not None else self._config.vehicle_kwh,
                max_power_kw=max_power_kw if max_power_kw is not None else self._config.vehicle_kw,
            )
            if state.phase is Phase.AUTHORIZED:
                await self._begin_charging(uow, charger, self._clock())
            elif state.phase is Phase.IDLE:
                await self._set_status(uow, charger, Status.CHARGING)
            return await self._view(uow, charger)

        return await self._with(ref, act)

    async def unplug(self, ref: EvseRef) -> ChargerView:
        """A driver takes the vehicle away; a session still running on it ends there."""

        async def act(uow: UnitOfWork, charger: _Charger) -> ChargerView:
            state = charger.state
            if state.vehicle is None:
                raise ChargerError(f"no vehicle is plugged into EVSE {charger.evse.uid}")
            if state.phase is Phase.CHARGING:
                await self._complete(uow, charger, self._clock(), "vehicle unplugged")
            state.vehicle = None
            state.unplug_at = None
            if state.phase is Phase.FINISHED:
                state.phase = Phase.IDLE
            if state.phase is Phase.IDLE:
                await self._set_status(uow, charger, Status.AVAILABLE)
            return await self._view(uow, charger)

        return await self._with(ref, act)

    async def present_token(self, ref: EvseRef, presented: PresentedToken) -> Authorization:
        """A driver badges a token: the same token again stops its session, another one is authorised
        (by the whitelist rules and, where needed, the eMSP in real time) and starts a session."""
        async with self._uow() as uow:
            charger = await self._open(uow, ref)
        run = charger.state.run
        if (
            run is not None
            and ci_key(run.token_uid) == ci_key(presented.uid)
            and charger.state.phase
            in (
                Phase.AUTHORIZED,
                Phase.CHARGING,
            )
        ):
            outcome = await self._with(ref, lambda uow, c: self._stop(uow, c, "stopped with the token"))
            return Authorization(Decision(True, "the token that started the session stops it"), outcome)
        busy = self._busy(charger, presented.uid)
        if busy is not None:
            return Authorization(Decision(False, busy.message or busy.result.value), busy)
        decision = await self._authorizer.authorize(
            presented,
            cpo=(charger.location.country_code, charger.location.party_id),
            location_id=charger.location.id,
            evse_uid=charger.evse.uid,
        )
        if not decision.allowed or decision.token is None or decision.method is None:
            return Authorization(decision, None)
        token, method = decision.token, decision.method
        outcome = await self._with(
            ref,
            lambda uow, c: self._start(
                uow, c, token, method=method, reference=decision.authorization_reference, connector_id=None
            ),
        )
        return Authorization(decision, outcome)

    async def cancel_reservation(self, ref: EvseRef) -> Outcome:
        """The CPO cancels the reservation held on an EVSE (a defect, roadworks): the eMSP hears of it by a
        CANCELED_RESERVATION result at its original response_url, and no reservation cost is billed."""

        async def act(uow: UnitOfWork, charger: _Charger) -> Outcome:
            run = charger.state.run
            if charger.state.phase is not Phase.RESERVED or run is None or run.reservation_id is None:
                raise ChargerError(f"EVSE {charger.evse.uid} holds no reservation")
            reservation = await uow.session.get(ReservationRecord, run.reservation_id)
            if reservation is None:
                raise ChargerError(f"reservation {run.reservation_id} is missing from the store")
            outcome = await self._cancel_reservation(uow, charger, reservation, by_cpo=True)
            await charger_requests.owe_result(
                uow,
                partner_id=reservation.partner_id,
                url=reservation.response_url,
                result=command_result(
                    CommandResultType.CANCELED_RESERVATION, "the CPO cancelled the reservation"
                ),
                ours=(charger.location.country_code, charger.location.party_id),
                theirs=(reservation.emsp_country_code, reservation.emsp_party_id),
                now=self._clock(),
            )
            return outcome

        return await self._with(ref, act)

    async def view(self, ref: EvseRef) -> ChargerView:
        """The charger as it is now (read only)."""
        async with self._uow() as uow:
            charger = await self._open(uow, ref)
            return await self._view(uow, charger)

    async def _view(self, uow: UnitOfWork, charger: _Charger) -> ChargerView:
        run = charger.state.run
        kwh = None
        if run is not None and run.readings:
            kwh = energy_at(run.readings, self._clock()).quantize(VOLUME_PLACES)
            if run.readings[-1].activity is not Activity.RESERVED and charger.state.vehicle is not None:
                conditions = self._conditions(charger)
                if conditions is not None:
                    kwh = energy_at(advance(run.readings, conditions, self._clock()), self._clock()).quantize(
                        VOLUME_PLACES
                    )
        return ChargerView(
            location_id=charger.location.id,
            evse_uid=charger.evse.uid,
            phase=charger.state.phase,
            evse_status=charger.evse.status,
            vehicle=charger.state.vehicle,
            session_id=None if run is None else run.session_id,
            kwh=kwh,
        )

    # --- requests from partners ------------------------------------------------------------------------

    async def _execute(self, request_id: int, ref: EvseRef) -> None:
        async with self._session(ref) as (uow, charger):
            request = await charger_requests.pending(uow, request_id, lock=True)
            if request is None:
                return
            kind = RequestKind(request.kind)
            if not kind.is_command:
                body, label = await self._profile_request(uow, charger, request)
                await charger_requests.answer(uow, request, body, label=label, now=self._clock())
                return
            outcome = await self._command(uow, charger, kind, request)
            await charger_requests.answer(
                uow,
                request,
                command_result(outcome.result, outcome.message),
                label=outcome.result.value,
                now=self._clock(),
            )

    async def _command(
        self, uow: UnitOfWork, charger: _Charger, kind: RequestKind, request: ChargerRequestRecord
    ) -> Outcome:
        body = request_body(request)
        if kind is RequestKind.START_SESSION:
            start = StartSession.model_validate(body)
            return await self._start(
                uow,
                charger,
                start.token,
                method=AuthMethod.COMMAND,
                reference=start.authorization_reference,
                connector_id=start.connector_id,
            )
        if kind is RequestKind.STOP_SESSION:
            run = charger.state.run
            if run is None or ci_key(run.session_id) != request.session_key:
                return Outcome(CommandResultType.REJECTED, "the session is not running on its charger")
            return await self._stop(uow, charger, "STOP_SESSION")
        if kind is RequestKind.UNLOCK_CONNECTOR:
            return self._unlock(charger, str(body["connector_id"]))
        reservation = await uow.session.get(ReservationRecord, int(body["reservation"]))
        if reservation is None:
            return Outcome(CommandResultType.UNKNOWN_RESERVATION, "the reservation no longer exists")
        if kind is RequestKind.RESERVE_NOW:
            outcome = await self._reserve(uow, charger, reservation)
            if outcome.result is not CommandResultType.ACCEPTED:
                reservation.status = ReservationStatus.FAILED.value
            return outcome
        return await self._cancel_reservation(uow, charger, reservation, by_cpo=False)

    def _unlock(self, charger: _Charger, connector_id: str) -> Outcome:
        vehicle = charger.state.vehicle
        if (
            charger.state.phase is Phase.CHARGING
            and vehicle is not None
            and ci_key(vehicle.connector_id) == ci_key(connector_id)
        ):
            return Outcome(CommandResultType.REJECTED, "a session is charging through this connector")
        if vehicle is not None and ci_key(vehicle.connector_id) == ci_key(connector_id):
            charger.state.vehicle = None
            charger.state.unplug_at = None
            if charger.state.phase is Phase.FINISHED:
                charger.state.phase = Phase.IDLE
        return Outcome(CommandResultType.ACCEPTED, f"connector {connector_id} unlocked")

    # --- the passing of time ---------------------------------------------------------------------------

    async def _tick(self, uow: UnitOfWork, charger: _Charger) -> None:
        """Do what is due on one charger: unplug, expiry, plug-in timeout, profile end, stay end, progress."""
        now = self._clock()
        state = charger.state
        run = state.run
        if state.phase is Phase.FINISHED and state.unplug_at is not None and state.unplug_at <= now:
            state.vehicle = None
            state.unplug_at = None
            state.phase = Phase.IDLE
            await self._set_status(uow, charger, Status.AVAILABLE)
            return
        if run is None:
            return
        if (
            state.phase is Phase.RESERVED
            and run.reservation_expiry is not None
            and run.reservation_expiry <= now
        ):
            await self._end_unused(
                uow, charger, run.reservation_expiry, status=ReservationStatus.EXPIRED, cdr=True
            )
            return
        if state.phase is Phase.AUTHORIZED and run.plug_deadline is not None and run.plug_deadline <= now:
            await self._end_unused(uow, charger, run.plug_deadline, status=ReservationStatus.USED, cdr=True)
            return
        if state.phase is not Phase.CHARGING:
            return
        profile_end = self._profile_end(run)
        if profile_end is not None and profile_end <= now:
            session = await self._stored_session(uow, charger)
            await self._apply_profile(uow, charger, None, at=profile_end)
            await profile_cleared(uow, session, now)
        if run.ends_at is not None and run.ends_at <= now:
            await self._complete(uow, charger, run.ends_at, "the driver left")
            return
        self._advance(charger, now)
        await self._progress(uow, charger, now)

    async def _due_chargers(self, now: datetime) -> list[EvseRef]:
        async with self._uow() as uow:
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

    async def _request_targets(self, now: datetime) -> list[tuple[int, EvseRef]]:
        async with self._uow() as uow:
            targets: list[tuple[int, EvseRef]] = []
            for request in await charger_requests.due(uow, now):
                ref = await self._target_of(uow, request)
                if ref is None:
                    outcome = (
                        command_result(CommandResultType.REJECTED, "no charger runs the session")
                        if RequestKind(request.kind).is_command
                        else {"result": ChargingProfileResultType.REJECTED.value}
                    )
                    await charger_requests.answer(uow, request, outcome, label="NO_CHARGER", now=now)
                else:
                    targets.append((request.id, ref))
            await uow.commit()
        return targets

    async def _target_of(self, uow: UnitOfWork, request: ChargerRequestRecord) -> EvseRef | None:
        """The charger a request is for: named by the request, the session it concerns, or chosen."""
        if request.country_code is None or request.party_id is None:
            return None
        if request.session_key is not None:
            row = (
                await uow.session.execute(
                    select(ChargerStateRecord).where(
                        ChargerStateRecord.country_code == request.country_code,
                        ChargerStateRecord.party_id == request.party_id,
                        ChargerStateRecord.session_key == request.session_key,
                    )
                )
            ).scalar_one_or_none()
            if row is not None:
                return EvseRef(row.country_code, row.party_id, row.location_id, row.evse_uid)
            if RequestKind(request.kind) is RequestKind.STOP_SESSION or request.location_key is None:
                return None
        if request.location_key is None:
            return None
        if request.evse_key is not None:
            return EvseRef(request.country_code, request.party_id, request.location_key, request.evse_key)
        return await self._pick_evse(uow, request)

    async def _pick_evse(self, uow: UnitOfWork, request: ChargerRequestRecord) -> EvseRef | None:
        """For a command without an EVSE: a free EVSE of the Location that can do it, one with a vehicle
        plugged in first (that is where the driver is). An EVSE with a vehicle but no session shows
        CHARGING, so that status counts as free when the charger runs no session."""
        assert request.country_code is not None and request.party_id is not None
        assert request.location_key is not None
        record = await uow.locations.get(request.country_code, request.party_id, request.location_key)
        if record is None:
            return None
        location = uow.locations.parse(record)
        needed = (
            Capability.RESERVABLE
            if RequestKind(request.kind) is RequestKind.RESERVE_NOW
            else Capability.REMOTE_START_STOP_CAPABLE
        )
        states = {
            row.evse_key: ChargerState.model_validate_json(row.state)
            for row in (
                await uow.session.execute(
                    select(ChargerStateRecord).where(
                        ChargerStateRecord.country_code == request.country_code,
                        ChargerStateRecord.party_id == request.party_id,
                        ChargerStateRecord.location_key == request.location_key,
                    )
                )
            ).scalars()
        }
        free = [
            evse
            for evse in location.evses
            if evse.status in (Status.AVAILABLE, Status.CHARGING)
            and needed in evse.capabilities
            and states.get(ci_key(evse.uid), ChargerState()).phase in (Phase.IDLE, Phase.FINISHED)
        ]
        if not free:
            return None
        plugged = [e for e in free if states.get(ci_key(e.uid), ChargerState()).vehicle is not None]
        chosen = (plugged or free)[0]
        return EvseRef(location.country_code, location.party_id, location.id, chosen.uid)

    async def run_due(self) -> int:
        """Act on everything due now: requests whose answer time came, overdue requests, charger events.

        Returns how many things were done. Safe to call at any time and from several places (each charger
        is handled under its lock, and what was done is no longer due).
        """
        now = self._clock()
        done = 0
        for request_id, ref in await self._request_targets(now):
            try:
                await self._execute(request_id, ref)
            except Exception:
                log.exception(
                    "request %d to %s/%s failed; it will be answered as timed out",
                    request_id,
                    ref.location_id,
                    ref.evse_uid,
                )
            done += 1
        async with self._uow() as uow:
            done += await charger_requests.answer_overdue(uow, now)
            await uow.commit()
        for ref in await self._due_chargers(now):
            try:
                await self._with(ref, self._tick)
            except Exception:
                log.exception("charger %s/%s failed to process its events", ref.location_id, ref.evse_uid)
            done += 1
        return done

    async def next_due_at(self) -> datetime | None:
        """When the next charger event or request is due (for the background loop's sleep)."""
        async with self._uow() as uow:
            charger_due = (
                await uow.session.execute(
                    select(ChargerStateRecord.next_event_at)
                    .where(ChargerStateRecord.next_event_at.is_not(None))
                    .order_by(ChargerStateRecord.next_event_at)
                    .limit(1)
                )
            ).scalar_one_or_none()
            request_due = await charger_requests.next_due_at(uow)
        moments = [m for m in (charger_due, request_due) if m is not None]
        return min(moments) if moments else None


def _prices_reservations(tariff: Tariff) -> bool:
    """Whether a tariff has elements for reservations (then an unused reservation gets a CDR)."""
    return any(e.restrictions is not None and e.restrictions.reservation is not None for e in tariff.elements)
