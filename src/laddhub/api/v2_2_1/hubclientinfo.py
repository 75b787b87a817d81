"""The HubClientInfo Receiver interface (digest §12): a Hub tells us which parties it connects.

A configuration module: platform to Hub, so no routing headers. `GET/PUT
/ocpi/2.2.1/hubclientinfo/{country_code}/{party_id}`; PUT answers 201 for a party role not seen before.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from laddhub.api.deps import JsonBody, Node, RegisteredCaller
from laddhub.api.modules import ModuleEndpoint, register
from laddhub.api.openapi_bodies import json_body
from laddhub.api.responses import ocpi_response
from laddhub.ocpi.v2_2_1.hubclientinfo import ClientInfo
from laddhub.services import hub_client_info

router = APIRouter(prefix="/ocpi/2.2.1/hubclientinfo", tags=["HubClientInfo Receiver interface"])
register(ModuleEndpoint("hubclientinfo", "RECEIVER", "/hubclientinfo"))

CountryCode = Annotated[
    str, Path(min_length=2, max_length=2, description="The party's country (CiString(2)).")
]
PartyId = Annotated[str, Path(min_length=3, max_length=3, description="The party's id (CiString(3)).")]


@router.get("/{country_code}/{party_id}", summary="The ClientInfo we hold for a party behind the Hub")
async def get_client_info(
    node: Node, caller: RegisteredCaller, country_code: CountryCode, party_id: PartyId
) -> JSONResponse:
    data = await hub_client_info.read_client_info(node.uow, caller.partner, country_code, party_id)
    return ocpi_response(node, data)


@router.put(
    "/{country_code}/{party_id}",
    summary="The Hub reports a party's connection status",
    openapi_extra=json_body(ClientInfo),
)
async def put_client_info(
    node: Node, caller: RegisteredCaller, country_code: CountryCode, party_id: PartyId, body: JsonBody
) -> JSONResponse:
    created = await hub_client_info.put_client_info(
        node.uow, caller.partner, country_code, party_id, body, now=node.clock()
    )
    return ocpi_response(node, http_status=201 if created else 200)
