"""The eMSP Receiver interfaces of locations, tariffs, sessions and CDRs (digest §5.3, §6.3, §7.3, §8.1).

Thin HTTP adapters around `laddhub.services.emsp_data`, which holds the rules. Successful pushes answer
without `data` (the spec leaves it unspecified), HTTP 201 when an object was created and 200 otherwise;
every answer echoes the routing headers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from laddhub.api.deps import JsonBody, Node
from laddhub.api.modules import ModuleEndpoint, register
from laddhub.api.openapi_bodies import json_body
from laddhub.api.responses import ocpi_response
from laddhub.api.routing import FunctionalCall, functional
from laddhub.ocpi.paging import MAX_INT
from laddhub.ocpi.v2_2_1.cdrs import CDR
from laddhub.ocpi.v2_2_1.locations import EVSE as EvseModel
from laddhub.ocpi.v2_2_1.locations import Connector, ConnectorPatch, EvsePatch, Location, LocationPatch
from laddhub.ocpi.v2_2_1.sessions import Session, SessionPatch
from laddhub.ocpi.v2_2_1.tariffs import Tariff
from laddhub.services import emsp_data
from laddhub.services.emsp_data import ObjectKey, Sender, Stored
from laddhub.services.identity import NodeIdentity

PREFIX = "/emsp"
router = APIRouter(prefix="/ocpi/2.2.1" + PREFIX, tags=["eMSP Receiver interfaces"])

for _module in ("locations", "tariffs", "sessions", "cdrs"):
    register(ModuleEndpoint(_module, "RECEIVER", f"{PREFIX}/{_module}", frozenset({"EMSP"})))

Call = Annotated[FunctionalCall, Depends(functional({"EMSP"}, {"CPO", "HUB"}))]
CountryCode = Annotated[str, Path(min_length=2, max_length=2, description="Owner country (CiString(2)).")]
PartyId = Annotated[str, Path(min_length=3, max_length=3, description="Owner party (CiString(3)).")]
ObjectId = Annotated[str, Path(min_length=1, max_length=36, description="Object id (CiString(36)).")]
EvseUid = Annotated[str, Path(min_length=1, max_length=36, description="EVSE uid (CiString(36)).")]
ConnectorId = Annotated[str, Path(min_length=1, max_length=36, description="Connector id (CiString(36)).")]

LOCATION = "/locations/{country_code}/{party_id}/{location_id}"
EVSE = LOCATION + "/{evse_uid}"
CONNECTOR = EVSE + "/{connector_id}"
TARIFF = "/tariffs/{country_code}/{party_id}/{tariff_id}"
SESSION = "/sessions/{country_code}/{party_id}/{session_id}"


def _sender(call: FunctionalCall) -> Sender:
    return Sender.of(call.caller.partner)


def _stored(node: Node, call: FunctionalCall, outcome: Stored) -> JSONResponse:
    return ocpi_response(node, http_status=201 if outcome is Stored.CREATED else 200, call=call)


# --- locations ---------------------------------------------------------------------------------------------


@router.get(LOCATION, summary="The Location as we store it")
async def get_location(
    node: Node, call: Call, country_code: CountryCode, party_id: PartyId, location_id: ObjectId
) -> JSONResponse:
    key = ObjectKey(country_code, party_id, location_id)
    return ocpi_response(node, await emsp_data.read_location(node.uow, _sender(call), key), call=call)


@router.get(EVSE, summary="One EVSE of a Location as we store it")
async def get_evse(
    node: Node,
    call: Call,
    country_code: CountryCode,
    party_id: PartyId,
    location_id: ObjectId,
    evse_uid: EvseUid,
) -> JSONResponse:
    key = ObjectKey(country_code, party_id, location_id)
    data = await emsp_data.read_location(node.uow, _sender(call), key, evse_uid)
    return ocpi_response(node, data, call=call)


@router.get(CONNECTOR, summary="One Connector of an EVSE as we store it")
async def get_connector(
    node: Node,
    call: Call,
    country_code: CountryCode,
    party_id: PartyId,
    location_id: ObjectId,
    evse_uid: EvseUid,
    connector_id: ConnectorId,
) -> JSONResponse:
    key = ObjectKey(country_code, party_id, location_id)
    data = await emsp_data.read_location(node.uow, _sender(call), key, evse_uid, connector_id)
    return ocpi_response(node, data, call=call)


@router.put(LOCATION, summary="Create or replace a Location", openapi_extra=json_body(Location))
async def put_location(
    node: Node,
    call: Call,
    country_code: CountryCode,
    party_id: PartyId,
    location_id: ObjectId,
    body: JsonBody,
) -> JSONResponse:
    key = ObjectKey(country_code, party_id, location_id)
    outcome = await emsp_data.put_location(node.uow, _sender(call), key, body, now=node.clock())
    return _stored(node, call, outcome)


@router.put(EVSE, summary="Create or replace an EVSE of a Location", openapi_extra=json_body(EvseModel))
async def put_evse(
    node: Node,
    call: Call,
    country_code: CountryCode,
    party_id: PartyId,
    location_id: ObjectId,
    evse_uid: EvseUid,
    body: JsonBody,
) -> JSONResponse:
    key = ObjectKey(country_code, party_id, location_id)
    outcome = await emsp_data.put_evse(node.uow, _sender(call), key, evse_uid, body, now=node.clock())
    return _stored(node, call, outcome)


@router.put(CONNECTOR, summary="Create or replace a Connector of an EVSE", openapi_extra=json_body(Connector))
async def put_connector(
    node: Node,
    call: Call,
    country_code: CountryCode,
    party_id: PartyId,
    location_id: ObjectId,
    evse_uid: EvseUid,
    connector_id: ConnectorId,
    body: JsonBody,
) -> JSONResponse:
    key = ObjectKey(country_code, party_id, location_id)
    outcome = await emsp_data.put_connector(
        node.uow, _sender(call), key, evse_uid, connector_id, body, now=node.clock()
    )
    return _stored(node, call, outcome)


@router.patch(LOCATION, summary="Change fields of a Location", openapi_extra=json_body(LocationPatch))
async def patch_location(
    node: Node,
    call: Call,
    country_code: CountryCode,
    party_id: PartyId,
    location_id: ObjectId,
    body: JsonBody,
) -> JSONResponse:
    key = ObjectKey(country_code, party_id, location_id)
    outcome = await emsp_data.patch_location(node.uow, _sender(call), key, body, now=node.clock())
    return _stored(node, call, outcome)


@router.patch(EVSE, summary="Change fields of an EVSE (e.g. its status)", openapi_extra=json_body(EvsePatch))
async def patch_evse(
    node: Node,
    call: Call,
    country_code: CountryCode,
    party_id: PartyId,
    location_id: ObjectId,
    evse_uid: EvseUid,
    body: JsonBody,
) -> JSONResponse:
    key = ObjectKey(country_code, party_id, location_id)
    outcome = await emsp_data.patch_evse(node.uow, _sender(call), key, evse_uid, body, now=node.clock())
    return _stored(node, call, outcome)


@router.patch(CONNECTOR, summary="Change fields of a Connector", openapi_extra=json_body(ConnectorPatch))
async def patch_connector(
    node: Node,
    call: Call,
    country_code: CountryCode,
    party_id: PartyId,
    location_id: ObjectId,
    evse_uid: EvseUid,
    connector_id: ConnectorId,
    body: JsonBody,
) -> JSONResponse:
    key = ObjectKey(country_code, party_id, location_id)
    outcome = await emsp_data.patch_connector(
        node.uow, _sender(call), key, evse_uid, connector_id, body, now=node.clock()
    )
    return _stored(node, call, outcome)


# --- tariffs -----------------------------------------------------------------------------------------------


@router.get(TARIFF, summary="The Tariff as we store it")
async def get_tariff(
    node: Node, call: Call, country_code: CountryCode, party_id: PartyId, tariff_id: ObjectId
) -> JSONResponse:
    key = ObjectKey(country_code, party_id, tariff_id)
    return ocpi_response(node, await emsp_data.read_tariff(node.uow, _sender(call), key), call=call)


@router.put(TARIFF, summary="Create or replace a Tariff", openapi_extra=json_body(Tariff))
async def put_tariff(
    node: Node, call: Call, country_code: CountryCode, party_id: PartyId, tariff_id: ObjectId, body: JsonBody
) -> JSONResponse:
    key = ObjectKey(country_code, party_id, tariff_id)
    outcome = await emsp_data.put_tariff(node.uow, _sender(call), key, body, now=node.clock())
    return _stored(node, call, outcome)


@router.delete(TARIFF, summary="Remove a Tariff that is no longer used")
async def delete_tariff(
    node: Node, call: Call, country_code: CountryCode, party_id: PartyId, tariff_id: ObjectId
) -> JSONResponse:
    await emsp_data.delete_tariff(node.uow, _sender(call), ObjectKey(country_code, party_id, tariff_id))
    return ocpi_response(node, call=call)


# --- sessions ----------------------------------------------------------------------------------------------


@router.get(SESSION, summary="The Session as we store it")
async def get_session(
    node: Node, call: Call, country_code: CountryCode, party_id: PartyId, session_id: ObjectId
) -> JSONResponse:
    key = ObjectKey(country_code, party_id, session_id)
    return ocpi_response(node, await emsp_data.read_session(node.uow, _sender(call), key), call=call)


@router.put(SESSION, summary="Create or replace a Session", openapi_extra=json_body(Session))
async def put_session(
    node: Node, call: Call, country_code: CountryCode, party_id: PartyId, session_id: ObjectId, body: JsonBody
) -> JSONResponse:
    key = ObjectKey(country_code, party_id, session_id)
    outcome = await emsp_data.put_session(node.uow, _sender(call), key, body, now=node.clock())
    return _stored(node, call, outcome)


@router.patch(
    SESSION,
    summary="Change fields of a Session; charging_periods are appended",
    openapi_extra=json_body(SessionPatch),
)
async def patch_session(
    node: Node, call: Call, country_code: CountryCode, party_id: PartyId, session_id: ObjectId, body: JsonBody
) -> JSONResponse:
    key = ObjectKey(country_code, party_id, session_id)
    outcome = await emsp_data.patch_session(node.uow, _sender(call), key, body, now=node.clock())
    return _stored(node, call, outcome)


# --- CDRs --------------------------------------------------------------------------------------------------


def cdr_url(node: Node, reference: int) -> str:
    """Where a stored CDR is served: the `Location` header of the POST answer."""
    base = NodeIdentity.from_settings(node.settings).version_details_url("2.2.1")
    return f"{base}{PREFIX}/cdrs/{reference}"


@router.post(
    "/cdrs",
    summary="Receive a final CDR; the Location header says where it is stored",
    openapi_extra=json_body(CDR),
)
async def post_cdr(node: Node, call: Call, body: JsonBody) -> JSONResponse:
    posted = await emsp_data.post_cdr(node.uow, _sender(call), body, now=node.clock())
    headers = {"Location": cdr_url(node, posted.reference)}
    return ocpi_response(node, http_status=201 if posted.created else 200, headers=headers, call=call)


@router.get("/cdrs/{reference}", summary="A CDR we received, at the URL our POST answer gave")
async def get_cdr(node: Node, call: Call, reference: Annotated[int, Path(ge=1, le=MAX_INT)]) -> JSONResponse:
    return ocpi_response(node, await emsp_data.read_cdr(node.uow, _sender(call), reference), call=call)
