"""How a simulated charger runs a session: start, charge, report, end, and the CDR.

`SessionRuns` holds what every step needs (our parties, the simulator's timing, the clock, compiled
tariffs) and changes one loaded `Charger` inside the caller's unit of work: its state, the Session document
and its pushes, the EVSE status, and the CDR. The caller (`ChargerSimulator`) holds the charger's lock and
commits.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from laddhub.chargers.charger_store import Charger, ChargerError
from laddhub.chargers.charging_model import Conditions, advance, reading_at
from laddhub.chargers.electrical import Supply
from laddhub.chargers.metering import VOLUME_PLACES, Activity, build_periods, energy_at, price, price_changes
from laddhub.chargers.reservations import ReservationStatus
from laddhub.chargers.state import Phase, Run
from laddhub.chargers.tariff_choice import choose_tariff
from laddhub.config import Settings
from laddhub.ocpi.common import ci_key
from laddhub.ocpi.v2_2_1.cdrs import AuthMethod, CdrLocation, CdrToken
from laddhub.ocpi.v2_2_1.commands import CommandResultType
from laddhub.ocpi.v2_2_1.locations import Connector, Status
from laddhub.ocpi.v2_2_1.sessions import Session, SessionStatus
from laddhub.ocpi.v2_2_1.tariffs import Tariff
from laddhub.ocpi.v2_2_1.tokens import ProfileType, Token
from laddhub.pricing.compiled import CompiledTariff, compile_tariff
from laddhub.pricing.ocpi_adapter import tariff_from_ocpi
from laddhub.services.charging_sessions import (
    cdr_location,
    change_session,
    issue_cdr,
    open_session,
    reported_cost,
    zone_of,
)
from laddhub.services.cpo_data import CpoParties
from laddhub.services.cpo_locations import LocationRef, set_evse_status
from laddhub.services.smart_charging import preferences_of, tariffs_by_ids
from laddhub.store.charging_records import ReservationRecord
from laddhub.store.uow import UnitOfWork

log = logging.getLogger("laddhub.chargers")

ZERO = Decimal(0)
_UNAVAILABLE = frozenset({Status.INOPERATIVE, Status.OUTOFORDER, Status.PLANNED, Status.REMOVED})
_COMPILED_CACHE_SIZE = 256


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
class Outcome:
    """What the charger answered: a CommandResultType, a message for people, and the session concerned."""

    result: CommandResultType
    message: str | None = None
    session_id: str | None = None


def prices_reservations(tariff: Tariff) -> bool:
    """Whether a tariff has elements for reservations (then an unused reservation gets a CDR)."""
    return any(e.restrictions is not None and e.restrictions.reservation is not None for e in tariff.elements)


def cdr_token(token: Token) -> CdrToken:
    """The part of a token a Session and a CDR carry."""
    return CdrToken(
        country_code=token.country_code,
        party_id=token.party_id,
        uid=token.uid,
        type=token.type,
        contract_id=token.contract_id,
    )


class SessionRuns:
    """The steps of a session on a charger, and the helpers they share."""

    def __init__(
        self, parties: CpoParties, config: SimulatorSettings, *, clock: Callable[[], datetime]
    ) -> None:
        self.parties = parties
        self.config = config
        self.clock = clock
        self._compiled: dict[tuple[str, str], CompiledTariff] = {}

    # --- the EVSE, its tariffs and the session ---------------------------------------------------------

    async def set_status(self, uow: UnitOfWork, charger: Charger, status: Status) -> None:
        """Change the EVSE's status (an EVSE PATCH to partners), unless it has it already."""
        if charger.evse.status is status:
            return
        ref = charger.ref
        await set_evse_status(
            uow,
            self.parties,
            LocationRef(ref.location_id, ref.country_code, ref.party_id),
            ref.evse_uid,
            status,
            now=self.clock(),
        )
        charger.evse = charger.evse.model_copy(update={"status": status})

    @staticmethod
    def free_status(charger: Charger) -> Status:
        """The status of an EVSE with no session: CHARGING keeps a plugged-in vehicle visible as in use."""
        return Status.CHARGING if charger.state.vehicle is not None else Status.AVAILABLE

    @staticmethod
    def busy(charger: Charger, token_uid: str | None) -> Outcome | None:
        """Why the charger cannot start a session for `token_uid` now, or None when it can."""
        state, evse = charger.state, charger.evse
        if evse.status in _UNAVAILABLE:
            return Outcome(CommandResultType.EVSE_INOPERATIVE, f"EVSE {evse.uid} is {evse.status}")
        if state.phase in (Phase.AUTHORIZED, Phase.CHARGING):
            return Outcome(CommandResultType.EVSE_OCCUPIED, f"EVSE {evse.uid} is in use")
        if state.phase is Phase.RESERVED:
            if token_uid is not None and ci_key(charger.run.token_uid) == ci_key(token_uid):
                return None
            return Outcome(CommandResultType.EVSE_OCCUPIED, f"EVSE {evse.uid} is reserved")
        if state.phase is Phase.IDLE and evse.status in (Status.BLOCKED, Status.RESERVED):
            return Outcome(CommandResultType.EVSE_OCCUPIED, f"EVSE {evse.uid} is {evse.status}")
        return None

    async def tariff_for(
        self,
        uow: UnitOfWork,
        charger: Charger,
        connector: Connector,
        profile: ProfileType | None,
        at: datetime,
    ) -> Tariff | None:
        """The connector's tariff for a session with this charging preference, starting at `at`."""
        country, party = charger.ours
        return choose_tariff(
            await tariffs_by_ids(uow, country, party, connector.tariff_ids), at=at, profile=profile
        )

    def _compiled_tariff(self, tariff: Tariff) -> CompiledTariff:
        key = (tariff.id, tariff.last_updated.isoformat())
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = compile_tariff(tariff_from_ocpi(tariff))
            if len(self._compiled) >= _COMPILED_CACHE_SIZE:
                self._compiled.clear()
            self._compiled[key] = compiled
        return compiled

    @staticmethod
    async def stored_session(uow: UnitOfWork, charger: Charger) -> Session:
        """The Session document of the charger's run."""
        run = charger.run
        record = await uow.sessions.get(
            charger.location.country_code, charger.location.party_id, run.session_id
        )
        if record is None:
            raise ChargerError(f"session {run.session_id} is missing from the store")
        return uow.sessions.parse(record)

    @staticmethod
    def conditions(charger: Charger) -> Conditions | None:
        """What governs the draw: connector, vehicle and profile (None without a vehicle or a run)."""
        run, vehicle = charger.state.run, charger.state.vehicle
        if run is None or vehicle is None:
            return None
        return Conditions(
            supply=Supply.of(charger.connector(run.connector_id)),
            capacity_kwh=vehicle.capacity_kwh,
            vehicle_max_kw=vehicle.max_power_kw,
            profile=run.charging_profile(),
            charging_started=run.charging_started,
        )

    def advance(self, charger: Charger, until: datetime) -> None:
        """Take the readings of every change of the draw up to `until`."""
        run, conditions = charger.state.run, self.conditions(charger)
        if run is None or conditions is None or not run.readings:
            return
        if run.readings[-1].activity is not Activity.RESERVED:
            run.readings = advance(run.readings, conditions, until)

    async def progress(
        self,
        uow: UnitOfWork,
        charger: Charger,
        at: datetime,
        *,
        final: bool = False,
        reservation_expired: bool | None = None,
        changes: dict[str, Any] | None = None,
    ) -> Session:
        """Report the session up to `at`: energy, cost so far and the periods that closed (all, if final)."""
        run = charger.run
        session = await self.stored_session(uow, charger)
        fields: dict[str, Any] = dict(changes or {})
        new_periods = []
        if run.readings and run.tariff is not None:
            tariff = Tariff.model_validate(run.tariff)
            zone = ZoneInfo(run.time_zone)
            priced = price(self._compiled_tariff(tariff), zone, run.readings, at)
            periods = build_periods(
                run.readings,
                at,
                price_cuts=price_changes(priced),
                max_period=self.config.period_max,
                tariff_id=tariff.id,
            )
            closed = periods if final else periods[:-1]
            so_far = session.model_copy(
                update={"charging_periods": [*session.charging_periods, *periods[run.published_periods :]]}
            )
            fields.setdefault("kwh", energy_at(run.readings, at).quantize(VOLUME_PLACES))
            fields.setdefault(
                "total_cost",
                reported_cost(
                    so_far,
                    tariff,
                    zone,
                    at,
                    expired=final if reservation_expired is None else reservation_expired,
                ),
            )
            new_periods = closed[run.published_periods :]
            run.published_periods = max(run.published_periods, len(closed))
        run.last_progress_at = self.clock()
        return await change_session(uow, session, fields, closed_periods=new_periods, now=self.clock())

    async def issue_cdr(
        self, uow: UnitOfWork, charger: Charger, session: Session, *, reservation_expired: bool | None = None
    ) -> None:
        """The CDR of the finished session, under the tariff and at the location of its start."""
        run = charger.run
        if run.tariff is None:
            return
        await issue_cdr(
            uow,
            session,
            Tariff.model_validate(run.tariff),
            CdrLocation.model_validate(run.cdr_location),
            ZoneInfo(run.time_zone),
            now=self.clock(),
            reservation_expired=reservation_expired,
        )

    # --- starting, charging and ending sessions --------------------------------------------------------

    def new_run(
        self, charger: Charger, token: Token, connector: Connector, tariff: Tariff, **fields: Any
    ) -> Run:
        """A run for a new session of `token` at `connector`, with the tariff and location of its start."""
        return Run(
            session_id=str(uuid.uuid4()),
            connector_id=connector.id,
            token_uid=token.uid,
            default_profile=token.default_profile_type,
            created_at=self.clock(),
            tariff=tariff.to_ocpi(),
            time_zone=zone_of(charger.location).key,
            cdr_location=cdr_location(charger.location, charger.evse, connector).to_ocpi(),
            **fields,
        )

    @staticmethod
    def new_session(
        charger: Charger,
        run: Run,
        token: Token,
        tariff: Tariff,
        *,
        status: SessionStatus,
        method: AuthMethod,
        reference: str | None,
        now: datetime,
    ) -> Session:
        """The Session document of a new run."""
        return Session(
            country_code=charger.location.country_code,
            party_id=charger.location.party_id,
            id=run.session_id,
            start_date_time=now,
            kwh=ZERO,
            cdr_token=cdr_token(token),
            auth_method=method,
            authorization_reference=reference,
            location_id=charger.location.id,
            evse_uid=charger.evse.uid,
            connector_id=run.connector_id,
            currency=tariff.currency,
            status=status,
            last_updated=now,
        )

    async def start(
        self,
        uow: UnitOfWork,
        charger: Charger,
        token: Token,
        *,
        method: AuthMethod,
        reference: str | None,
        connector_id: str | None,
    ) -> Outcome:
        """Start a session for `token` (already authorised): ACTIVE if a vehicle is in, else PENDING."""
        now = self.clock()
        busy = self.busy(charger, token.uid)
        if busy is not None:
            return busy
        if charger.state.phase is Phase.RESERVED:
            return await self._claim_reservation(uow, charger, method=method, reference=reference)
        vehicle = charger.state.vehicle
        connector = charger.connector(vehicle.connector_id if vehicle is not None else connector_id)
        tariff = await self.tariff_for(uow, charger, connector, token.default_profile_type, now)
        if tariff is None:
            return Outcome(CommandResultType.FAILED, f"no tariff applies at connector {connector.id}")
        run = self.new_run(charger, token, connector, tariff, plug_deadline=now + self.config.plug_timeout)
        charger.state.run = run
        charger.state.phase = Phase.AUTHORIZED
        session = self.new_session(
            charger,
            run,
            token,
            tariff,
            status=SessionStatus.PENDING,
            method=method,
            reference=reference,
            now=now,
        )
        await open_session(uow, session, now=now)
        await self.set_status(uow, charger, Status.CHARGING)
        if vehicle is not None:
            await self.begin_charging(uow, charger, now)
        log.info(
            "session %s authorised at %s/%s (%s)",
            run.session_id,
            charger.location.id,
            charger.evse.uid,
            method,
        )
        return Outcome(CommandResultType.ACCEPTED, session_id=run.session_id)

    async def begin_charging(self, uow: UnitOfWork, charger: Charger, at: datetime) -> None:
        """The vehicle is plugged in and authorised: the session becomes ACTIVE and energy flows."""
        run, vehicle = charger.run, charger.state.vehicle
        if vehicle is None:
            raise ChargerError("no vehicle is plugged in")
        session = await self.stored_session(uow, charger)
        connector = charger.connector(vehicle.connector_id)
        changes: dict[str, Any] = {
            "status": SessionStatus.ACTIVE,
            "start_date_time": at,
            "connector_id": connector.id,
        }
        if run.reservation_id is None:
            preferences = await preferences_of(uow, session)
            profile = preferences.profile_type if preferences is not None else run.default_profile
            tariff = await self.tariff_for(uow, charger, connector, profile, at)
            if tariff is not None:
                run.tariff = tariff.to_ocpi()
                changes["currency"] = tariff.currency
        run.connector_id = connector.id
        run.cdr_location = cdr_location(charger.location, charger.evse, connector).to_ocpi()
        run.charging_started = at
        run.plug_deadline = None
        run.ends_at = None if self.config.stay is None else at + self.config.stay
        conditions = self.conditions(charger)
        assert conditions is not None
        run.readings = [*run.readings, reading_at(at, ZERO, conditions)]
        charger.state.phase = Phase.CHARGING
        await self.progress(uow, charger, at, changes=changes)
        await self.set_status(uow, charger, Status.CHARGING)

    async def _claim_reservation(
        self, uow: UnitOfWork, charger: Charger, *, method: AuthMethod, reference: str | None
    ) -> Outcome:
        """The driver who reserved the EVSE starts: the reservation is used and its session goes on."""
        run = charger.run
        now = self.clock()
        await self._mark_reservation(uow, run, ReservationStatus.USED)
        session = await self.stored_session(uow, charger)
        changes: dict[str, Any] = {"auth_method": method}
        if reference is not None:
            changes["authorization_reference"] = reference
        await change_session(uow, session, changes, closed_periods=[], now=now)
        run.reservation_expiry = None
        if charger.state.vehicle is not None:
            await self.begin_charging(uow, charger, now)
        else:
            charger.state.phase = Phase.AUTHORIZED
            run.plug_deadline = now + self.config.plug_timeout
        return Outcome(CommandResultType.ACCEPTED, session_id=run.session_id)

    async def _mark_reservation(self, uow: UnitOfWork, run: Run, status: ReservationStatus) -> None:
        if run.reservation_id is None:
            return
        reservation = await uow.session.get(ReservationRecord, run.reservation_id)
        if reservation is not None:
            reservation.status = status.value
            reservation.updated_at = self.clock()

    async def complete(self, uow: UnitOfWork, charger: Charger, at: datetime, why: str) -> Outcome:
        """End a charging session at `at`: final periods, COMPLETED, and its CDR."""
        run = charger.run
        self.advance(charger, at)
        ended = {"status": SessionStatus.COMPLETED, "end_date_time": at}
        session = await self.progress(uow, charger, at, final=True, changes=ended)
        await self.issue_cdr(uow, charger, session)
        charger.state.run = None
        if charger.state.vehicle is not None:
            charger.state.phase = Phase.FINISHED
            charger.state.unplug_at = self.clock() + self.config.unplug_after
        else:
            charger.state.phase = Phase.IDLE
            await self.set_status(uow, charger, Status.AVAILABLE)
        log.info("session %s completed (%s)", run.session_id, why)
        return Outcome(CommandResultType.ACCEPTED, session_id=run.session_id)

    async def end_unused(
        self, uow: UnitOfWork, charger: Charger, at: datetime, *, status: ReservationStatus, cdr: bool
    ) -> Outcome:
        """End a session that never charged: a reservation (COMPLETED, with a CDR when the tariff prices
        reservations and `cdr`) or an authorisation whose vehicle never came (INVALID)."""
        run = charger.run
        await self._mark_reservation(uow, run, status)
        if any(r.activity is Activity.RESERVED for r in run.readings):
            # Only an expiry is billed with the RESERVATION_EXPIRES elements; a cancellation is not a no-show.
            expired = status is ReservationStatus.EXPIRED
            ended = {"status": SessionStatus.COMPLETED, "end_date_time": at}
            session = await self.progress(
                uow, charger, at, final=True, reservation_expired=expired, changes=ended
            )
            if cdr and run.tariff is not None and prices_reservations(Tariff.model_validate(run.tariff)):
                await self.issue_cdr(uow, charger, session, reservation_expired=expired)
        else:
            session = await self.stored_session(uow, charger)
            invalid = {"status": SessionStatus.INVALID, "end_date_time": at}
            await change_session(uow, session, invalid, closed_periods=[], now=self.clock())
        charger.state.run = None
        charger.state.phase = Phase.IDLE
        await self.set_status(uow, charger, self.free_status(charger))
        return Outcome(CommandResultType.ACCEPTED, session_id=run.session_id)

    async def stop(self, uow: UnitOfWork, charger: Charger, why: str) -> Outcome:
        """Stop the charger's session now (STOP_SESSION, or the token that started it)."""
        now = self.clock()
        if charger.state.phase is Phase.CHARGING:
            return await self.complete(uow, charger, now, why)
        if charger.state.phase is Phase.AUTHORIZED:
            return await self.end_unused(uow, charger, now, status=ReservationStatus.USED, cdr=True)
        return Outcome(CommandResultType.REJECTED, "no session is running on this EVSE")
