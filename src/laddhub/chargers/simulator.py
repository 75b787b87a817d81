"""The built-in simulated charger behind every EVSE of our Locations: it drives the life of sessions.

A driver (the admin API, a test) plugs a vehicle in and presents a token; a partner sends commands and
charging-profile requests. The charger authorises, starts a session (PENDING until the vehicle is plugged
in, then ACTIVE), takes meter readings whenever the draw changes (`charging_model`), reports progress every
`simulator_meter_interval_s` with the charging periods that closed (`metering`), parks the vehicle once it
is full, and ends the session on STOP_SESSION, a second badge of the same token, unplugging, or the
configured stay. It then prices the session under the tariff that applied at its start and issues the CDR
(`session_runs`). It also holds reservations (`reservation_runs`) and applies charging profiles as a
maximum (`profile_runs`).

Every change of a charger happens in one transaction with the session, the EVSE status (an EVSE PATCH
through `cpo_locations`), the outbox pushes and the results owed to partners, under the charger's lock
(`charger_store`), so the background loop and API calls never interleave on one charger. The state lives
in the database: a node restart loses no session. Time comes from the injected clock; a late event (after a
restart) takes effect at the moment it was due, not when it is processed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from laddhub.chargers import reservation_runs
from laddhub.chargers.charger_store import Charger, ChargerError, ChargerStore, EvseRef
from laddhub.chargers.charging_model import advance
from laddhub.chargers.metering import VOLUME_PLACES, Activity, energy_at
from laddhub.chargers.profile_runs import end_expired_profile, execute_profile_request
from laddhub.chargers.reservations import ReservationStatus
from laddhub.chargers.session_runs import Outcome, SessionRuns, SimulatorSettings
from laddhub.chargers.state import ChargerState, Phase, Vehicle
from laddhub.ocpi.common import ci_key
from laddhub.ocpi.v2_2_1.cdrs import AuthMethod
from laddhub.ocpi.v2_2_1.chargingprofiles import ChargingProfileResultType
from laddhub.ocpi.v2_2_1.commands import CommandResultType, StartSession
from laddhub.ocpi.v2_2_1.locations import Capability, Status
from laddhub.services import charger_requests
from laddhub.services.authorization import Authorizer, Decision, PresentedToken
from laddhub.services.charger_requests import RequestKind, command_result, request_body
from laddhub.services.cpo_data import CpoParties
from laddhub.store.charging_records import ChargerRequestRecord, ReservationRecord
from laddhub.store.uow import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "Authorization",
    "ChargerError",
    "ChargerSimulator",
    "ChargerView",
    "EvseRef",
    "Outcome",
    "SimulatorSettings",
]

log = logging.getLogger("laddhub.chargers")

T = TypeVar("T")


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
        self._authorizer = authorizer
        self._config = config
        self._clock = clock
        self._store = ChargerStore(uow, parties, meter_interval=config.meter_interval, clock=clock)
        self._runs = SessionRuns(parties, config, clock=clock)

    async def _with(self, ref: EvseRef, action: Callable[[UnitOfWork, Charger], Awaitable[T]]) -> T:
        async with self._store.changing(ref) as (uow, charger):
            return await action(uow, charger)

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

        async def act(uow: UnitOfWork, charger: Charger) -> ChargerView:
            state = charger.state
            if state.vehicle is not None:
                raise ChargerError(f"a vehicle is already plugged into EVSE {charger.evse.uid}")
            wanted = connector_id if connector_id is not None or state.run is None else state.run.connector_id
            connector = charger.connector(wanted)
            if connector_id is not None and ci_key(connector.id) != ci_key(connector_id):
                raise ChargerError(f"EVSE {charger.evse.uid} has no connector {connector_id}")
            state.vehicle = Vehicle(
                connector_id=connector.id,
                capacity_kwh=capacity_kwh if capacity_kwh is not None else self._config.vehicle_kwh,
                max_power_kw=max_power_kw if max_power_kw is not None else self._config.vehicle_kw,
            )
            if state.phase is Phase.AUTHORIZED:
                await self._runs.begin_charging(uow, charger, self._clock())
            elif state.phase is Phase.IDLE:
                await self._runs.set_status(uow, charger, Status.CHARGING)
            return self._view(charger)

        return await self._with(ref, act)

    async def unplug(self, ref: EvseRef) -> ChargerView:
        """A driver takes the vehicle away; a session still running on it ends there."""

        async def act(uow: UnitOfWork, charger: Charger) -> ChargerView:
            if charger.state.vehicle is None:
                raise ChargerError(f"no vehicle is plugged into EVSE {charger.evse.uid}")
            if charger.state.phase is Phase.CHARGING:
                await self._runs.complete(uow, charger, self._clock(), "vehicle unplugged")
            await self._vehicle_leaves(uow, charger)
            return self._view(charger)

        return await self._with(ref, act)

    async def _vehicle_leaves(self, uow: UnitOfWork, charger: Charger) -> None:
        state = charger.state
        state.vehicle = None
        state.unplug_at = None
        if state.phase is Phase.FINISHED:
            state.phase = Phase.IDLE
        if state.phase is Phase.IDLE:
            await self._runs.set_status(uow, charger, Status.AVAILABLE)

    async def present_token(self, ref: EvseRef, presented: PresentedToken) -> Authorization:
        """A driver badges a token: the same token again stops its session, another one is authorised
        (by the whitelist rules and, where needed, the eMSP in real time) and starts a session.

        The eMSP is asked outside any transaction; the charger is then changed under its lock, and is
        checked again there (someone else may have started in the meantime).
        """
        charger = await self._store.peek(ref)
        run = charger.state.run
        own_session = run is not None and ci_key(run.token_uid) == ci_key(presented.uid)
        if own_session and charger.state.phase in (Phase.AUTHORIZED, Phase.CHARGING):
            outcome = await self._with(ref, lambda uow, c: self._runs.stop(uow, c, "stopped with the token"))
            return Authorization(Decision(True, "the token that started the session stops it"), outcome)
        busy = self._runs.busy(charger, presented.uid)
        if busy is not None:
            return Authorization(Decision(False, busy.message or busy.result.value), busy)
        decision = await self._authorizer.authorize(
            presented, cpo=charger.ours, location_id=charger.location.id, evse_uid=charger.evse.uid
        )
        if not decision.allowed or decision.token is None or decision.method is None:
            return Authorization(decision, None)
        token, method = decision.token, decision.method
        outcome = await self._with(
            ref,
            lambda uow, c: self._runs.start(
                uow, c, token, method=method, reference=decision.authorization_reference, connector_id=None
            ),
        )
        return Authorization(decision, outcome)

    async def cancel_reservation(self, ref: EvseRef) -> Outcome:
        """The CPO cancels the reservation held on an EVSE (a defect, roadworks): the eMSP hears of it by a
        CANCELED_RESERVATION result at its original response_url, and no reservation cost is billed."""

        async def act(uow: UnitOfWork, charger: Charger) -> Outcome:
            run = charger.state.run
            if charger.state.phase is not Phase.RESERVED or run is None or run.reservation_id is None:
                raise ChargerError(f"EVSE {charger.evse.uid} holds no reservation")
            reservation = await uow.session.get(ReservationRecord, run.reservation_id)
            if reservation is None:
                raise ChargerError(f"reservation {run.reservation_id} is missing from the store")
            outcome = await reservation_runs.cancel(self._runs, uow, charger, reservation, by_cpo=True)
            await charger_requests.owe_result(
                uow,
                partner_id=reservation.partner_id,
                url=reservation.response_url,
                result=command_result(
                    CommandResultType.CANCELED_RESERVATION, "the CPO cancelled the reservation"
                ),
                ours=charger.ours,
                theirs=(reservation.emsp_country_code, reservation.emsp_party_id),
                now=self._clock(),
            )
            return outcome

        return await self._with(ref, act)

    async def view(self, ref: EvseRef) -> ChargerView:
        """The charger as it is now (read only)."""
        return self._view(await self._store.peek(ref))

    def _view(self, charger: Charger) -> ChargerView:
        run = charger.state.run
        kwh = None
        if run is not None and run.readings:
            readings = run.readings
            conditions = self._runs.conditions(charger)
            if conditions is not None and readings[-1].activity is not Activity.RESERVED:
                readings = advance(readings, conditions, self._clock())
            kwh = energy_at(readings, self._clock()).quantize(VOLUME_PLACES)
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
        async with self._store.changing(ref) as (uow, charger):
            request = await charger_requests.pending(uow, request_id, lock=True)
            if request is None:
                return
            kind = RequestKind(request.kind)
            if kind.is_command:
                outcome = await self._command(uow, charger, kind, request)
                body, label = command_result(outcome.result, outcome.message), outcome.result.value
            else:
                body, label = await execute_profile_request(self._runs, uow, charger, request)
            await charger_requests.answer(uow, request, body, label=label, now=self._clock())

    async def _command(
        self, uow: UnitOfWork, charger: Charger, kind: RequestKind, request: ChargerRequestRecord
    ) -> Outcome:
        body = request_body(request)
        if kind is RequestKind.START_SESSION:
            start = StartSession.model_validate(body)
            return await self._runs.start(
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
            return await self._runs.stop(uow, charger, "STOP_SESSION")
        if kind is RequestKind.UNLOCK_CONNECTOR:
            return await self._unlock(uow, charger, str(body["connector_id"]))
        reservation = await uow.session.get(ReservationRecord, int(body["reservation"]))
        if reservation is None:
            return Outcome(CommandResultType.UNKNOWN_RESERVATION, "the reservation no longer exists")
        if kind is RequestKind.RESERVE_NOW:
            outcome = await reservation_runs.reserve(self._runs, uow, charger, reservation)
            if outcome.result is not CommandResultType.ACCEPTED:
                reservation.status = ReservationStatus.FAILED.value
            return outcome
        return await reservation_runs.cancel(self._runs, uow, charger, reservation, by_cpo=False)

    async def _unlock(self, uow: UnitOfWork, charger: Charger, connector_id: str) -> Outcome:
        """Release the connector's lock; a vehicle on it is free to go, unless it is charging."""
        vehicle = charger.state.vehicle
        on_it = vehicle is not None and ci_key(vehicle.connector_id) == ci_key(connector_id)
        if on_it and charger.state.phase is Phase.CHARGING:
            return Outcome(CommandResultType.REJECTED, "a session is charging through this connector")
        if on_it and charger.state.phase in (Phase.IDLE, Phase.FINISHED):
            await self._vehicle_leaves(uow, charger)
        return Outcome(CommandResultType.ACCEPTED, f"connector {connector_id} unlocked")

    async def _request_targets(self, now: datetime) -> list[tuple[int, EvseRef]]:
        async with self._store.uow() as uow:
            targets: list[tuple[int, EvseRef]] = []
            for request in await charger_requests.due(uow, now):
                ref = await self._target_of(uow, request)
                if ref is None:
                    outcome = self._untargeted(request)
                    await charger_requests.answer(uow, request, outcome, label="NO_CHARGER", now=now)
                else:
                    targets.append((request.id, ref))
            await uow.commit()
        return targets

    @staticmethod
    def _untargeted(request: ChargerRequestRecord) -> dict[str, Any]:
        """The result of a request no charger can take: its session runs nowhere, or (a command for a
        Location without an EVSE) no EVSE of the Location is free."""
        if not RequestKind(request.kind).is_command:
            return {"result": ChargingProfileResultType.REJECTED.value}
        if request.session_key is not None:
            return command_result(CommandResultType.REJECTED, "the session is not running on a charger")
        return command_result(CommandResultType.EVSE_OCCUPIED, "no EVSE of the Location is free")

    async def _target_of(self, uow: UnitOfWork, request: ChargerRequestRecord) -> EvseRef | None:
        """The charger a request is for: the one running its session, the EVSE it names, or one chosen."""
        country, party = request.country_code, request.party_id
        if country is None or party is None:
            return None
        if request.session_key is not None:
            running = await self._store.running(uow, country, party, request.session_key)
            if running is not None or RequestKind(request.kind) is RequestKind.STOP_SESSION:
                return running
        if request.location_key is None:
            return None
        if request.evse_key is not None:
            return EvseRef(country, party, request.location_key, request.evse_key)
        return await self._pick_evse(uow, request, country, party, request.location_key)

    async def _pick_evse(
        self, uow: UnitOfWork, request: ChargerRequestRecord, country: str, party: str, location_key: str
    ) -> EvseRef | None:
        """For a command without an EVSE: a free EVSE of the Location that can do it, one with a vehicle
        plugged in first (that is where the driver is). An EVSE with a vehicle but no session shows
        CHARGING, so that status counts as free when the charger runs no session."""
        record = await uow.locations.get(country, party, location_key)
        if record is None:
            return None
        location = uow.locations.parse(record)
        needed = (
            Capability.RESERVABLE
            if RequestKind(request.kind) is RequestKind.RESERVE_NOW
            else Capability.REMOTE_START_STOP_CAPABLE
        )
        states = await self._store.states_at(uow, country, party, location_key)
        idle = ChargerState()
        free = [
            evse
            for evse in location.evses
            if evse.status in (Status.AVAILABLE, Status.CHARGING)
            and needed in evse.capabilities
            and states.get(ci_key(evse.uid), idle).phase in (Phase.IDLE, Phase.FINISHED)
        ]
        if not free:
            return None
        plugged = [e for e in free if states.get(ci_key(e.uid), idle).vehicle is not None]
        chosen = (plugged or free)[0]
        return EvseRef(location.country_code, location.party_id, location.id, chosen.uid)

    # --- the passing of time ---------------------------------------------------------------------------

    async def _tick(self, uow: UnitOfWork, charger: Charger) -> None:
        """Do what is due on one charger: unplug, expiry, plug-in timeout, profile end, stay end, progress."""
        now = self._clock()
        state, run = charger.state, charger.state.run
        if state.phase is Phase.FINISHED and state.unplug_at is not None and state.unplug_at <= now:
            await self._vehicle_leaves(uow, charger)
            return
        if run is None:
            return
        expiry, deadline = run.reservation_expiry, run.plug_deadline
        if state.phase is Phase.RESERVED and expiry is not None and expiry <= now:
            await self._runs.end_unused(uow, charger, expiry, status=ReservationStatus.EXPIRED, cdr=True)
            return
        if state.phase is Phase.AUTHORIZED and deadline is not None and deadline <= now:
            await self._runs.end_unused(uow, charger, deadline, status=ReservationStatus.USED, cdr=True)
            return
        if state.phase is not Phase.CHARGING:
            return
        await end_expired_profile(self._runs, uow, charger, now)
        if run.ends_at is not None and run.ends_at <= now:
            await self._runs.complete(uow, charger, run.ends_at, "the driver left")
            return
        self._runs.advance(charger, now)
        await self._runs.progress(uow, charger, now)

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
                log.exception("request %d to %s/%s failed; it will time out", request_id, *ref.key[2:])
            done += 1
        async with self._store.uow() as uow:
            done += await charger_requests.answer_overdue(uow, now)
            await uow.commit()
        for ref in await self._store.due(now):
            try:
                await self._with(ref, self._tick)
            except Exception:
                log.exception("charger %s/%s failed to process its events", ref.location_id, ref.evse_uid)
            done += 1
        return done

    async def next_due_at(self) -> datetime | None:
        """When the next charger event or request is due (for the background loop's sleep)."""
        charger_due = await self._store.next_event_at()
        async with self._store.uow() as uow:
            request_due = await charger_requests.next_due_at(uow)
        moments = [m for m in (charger_due, request_due) if m is not None]
        return min(moments) if moments else None
