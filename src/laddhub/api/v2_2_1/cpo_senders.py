"""The CPO Sender interfaces: GET our Locations, Tariffs, Sessions and CDRs (digest §5.2, §6.2, §7.2, §8.1).

Lists are paginated with every filter of digest §2.5 (offset, limit capped at `page_max_limit`,
date_from inclusive, date_to exclusive) and carry `X-Total-Count`, `X-Limit` and `Link`; the Sessions list
needs `date_from`. What a caller sees is decided by `laddhub.services.cpo_views`. Every answer echoes the
routing headers. When the caller names one of our parties in `OCPI-to-*`, only that party's objects are
listed; otherwise the objects of all our CPO parties are. The reads run outside a transaction
(`UnitOfWorkFactory.reader`): a list is one statement, consistent by itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response

from laddhub.api.deps import Node
from laddhub.api.document_responses import document_response, page_response
from laddhub.api.modules import ModuleEndpoint, register
from laddhub.api.responses import ocpi_response
from laddhub.api.routing import FunctionalCall, functional
from laddhub.ocpi.common import ci_key
from laddhub.ocpi.paging import PageRequest, parse_page_request
from laddhub.services import cpo_views
from laddhub.services.cpo_data import CpoParties

PREFIX = "/cpo"
router = APIRouter(prefix="/ocpi/2.2.1" + PREFIX, tags=["CPO Sender interfaces"])

for _module in ("locations", "tariffs", "sessions", "cdrs"):
    register(ModuleEndpoint(_module, "SENDER", f"{PREFIX}/{_module}", frozenset({"CPO"})))

READERS = {"EMSP", "NSP", "NAP", "HUB", "OTHER", "SCSP"}
Call = Annotated[FunctionalCall, Depends(functional({"CPO"}, READERS))]
LocationId = Annotated[str, Path(min_length=1, max_length=36, description="Location id (CiString(36)).")]
EvseUid = Annotated[str, Path(min_length=1, max_length=36, description="EVSE uid (CiString(36)).")]
ConnectorId = Annotated[str, Path(min_length=1, max_length=36, description="Connector id (CiString(36)).")]

PAGING_DOC = (
    "Paginated: `offset`, `limit` (capped at the node's maximum, given in `X-Limit`), `date_from` "
    "(inclusive) and `date_to` (exclusive) on `last_updated`; `X-Total-Count` and `Link: rel=next`."
)


def _ours(request: Request, node: Node, call: FunctionalCall) -> list[tuple[str, str]]:
    """Our CPO parties a request reads from: the one it addresses by OCPI-to, else all of them."""
    if request.headers.get("ocpi-to-party-id"):
        return [(ci_key(call.ours.country_code), ci_key(call.ours.party_id))]
    return list(CpoParties.from_settings(node.settings).parties)


def _paging(request: Request, node: Node, *, require_date_from: bool = False) -> PageRequest:
    return parse_page_request(
        request.query_params, max_limit=node.settings.page_max_limit, require_date_from=require_date_from
    )


@router.get("/locations", summary="Our Locations the caller may see", description=PAGING_DOC)
async def list_locations(request: Request, node: Node, call: Call) -> Response:
    paging = _paging(request, node)
    async with node.uow.reader() as uow:
        page = await cpo_views.locations_page(uow, call.caller.partner, paging, _ours(request, node, call))
    return page_response(node, request, paging, page, call=call)


@router.get("/locations/{location_id}", summary="One Location")
async def get_location(request: Request, node: Node, call: Call, location_id: LocationId) -> Response:
    async with node.uow.reader() as uow:
        document = await cpo_views.location_document(
            uow, call.caller.partner, _ours(request, node, call), location_id
        )
    return document_response(node, document, call=call)


@router.get("/locations/{location_id}/{evse_uid}", summary="One EVSE of a Location")
async def get_evse(
    request: Request, node: Node, call: Call, location_id: LocationId, evse_uid: EvseUid
) -> JSONResponse:
    async with node.uow.reader() as uow:
        evse = await cpo_views.location_part(
            uow, call.caller.partner, _ours(request, node, call), location_id, evse_uid
        )
    return ocpi_response(node, evse, call=call)


@router.get("/locations/{location_id}/{evse_uid}/{connector_id}", summary="One Connector of an EVSE")
async def get_connector(
    request: Request,
    node: Node,
    call: Call,
    location_id: LocationId,
    evse_uid: EvseUid,
    connector_id: ConnectorId,
) -> JSONResponse:
    async with node.uow.reader() as uow:
        connector = await cpo_views.location_part(
            uow, call.caller.partner, _ours(request, node, call), location_id, evse_uid, connector_id
        )
    return ocpi_response(node, connector, call=call)


@router.get("/tariffs", summary="Our Tariffs", description=PAGING_DOC)
async def list_tariffs(request: Request, node: Node, call: Call) -> Response:
    paging = _paging(request, node)
    async with node.uow.reader() as uow:
        page = await cpo_views.tariffs_page(uow, paging, _ours(request, node, call))
    return page_response(node, request, paging, page, call=call)


@router.get(
    "/sessions",
    summary="Our Sessions of the caller's tokens",
    description=PAGING_DOC + " `date_from` is required.",
)
async def list_sessions(request: Request, node: Node, call: Call) -> Response:
    paging = _paging(request, node, require_date_from=True)
    async with node.uow.reader() as uow:
        page = await cpo_views.sessions_page(uow, call.caller.partner, paging, _ours(request, node, call))
    return page_response(node, request, paging, page, call=call)


@router.get("/cdrs", summary="Our CDRs of the caller's tokens", description=PAGING_DOC)
async def list_cdrs(request: Request, node: Node, call: Call) -> Response:
    paging = _paging(request, node)
    async with node.uow.reader() as uow:
        page = await cpo_views.cdrs_page(uow, call.caller.partner, paging, _ours(request, node, call))
    return page_response(node, request, paging, page, call=call)
