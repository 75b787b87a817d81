"""Admin API of the simulated chargers: `/admin/chargers/{location_id}/{evse_uid}/...`.

So that an operator or a test can play the driver: plug a vehicle in, present a token (authorised by the
whitelist rules and, where they ask for it, by the eMSP in real time), unplug, and cancel a reservation as
the CPO. Each answers with the charger as it is afterwards. When the node is a CPO for several parties,
`country_code` and `party_id` say whose Location the id means. Errors follow the admin API (`admin_auth`):
404 for an unknown Location or EVSE, 409 when the charger's state does not allow the action (or the
simulator is off).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from laddhub.api.admin_auth import AdminError, AdminRoute, require_admin
from laddhub.api.charging import Activity
from laddhub.api.deps import Node
from laddhub.chargers.simulator import ChargerError, ChargerSimulator, ChargerView, EvseRef, Outcome
from laddhub.chargers.state import Phase
from laddhub.ocpi.common import Number
from laddhub.ocpi.status import StatusCode
from laddhub.ocpi.v2_2_1.cdrs import AuthMethod
from laddhub.ocpi.v2_2_1.commands import CommandResultType
from laddhub.ocpi.v2_2_1.locations import Status
from laddhub.ocpi.v2_2_1.tokens import TokenType
from laddhub.services.authorization import PresentedToken
from laddhub.services.cpo_data import CpoParties
from laddhub.services.cpo_locations import LocationRef, own_location

router = APIRouter(
    prefix="/admin/chargers",
    tags=["admin: simulated chargers"],
    route_class=AdminRoute,
    dependencies=[Depends(require_admin)],
    responses={
        401: {"description": "Missing or wrong admin token, or the admin API is disabled"},
        404: {"description": "No such Location or EVSE of ours"},
        409: {"description": "The charger's state does not allow this, or the simulator is off"},
    },
)

LocationId = Annotated[str, Path(min_length=1, max_length=36, description="Our Location's id.")]
EvseUid = Annotated[str, Path(min_length=1, max_length=36, description="The EVSE's uid.")]
CountryCode = Annotated[str | None, Query(min_length=2, max_length=2, description="Our party's country.")]
PartyId = Annotated[str | None, Query(min_length=3, max_length=3, description="Our party's id.")]


class VehicleOut(BaseModel):
    connector_id: str
    capacity_kwh: Number
    max_power_kw: Number


class ChargerOut(BaseModel):
    """A simulated charger: its phase, the EVSE's status, the vehicle and the session it runs."""

    location_id: str
    evse_uid: str
    phase: Phase
    evse_status: Status
    vehicle: VehicleOut | None
    session_id: str | None
    kwh: Number | None = Field(description="Energy of the running session so far.")


class PlugIn(BaseModel):
    """The vehicle a driver plugs in; absent fields take the simulator's defaults."""

    connector_id: str | None = Field(default=None, max_length=36)
    energy_kwh: Decimal | None = Field(default=None, gt=0, description="Energy it takes before it parks.")
    max_power_kw: Decimal | None = Field(default=None, gt=0, description="Highest power it draws.")


class PresentToken(BaseModel):
    """A token as a charger reads it; the contract id only when the vehicle tells it (ISO 15118)."""

    uid: str = Field(min_length=1, max_length=36)
    type: TokenType = TokenType.RFID
    contract_id: str | None = Field(default=None, max_length=36)


class AuthorizeOut(BaseModel):
    """Whether the token was allowed, why, and what the charger did with it."""

    allowed: bool
    reason: str
    auth_method: AuthMethod | None
    authorization_reference: str | None
    result: CommandResultType | None
    message: str | None
    session_id: str | None
    charger: ChargerOut


class CancelOut(BaseModel):
    result: CommandResultType
    message: str | None
    session_id: str | None
    charger: ChargerOut


def _simulator(activity: Activity) -> ChargerSimulator:
    if activity.simulator is None:
        raise AdminError(
            "the charger simulator is off (LADDHUB_SIMULATOR_ENABLED)",
            status_code=StatusCode.CLIENT_ERROR,
            http_status=409,
        )
    return activity.simulator


async def _ref(
    node: Node, location_id: str, evse_uid: str, country: str | None, party: str | None
) -> EvseRef:
    async with node.uow() as uow:
        _, location = await own_location(
            uow, CpoParties.from_settings(node.settings), LocationRef(location_id, country, party)
        )
    return EvseRef(location.country_code, location.party_id, location.id, evse_uid)


