"""How a simulated charger holds reservations: reserve, renew, cancel (expiry is a charger event).

A reservation is a session with status RESERVATION whose first meter reading is RESERVED, so its time is
priced as reservation time whether the driver then charges or not.
"""

from __future__ import annotations

from laddhub.chargers.charger_store import Charger
from laddhub.chargers.metering import Activity, MeterReading
from laddhub.chargers.reservations import ReservationStatus
from laddhub.chargers.session_runs import ZERO, Outcome, SessionRuns
from laddhub.chargers.state import Phase
from laddhub.ocpi.common import ci_key
from laddhub.ocpi.v2_2_1.cdrs import AuthMethod
from laddhub.ocpi.v2_2_1.commands import CommandResultType, ReserveNow
from laddhub.ocpi.v2_2_1.locations import Status
from laddhub.ocpi.v2_2_1.sessions import SessionStatus
from laddhub.services.charging_sessions import change_session, open_session
from laddhub.store.charging_records import ReservationRecord
from laddhub.store.uow import UnitOfWork


async def reserve(
    runs: SessionRuns, uow: UnitOfWork, charger: Charger, reservation: ReservationRecord
) -> Outcome:
    """Hold the EVSE for the reservation's token until its expiry (or renew it if it holds it already)."""
    now = runs.clock()
    request = ReserveNow.model_validate_json(reservation.request)
    state = charger.state
    if state.phase is Phase.RESERVED and charger.run.reservation_id == reservation.id:
        return await _renew(runs, uow, charger, reservation, request)
    busy = runs.busy(charger, None)
    if busy is not None:
        return busy
    if state.vehicle is not None:
        return Outcome(CommandResultType.EVSE_OCCUPIED, f"a vehicle is plugged into EVSE {charger.evse.uid}")
    if request.expiry_date <= now:
        return Outcome(CommandResultType.REJECTED, "expiry_date is in the past")
    token = request.token
    connector = charger.connector(None)
    tariff = await runs.tariff_for(uow, charger, connector, token.default_profile_type, now)
    if tariff is None:
        return Outcome(CommandResultType.FAILED, f"no tariff applies at connector {connector.id}")
    run = runs.new_run(
        charger,
        token,
        connector,
        tariff,
        readings=[MeterReading(now, ZERO, ZERO, ZERO, Activity.RESERVED)],
        last_progress_at=now,
        reservation_id=reservation.id,
        reservation_expiry=request.expiry_date,
    )
    state.run = run
    state.phase = Phase.RESERVED
    session = runs.new_session(
        charger,
        run,
        token,
        tariff,
        status=SessionStatus.RESERVATION,
        method=AuthMethod.COMMAND,
        reference=request.authorization_reference,
        now=now,
    )
    await open_session(uow, session, now=now)
    reservation.status = ReservationStatus.ACTIVE.value
    reservation.evse_key = ci_key(charger.evse.uid)
    reservation.session_key = ci_key(run.session_id)
    reservation.updated_at = now
    await runs.set_status(uow, charger, Status.RESERVED)
    return Outcome(CommandResultType.ACCEPTED, session_id=run.session_id)


async def _renew(
    runs: SessionRuns, uow: UnitOfWork, charger: Charger, reservation: ReservationRecord, request: ReserveNow
) -> Outcome:
    """A RESERVE_NOW repeating the reservation: new expiry, token and reference, same session."""
    run = charger.run
    run.reservation_expiry = request.expiry_date
    run.token_uid = request.token.uid
    reservation.status = ReservationStatus.ACTIVE.value
    reservation.updated_at = runs.clock()
    if request.authorization_reference is not None:
        session = await runs.stored_session(uow, charger)
        changes = {"authorization_reference": request.authorization_reference}
        await change_session(uow, session, changes, closed_periods=[], now=runs.clock())
    return Outcome(CommandResultType.ACCEPTED, session_id=run.session_id)


async def cancel(
    runs: SessionRuns, uow: UnitOfWork, charger: Charger, reservation: ReservationRecord, *, by_cpo: bool
) -> Outcome:
    """End a reservation the driver has not used yet; the CPO's own cancellation bills nothing."""
    state = charger.state
    if state.run is None or state.run.reservation_id != reservation.id:
        return Outcome(CommandResultType.UNKNOWN_RESERVATION, "the charger holds no such reservation")
    if state.phase is not Phase.RESERVED:
        return Outcome(CommandResultType.REJECTED, "the reservation is already in use")
    return await runs.end_unused(
        uow, charger, runs.clock(), status=ReservationStatus.CANCELLED, cdr=not by_cpo
    )
