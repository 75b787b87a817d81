"""The credentials module of 2.2.1: a partner registers, updates, reads or unregisters (digest §4)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from laddhub.api.deps import AnyCaller, JsonBody, Node
from laddhub.api.openapi_bodies import json_body
from laddhub.api.responses import ocpi_response
from laddhub.ocpi.v2_2_1.credentials import Credentials
from laddhub.services import handshake
from laddhub.services.identity import NodeIdentity
from laddhub.services.partner_clients import client_factory

VERSION = "2.2.1"
router = APIRouter(prefix="/ocpi/2.2.1/credentials", tags=["credentials"])


@router.get("", summary="The credentials the caller uses to reach us")
async def get_credentials(node: Node, caller: AnyCaller) -> JSONResponse:
    credentials = handshake.credentials_for(caller, NodeIdentity.from_settings(node.settings))
    return ocpi_response(node, credentials.to_ocpi())


@router.post(
    "",
    summary="Register: the caller gives its credentials and gets token C",
    openapi_extra=json_body(Credentials),
)
async def post_credentials(node: Node, caller: AnyCaller, body: JsonBody) -> JSONResponse:
    credentials = await handshake.accept_registration(
        node.uow,
        caller,
        body,
        version=VERSION,
        identity=NodeIdentity.from_settings(node.settings),
        clients=client_factory(node.http),
        now=node.clock(),
    )
    return ocpi_response(node, credentials.to_ocpi())


@router.put(
    "", summary="Update: new versions/endpoints and a new token", openapi_extra=json_body(Credentials)
)
async def put_credentials(node: Node, caller: AnyCaller, body: JsonBody) -> JSONResponse:
    credentials = await handshake.accept_update(
        node.uow,
        caller,
        body,
        version=VERSION,
        identity=NodeIdentity.from_settings(node.settings),
        clients=client_factory(node.http),
        now=node.clock(),
    )
    return ocpi_response(node, credentials.to_ocpi())


@router.delete("", summary="Unregister: the caller's token is void")
async def delete_credentials(node: Node, caller: AnyCaller) -> JSONResponse:
    await handshake.accept_unregistration(node.uow, caller, now=node.clock())
    return ocpi_response(node)