def _out(view: ChargerView) -> ChargerOut:
    vehicle = view.vehicle
    return ChargerOut(
        location_id=view.location_id,
        evse_uid=view.evse_uid,
        phase=view.phase,
        evse_status=view.evse_status,
        vehicle=None
        if vehicle is None
        else VehicleOut(
            connector_id=vehicle.connector_id,
            capacity_kwh=vehicle.capacity_kwh,
            max_power_kw=vehicle.max_power_kw,
        ),
        session_id=view.session_id,
        kwh=view.kwh,
    )


def _conflict(exc: ChargerError) -> AdminError:
    return AdminError(str(exc), status_code=StatusCode.CLIENT_ERROR, http_status=409)


@router.get("/{location_id}/{evse_uid}", summary="A simulated charger")
async def get_charger(
    node: Node,
    activity: Activity,
    location_id: LocationId,
    evse_uid: EvseUid,
    country_code: CountryCode = None,
    party_id: PartyId = None,
) -> ChargerOut:
    simulator = _simulator(activity)
    ref = await _ref(node, location_id, evse_uid, country_code, party_id)
    try:
        return _out(await simulator.view(ref))
    except ChargerError as exc:
        raise _conflict(exc) from None


@router.post("/{location_id}/{evse_uid}/plug-in", summary="Plug a vehicle in")
async def plug_in(
    node: Node,
    activity: Activity,
    location_id: LocationId,
    evse_uid: EvseUid,
    body: PlugIn | None = None,
    country_code: CountryCode = None,
    party_id: PartyId = None,
) -> ChargerOut:
    simulator = _simulator(activity)
    ref = await _ref(node, location_id, evse_uid, country_code, party_id)
    vehicle = body or PlugIn()
    try:
        view = await simulator.plug_in(
            ref,
            connector_id=vehicle.connector_id,
            capacity_kwh=vehicle.energy_kwh,
            max_power_kw=vehicle.max_power_kw,
        )
    except ChargerError as exc:
        raise _conflict(exc) from None
    activity.wake()
    return _out(view)


@router.post("/{location_id}/{evse_uid}/unplug", summary="Unplug the vehicle (ends a running session)")
async def unplug(
    node: Node,
    activity: Activity,
    location_id: LocationId,
    evse_uid: EvseUid,
    country_code: CountryCode = None,
    party_id: PartyId = None,
) -> ChargerOut:
    simulator = _simulator(activity)
    ref = await _ref(node, location_id, evse_uid, country_code, party_id)
    try:
        view = await simulator.unplug(ref)
    except ChargerError as exc:
        raise _conflict(exc) from None
    activity.wake()
    return _out(view)


@router.post("/{location_id}/{evse_uid}/authorize", summary="Present a token at the charger")
async def authorize(
    node: Node,
    activity: Activity,
    location_id: LocationId,
    evse_uid: EvseUid,
    body: PresentToken,
    country_code: CountryCode = None,
    party_id: PartyId = None,
) -> AuthorizeOut:
    simulator = _simulator(activity)
    ref = await _ref(node, location_id, evse_uid, country_code, party_id)
    try:
        done = await simulator.present_token(ref, PresentedToken(body.uid, body.type, body.contract_id))
        view = await simulator.view(ref)
    except ChargerError as exc:
        raise _conflict(exc) from None
    activity.wake()
    outcome: Outcome | None = done.outcome
    decision = done.decision
    return AuthorizeOut(
        allowed=decision.allowed and (outcome is None or outcome.result is CommandResultType.ACCEPTED),
        reason=decision.reason,
        auth_method=decision.method,
        authorization_reference=decision.authorization_reference,
        result=None if outcome is None else outcome.result,
        message=None if outcome is None else outcome.message,
        session_id=None if outcome is None else outcome.session_id,
        charger=_out(view),
    )


@router.post("/{location_id}/{evse_uid}/cancel-reservation", summary="Cancel the EVSE's reservation (CPO)")
async def cancel_reservation(
    node: Node,
    activity: Activity,
    location_id: LocationId,
    evse_uid: EvseUid,
    country_code: CountryCode = None,
    party_id: PartyId = None,
) -> CancelOut:
    simulator = _simulator(activity)
    ref = await _ref(node, location_id, evse_uid, country_code, party_id)
    try:
        outcome = await simulator.cancel_reservation(ref)
        view = await simulator.view(ref)
    except ChargerError as exc:
        raise _conflict(exc) from None
    activity.wake()
    return CancelOut(
        result=outcome.result, message=outcome.message, session_id=outcome.session_id, charger=_out(view)
    )
