"""The admin REST API under `/admin`: the back office manages our CPO data and reads what the node holds.

Bodies are OCPI objects (Location, EVSE, Connector, Tariff); the node sets `last_updated` itself, and
fills in `country_code`/`party_id` when the node is a CPO for a single party. A write answers with what it
did (`CREATED`, `UPDATED`, `UNCHANGED`, `REMOVED`), the object as now stored, and warnings (a connector
naming a tariff that does not exist). Every change reaches partners through the outbox, in the same
transaction. Errors: see `admin_auth`.

When the node is a CPO for several parties, `country_code` and `party_id` query parameters say which
party's object an id means.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from laddhub.api.admin_auth import AdminRoute, require_admin
from laddhub.api.deps import JsonBody, Node
from laddhub.api.openapi_bodies import json_body
from laddhub.ocpi.paging import MAX_INT, parse_datetime_param
from laddhub.ocpi.status import InvalidParameters
from laddhub.ocpi.v2_2_1.locations import EVSE, Connector, ConnectorPatch, EvsePatch, Location, LocationPatch
from laddhub.ocpi.v2_2_1.tariffs import Tariff
from laddhub.services import admin_queries, cpo_files, cpo_locations, cpo_tariffs
from laddhub.services.admin_queries import DocumentKind
from laddhub.services.cpo_data import CpoParties, Outcome, Saved
from laddhub.services.cpo_locations import LocationRef
from laddhub.services.cpo_tariffs import TariffRef
from laddhub.store.documents import ANY_OWNER, Owner, PageQuery

ADMIN_BODY_NOTE = "country_code and party_id may be left out: they default to our party."

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    route_class=AdminRoute,
    dependencies=[Depends(require_admin)],
    responses={
        400: {"description": "Invalid body or parameter; the message names the field"},
        401: {"description": "Missing or wrong admin token, or the admin API is disabled"},
        404: {"description": "No such object"},
    },
)

# --- response shapes (for the OpenAPI schema) --------------------------------------------------------------


class ChangeResult(BaseModel):
    """What a write did and the object as now stored."""

    outcome: Outcome
    data: dict[str, Any]
    warnings: list[str] = Field(default_factory=list)


class ObjectList(BaseModel):
    """One page of stored OCPI objects, in creation order."""

    items: list[dict[str, Any]]
    total: int
    offset: int
    limit: int


class ImportResult(BaseModel):
    """What an import did: counts per outcome, and warnings per object."""

    created: int
    updated: int
    unchanged: int
    warnings: list[str]


class PartnerOut(BaseModel):
    """A partner with its roles, endpoints, push backlog and, for a Hub, the parties it reported."""

    id: int
    name: str
    status: str
    version: str | None
    versions_url: str | None
    roles: list[dict[str, Any]]
    endpoints: list[dict[str, Any]]
    pending_pushes: int
    failed_pushes: int
    last_push_error: str | None
    reported_parties: list[dict[str, Any]]


class StatusChange(BaseModel):
    """The new status of an EVSE."""

    status: str = Field(description="An OCPI EVSE Status: AVAILABLE, BLOCKED, CHARGING, OUTOFORDER, ...")


# --- parameters --------------------------------------------------------------------------------------------

LocationId = Annotated[str, Path(min_length=1, max_length=36, description="Location id (CiString(36)).")]
EvseUid = Annotated[str, Path(min_length=1, max_length=36, description="EVSE uid (CiString(36)).")]
ConnectorId = Annotated[str, Path(min_length=1, max_length=36, description="Connector id (CiString(36)).")]
TariffId = Annotated[str, Path(min_length=1, max_length=36, description="Tariff id (CiString(36)).")]
OwnerCountry = Annotated[
    str | None, Query(min_length=2, max_length=2, description="Our party's country, if we are several.")
]
OwnerParty = Annotated[
    str | None, Query(min_length=3, max_length=3, description="Our party's id, if we are several.")
]
Offset = Annotated[int, Query(ge=0, le=MAX_INT, description="Index of the first object.")]
Limit = Annotated[int, Query(ge=1, le=1000, description="How many objects at most.")]
DateFrom = Annotated[str | None, Query(description="Only objects with last_updated >= this (OCPI DateTime).")]
DateTo = Annotated[str | None, Query(description="Only objects with last_updated < this (OCPI DateTime).")]
PartnerFilter = Annotated[
    int | None,
    Query(ge=1, le=MAX_INT, description="A partner's id: list the copies received from it instead of ours."),
]


def _parties(node: Node) -> CpoParties:
    return CpoParties.from_settings(node.settings)


def _location(location_id: str, country_code: str | None, party_id: str | None) -> LocationRef:
    return LocationRef(location_id, country_code, party_id)


def _changed(saved: Saved) -> JSONResponse:
    result = ChangeResult(outcome=saved.outcome, data=saved.document, warnings=list(saved.warnings))
    status = 201 if saved.outcome is Outcome.CREATED else 200
    return JSONResponse(result.model_dump(mode="json"), status_code=status)


def _query(
    offset: int, limit: int, date_from: str | None, date_to: str | None, owner: Owner, **filters: Any
) -> PageQuery:
    """A page query; the dates follow the OCPI DateTime rules (a time without zone is UTC)."""
    return PageQuery(
        owner=owner,
        offset=offset,
        limit=limit,
        date_from=parse_datetime_param("date_from", date_from) if date_from else None,
        date_to=parse_datetime_param("date_to", date_to) if date_to else None,
        **filters,
    )


async def _list(node: Node, kind: DocumentKind, query: PageQuery) -> ObjectList:
    async with node.uow() as uow:
        found = await admin_queries.list_documents(uow, kind, query)
    return ObjectList(items=found.items, total=found.total, offset=found.offset, limit=found.limit)


# --- Locations ---------------------------------------------------------------------------------------------


@router.get("/locations", summary="Our Locations", response_model=ObjectList)
async def list_locations(
    node: Node,
    offset: Offset = 0,
    limit: Limit = 100,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    partner_id: PartnerFilter = None,
) -> ObjectList:
    return await _list(node, "locations", _query(offset, limit, date_from, date_to, partner_id))


@router.post(
    "/locations",
    summary="Create a Location",
    status_code=201,
    response_model=ChangeResult,
    openapi_extra=json_body(Location, description=ADMIN_BODY_NOTE),
)
async def create_location(node: Node, body: JsonBody) -> JSONResponse:
    async with node.uow() as uow:
        saved = await cpo_locations.put_location(
            uow, _parties(node), body, now=node.clock(), create_only=True
        )
        await uow.commit()
    return _changed(saved)


@router.get("/locations/{location_id}", summary="One of our Locations")
async def get_location(
    node: Node, location_id: LocationId, country_code: OwnerCountry = None, party_id: OwnerParty = None
) -> dict[str, Any]:
    async with node.uow() as uow:
        _, location = await cpo_locations.own_location(
            uow, _parties(node), _location(location_id, country_code, party_id)
        )
    return location.to_ocpi()


@router.put(
    "/locations/{location_id}",
    summary="Create or replace a Location",
    response_model=ChangeResult,
    openapi_extra=json_body(Location, description=ADMIN_BODY_NOTE),
)
async def put_location(
    node: Node,
    location_id: LocationId,
    body: JsonBody,
    country_code: OwnerCountry = None,
    party_id: OwnerParty = None,
) -> JSONResponse:
    ref = _location(location_id, country_code, party_id)
    async with node.uow() as uow:
        saved = await cpo_locations.put_location(uow, _parties(node), body, now=node.clock(), ref=ref)
        await uow.commit()
    return _changed(saved)


@router.patch(
    "/locations/{location_id}",
    summary="Change fields of a Location",
    response_model=ChangeResult,
    openapi_extra=json_body(LocationPatch),
)
async def patch_location(
    node: Node,
    location_id: LocationId,
    body: JsonBody,
    country_code: OwnerCountry = None,
    party_id: OwnerParty = None,
) -> JSONResponse:
    ref = _location(location_id, country_code, party_id)
    async with node.uow() as uow:
        saved = await cpo_locations.patch_location(uow, _parties(node), ref, body, now=node.clock())
        await uow.commit()
    return _changed(saved)


@router.delete(
    "/locations/{location_id}",
    summary="Retire a Location: every EVSE becomes REMOVED (OCPI never deletes Locations)",
    response_model=ChangeResult,
)
async def delete_location(
    node: Node, location_id: LocationId, country_code: OwnerCountry = None, party_id: OwnerParty = None
) -> JSONResponse:
    ref = _location(location_id, country_code, party_id)
    async with node.uow() as uow:
        saved = await cpo_locations.remove_location(uow, _parties(node), ref, now=node.clock())
        await uow.commit()
    return _changed(saved)


# --- EVSEs -------------------------------------------------------------------------------------------------


@router.get("/locations/{location_id}/evses/{evse_uid}", summary="One EVSE of a Location")
async def get_evse(
    node: Node,
    location_id: LocationId,
    evse_uid: EvseUid,
    country_code: OwnerCountry = None,
    party_id: OwnerParty = None,
) -> dict[str, Any]:
    async with node.uow() as uow:
        _, location = await cpo_locations.own_location(
            uow, _parties(node), _location(location_id, country_code, party_id)
        )
    return cpo_locations.evse_of(location, evse_uid).to_ocpi()


@router.put(
    "/locations/{location_id}/evses/{evse_uid}",
    summary="Create or replace an EVSE",
    response_model=ChangeResult,
    openapi_extra=json_body(EVSE, description=ADMIN_BODY_NOTE),
)
async def put_evse(
    node: Node,
    location_id: LocationId,
    evse_uid: EvseUid,
    body: JsonBody,
    country_code: OwnerCountry = None,
    party_id: OwnerParty = None,
) -> JSONResponse:
    ref = _location(location_id, country_code, party_id)
    async with node.uow() as uow:
        saved = await cpo_locations.put_evse(uow, _parties(node), ref, evse_uid, body, now=node.clock())
        await uow.commit()
    return _changed(saved)


@router.patch(
    "/locations/{location_id}/evses/{evse_uid}",
    summary="Change fields of an EVSE",
    response_model=ChangeResult,
    openapi_extra=json_body(EvsePatch),
)
async def patch_evse(
    node: Node,
    location_id: LocationId,
    evse_uid: EvseUid,
    body: JsonBody,
    country_code: OwnerCountry = None,
    party_id: OwnerParty = None,
) -> JSONResponse:
    ref = _location(location_id, country_code, party_id)
    async with node.uow() as uow:
        saved = await cpo_locations.patch_evse(uow, _parties(node), ref, evse_uid, body, now=node.clock())
        await uow.commit()
    return _changed(saved)


@router.put(
    "/locations/{location_id}/evses/{evse_uid}/status",
    summary="Change an EVSE's status (one call; pushed as an EVSE PATCH)",
    response_model=ChangeResult,
)
async def put_evse_status(
    node: Node,
    location_id: LocationId,
    evse_uid: EvseUid,
    body: JsonBody,
    country_code: OwnerCountry = None,
    party_id: OwnerParty = None,
) -> JSONResponse:
    status = body.get("status") if isinstance(body, dict) else None
    if not isinstance(status, str):
        raise InvalidParameters('status: required, e.g. {"status": "CHARGING"}')
    ref = _location(location_id, country_code, party_id)
    async with node.uow() as uow:
        saved = await cpo_locations.set_evse_status(
            uow, _parties(node), ref, evse_uid, status, now=node.clock()
        )
        await uow.commit()
    return _changed(saved)


@router.delete(
    "/locations/{location_id}/evses/{evse_uid}",
    summary="Retire an EVSE: its status becomes REMOVED",
    response_model=ChangeResult,
)
async def delete_evse(
    node: Node,
    location_id: LocationId,
    evse_uid: EvseUid,
    country_code: OwnerCountry = None,
    party_id: OwnerParty = None,
) -> JSONResponse:
    ref = _location(location_id, country_code, party_id)
    async with node.uow() as uow:
        saved = await cpo_locations.remove_evse(uow, _parties(node), ref, evse_uid, now=node.clock())
        await uow.commit()
    return _changed(saved)


# --- Connectors --------------------------------------------------------------------------------------------

CONNECTOR = "/locations/{location_id}/evses/{evse_uid}/connectors/{connector_id}"


@router.get(CONNECTOR, summary="One Connector of an EVSE")
async def get_connector(
    node: Node,
    location_id: LocationId,
    evse_uid: EvseUid,
    connector_id: ConnectorId,
    country_code: OwnerCountry = None,
    party_id: OwnerParty = None,
) -> dict[str, Any]:
    async with node.uow() as uow:
        _, location = await cpo_locations.own_location(
            uow, _parties(node), _location(location_id, country_code, party_id)
        )
    return cpo_locations.connector_of(location, evse_uid, connector_id).to_ocpi()


@router.put(
    CONNECTOR,
    summary="Create or replace a Connector",
    response_model=ChangeResult,
    openapi_extra=json_body(Connector, description=ADMIN_BODY_NOTE),
)
async def put_connector(
    node: Node,
    location_id: LocationId,
    evse_uid: EvseUid,
    connector_id: ConnectorId,
    body: JsonBody,
    country_code: OwnerCountry = None,
    party_id: OwnerParty = None,
) -> JSONResponse:
    ref = _location(location_id, country_code, party_id)
    async with node.uow() as uow:
        saved = await cpo_locations.put_connector(
            uow, _parties(node), ref, evse_uid, connector_id, body, now=node.clock()
        )
        await uow.commit()
    return _changed(saved)


@router.patch(
    CONNECTOR,
    summary="Change fields of a Connector",
    response_model=ChangeResult,
    openapi_extra=json_body(ConnectorPatch),
)
async def patch_connector(
    node: Node,
    location_id: LocationId,
    evse_uid: EvseUid,
    connector_id: ConnectorId,
    body: JsonBody,
    country_code: OwnerCountry = None,
    party_id: OwnerParty = None,
) -> JSONResponse:
    ref = _location(location_id, country_code, party_id)
    async with node.uow() as uow:
        saved = await cpo_locations.patch_connector(
            uow, _parties(node), ref, evse_uid, connector_id, body, now=node.clock()
        )
        await uow.commit()
    return _changed(saved)


@router.delete(
    CONNECTOR, summary="Take a Connector off its EVSE (not the last one)", response_model=ChangeResult
)
async def delete_connector(
    node: Node,
    location_id: LocationId,
    evse_uid: EvseUid,
    connector_id: ConnectorId,
    country_code: OwnerCountry = None,
    party_id: OwnerParty = None,
) -> JSONResponse:
    ref = _location(location_id, country_code, party_id)
    async with node.uow() as uow:
        saved = await cpo_locations.remove_connector(
            uow, _parties(node), ref, evse_uid, connector_id, now=node.clock()
        )
        await uow.commit()
    return _changed(saved)


# --- Tariffs -----------------------------------------------------------------------------------------------


@router.get("/tariffs", summary="Our Tariffs", response_model=ObjectList)
async def list_tariffs(
    node: Node,
    offset: Offset = 0,
    limit: Limit = 100,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    partner_id: PartnerFilter = None,
) -> ObjectList:
    return await _list(node, "tariffs", _query(offset, limit, date_from, date_to, partner_id))


@router.post(
    "/tariffs",
    summary="Create a Tariff",
    status_code=201,
    response_model=ChangeResult,
    openapi_extra=json_body(Tariff, description=ADMIN_BODY_NOTE),
)
async def create_tariff(node: Node, body: JsonBody) -> JSONResponse:
    async with node.uow() as uow:
        saved = await cpo_tariffs.put_tariff(uow, _parties(node), body, now=node.clock(), create_only=True)
        await uow.commit()
    return _changed(saved)


@router.get("/tariffs/{tariff_id}", summary="One of our Tariffs")
async def get_tariff(
    node: Node, tariff_id: TariffId, country_code: OwnerCountry = None, party_id: OwnerParty = None
) -> dict[str, Any]:
    async with node.uow() as uow:
        _, tariff = await cpo_tariffs.own_tariff(
            uow, _parties(node), TariffRef(tariff_id, country_code, party_id)
        )
    return tariff.to_ocpi()


@router.put(
    "/tariffs/{tariff_id}",
    summary="Create or replace a Tariff",
    response_model=ChangeResult,
    openapi_extra=json_body(Tariff, description=ADMIN_BODY_NOTE),
)
async def put_tariff(
    node: Node,
    tariff_id: TariffId,
    body: JsonBody,
    country_code: OwnerCountry = None,
    party_id: OwnerParty = None,
) -> JSONResponse:
    ref = TariffRef(tariff_id, country_code, party_id)
    async with node.uow() as uow:
        saved = await cpo_tariffs.put_tariff(uow, _parties(node), body, now=node.clock(), ref=ref)
        await uow.commit()
    return _changed(saved)


@router.delete(
    "/tariffs/{tariff_id}", summary="Delete a Tariff no Connector names any more", response_model=ChangeResult
)
async def delete_tariff(
    node: Node, tariff_id: TariffId, country_code: OwnerCountry = None, party_id: OwnerParty = None
) -> JSONResponse:
    ref = TariffRef(tariff_id, country_code, party_id)
    async with node.uow() as uow:
        saved = await cpo_tariffs.delete_tariff(uow, _parties(node), ref, now=node.clock())
        await uow.commit()
    return _changed(saved)


# --- import and export -------------------------------------------------------------------------------------

ImportKind = Annotated[Literal["locations", "tariffs"], Path(description="What the body holds.")]


@router.post(
    "/import/{kind}",
    summary="Create or replace many Locations or Tariffs at once, all or nothing",
    description="The body is a list of OCPI objects, one object, or an OCPI envelope with them in `data`.",
    response_model=ImportResult,
)
async def import_objects(node: Node, kind: ImportKind, body: JsonBody) -> ImportResult:
    items = cpo_files.objects_of(body)
    async with node.uow() as uow:
        if kind == "locations":
            report = await cpo_files.import_locations(uow, _parties(node), items, now=node.clock())
        else:
            report = await cpo_files.import_tariffs(uow, _parties(node), items, now=node.clock())
        await uow.commit()
    return ImportResult(
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        warnings=list(report.warnings),
    )


@router.get("/export/{kind}", summary="All our Locations or Tariffs, as an importable list")
async def export_objects(node: Node, kind: ImportKind) -> list[dict[str, Any]]:
    async with node.uow() as uow:
        if kind == "locations":
            return await cpo_files.export_locations(uow)
        return await cpo_files.export_tariffs(uow)


# --- what the node holds -----------------------------------------------------------------------------------


@router.get(
    "/partners",
    summary="Every partner, its roles, endpoints, push backlog and Hub reports",
    response_model=list[PartnerOut],
)
async def list_partners(node: Node) -> list[PartnerOut]:
    async with node.uow() as uow:
        views = await admin_queries.partner_views(uow)
    return [PartnerOut.model_validate(view, from_attributes=True) for view in views]


@router.get("/partners/{partner_id}", summary="One partner", response_model=PartnerOut)
async def get_partner(node: Node, partner_id: Annotated[int, Path(ge=1, le=MAX_INT)]) -> PartnerOut:
    async with node.uow() as uow:
        view = await admin_queries.partner_view(uow, partner_id)
    return PartnerOut.model_validate(view, from_attributes=True)


TokenCountry = Annotated[
    str | None, Query(min_length=2, max_length=2, description="The token owner's country.")
]
TokenParty = Annotated[
    str | None, Query(min_length=3, max_length=3, description="The token owner's party id.")
]


def _token_owner(country_code: str | None, party_id: str | None) -> list[tuple[str, str]] | None:
    if country_code is None and party_id is None:
        return None
    if country_code is None or party_id is None:
        raise InvalidParameters("token_country_code and token_party_id go together")
    return [(country_code, party_id)]


@router.get("/sessions", summary="Sessions: ours, or a partner's copies", response_model=ObjectList)
async def list_sessions(
    node: Node,
    offset: Offset = 0,
    limit: Limit = 100,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    partner_id: PartnerFilter = None,
    token_country_code: TokenCountry = None,
    token_party_id: TokenParty = None,
) -> ObjectList:
    owner = _token_owner(token_country_code, token_party_id)
    query = _query(offset, limit, date_from, date_to, partner_id, token_parties=owner)
    return await _list(node, "sessions", query)


@router.get("/cdrs", summary="CDRs: ours, or a partner's copies", response_model=ObjectList)
async def list_cdrs(
    node: Node,
    offset: Offset = 0,
    limit: Limit = 100,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    partner_id: PartnerFilter = None,
    token_country_code: TokenCountry = None,
    token_party_id: TokenParty = None,
) -> ObjectList:
    owner = _token_owner(token_country_code, token_party_id)
    query = _query(offset, limit, date_from, date_to, partner_id, token_parties=owner)
    return await _list(node, "cdrs", query)


@router.get(
    "/tokens", summary="Tokens the eMSPs gave us (of one partner, if given)", response_model=ObjectList
)
async def list_tokens(
    node: Node,
    offset: Offset = 0,
    limit: Limit = 100,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    partner_id: PartnerFilter = None,
) -> ObjectList:
    owner: Owner = ANY_OWNER if partner_id is None else partner_id
    return await _list(node, "tokens", _query(offset, limit, date_from, date_to, owner))
