"""How a simulated charger applies charging profiles, reports the active one, and tells the sender.

A profile is a maximum from the moment it is applied; the draw changes at once (a meter reading) and the
partner that set a profile on the session hears of the new active profile.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from laddhub.chargers.charger_store import Charger
from laddhub.chargers.charging_model import settle
from laddhub.chargers.electrical import Supply
from laddhub.chargers.metering import Activity
from laddhub.chargers.profiles import active_profile, anchor_of
from laddhub.chargers.session_runs import SessionRuns
from laddhub.ocpi.common import ci_key
from laddhub.ocpi.v2_2_1.chargingprofiles import (
    ActiveChargingProfile,
    ActiveChargingProfileResult,
    ChargingProfile,
    ChargingProfileResultType,
)
from laddhub.services.charger_requests import RequestKind, request_body
from laddhub.services.smart_charging import (
    ACTIVE_PROFILE_HORIZON_S,
    announce_active_profile,
    profile_cleared,
    profile_set_by,
)
from laddhub.store.charging_records import ChargerRequestRecord
from laddhub.store.uow import UnitOfWork


def active_schedule(charger: Charger, now: datetime, duration_s: int) -> ActiveChargingProfile:
    """The schedule the charger follows for the next `duration_s` seconds."""
    run = charger.run
    profile = run.charging_profile()
    anchor = None if profile is None else anchor_of(profile, run.charging_started)
    return active_profile(profile, anchor, now, duration_s, Supply.of(charger.connector(run.connector_id)))


async def apply_profile(
    runs: SessionRuns, uow: UnitOfWork, charger: Charger, profile: ChargingProfile | None, *, at: datetime
) -> None:
    """Put `profile` (None: none) in force from `at` and tell the partner that asked for updates."""
    run = charger.run
    runs.advance(charger, at)
    run.profile = None if profile is None else profile.to_ocpi()
    conditions = runs.conditions(charger)
    if conditions is not None and run.readings and run.readings[-1].activity is not Activity.RESERVED:
        run.readings = settle(run.readings, at, conditions)
    session = await runs.stored_session(uow, charger)
    active = active_schedule(charger, at, ACTIVE_PROFILE_HORIZON_S)
    await announce_active_profile(uow, session, active, ours=charger.ours, now=runs.clock())


def _result(result: ChargingProfileResultType) -> tuple[dict[str, Any], str]:
    return {"result": result.value}, result.value


async def execute_profile_request(
    runs: SessionRuns, uow: UnitOfWork, charger: Charger, request: ChargerRequestRecord
) -> tuple[dict[str, Any], str]:
    """Execute a set / get / clear request; return the result body and its label."""
    kind = RequestKind(request.kind)
    body = request_body(request)
    run = charger.state.run
    now = runs.clock()
    if run is None or ci_key(run.session_id) != request.session_key:
        return {"result": ChargingProfileResultType.REJECTED.value}, "NO_SESSION"
    if kind is RequestKind.GET_PROFILE:
        active = active_schedule(charger, now, int(body["duration"]))
        result = ActiveChargingProfileResult(result=ChargingProfileResultType.ACCEPTED, profile=active)
        return result.to_ocpi(), ChargingProfileResultType.ACCEPTED.value
    session = await runs.stored_session(uow, charger)
    if kind is RequestKind.CLEAR_PROFILE:
        if run.profile is None:
            return _result(ChargingProfileResultType.UNKNOWN)
        await apply_profile(runs, uow, charger, None, at=now)
        await profile_cleared(uow, session, now)
        return _result(ChargingProfileResultType.ACCEPTED)
    profile = ChargingProfile.model_validate(body["charging_profile"])
    await profile_set_by(uow, session, request.partner_id, profile.model_dump_json(), now)
    await apply_profile(runs, uow, charger, profile, at=now)
    return _result(ChargingProfileResultType.ACCEPTED)


async def end_expired_profile(runs: SessionRuns, uow: UnitOfWork, charger: Charger, now: datetime) -> None:
    """A profile whose duration ran out stops limiting at its end, and the sender hears of it."""
    run = charger.run
    end = run.profile_end()
    if end is None or end > now:
        return
    session = await runs.stored_session(uow, charger)
    await apply_profile(runs, uow, charger, None, at=end)
    await profile_cleared(uow, session, now)
