"""The CPO's Tokens Receiver interface: eMSPs push their drivers' tokens here (digest §9.2).

`GET/PUT/PATCH /ocpi/2.2.1/cpo/tokens/{country_code}/{party_id}/{token_uid}[?type=RFID]`. The rules are
in `laddhub.services.tokens`. PUT answers HTTP 201 when it created the token and 200 otherwise, without
`data`; every answer echoes the routing headers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse, Response

from laddhub.api.deps import JsonBody, Node
from laddhub.api.document_responses import document_response
from laddhub.api.modules import ModuleEndpoint, register
from laddhub.api.openapi_bodies import json_body
from laddhub.api.responses import ocpi_response
from laddhub.api.routing import FunctionalCall, functional
from laddhub.ocpi.v2_2_1.tokens import Token, TokenPatch
from laddhub.services import tokens
from laddhub.services.tokens import Stored, TokenKey

PREFIX = "/cpo/tokens"
router = APIRouter(prefix="/ocpi/2.2.1" + PREFIX, tags=["CPO Receiver interfaces"])
register(ModuleEndpoint("tokens", "RECEIVER", PREFIX, frozenset({"CPO"})))

Call = Annotated[FunctionalCall, Depends(functional({"CPO"}, {"EMSP", "HUB"}))]
CountryCode = Annotated[
    str, Path(min_length=2, max_length=2, description="The eMSP's country (CiString(2)).")
]
PartyId = Annotated[str, Path(min_length=3, max_length=3, description="The eMSP's party id (CiString(3)).")]
TokenUid = Annotated[str, Path(min_length=1, max_length=36, description="Token uid (CiString(36)).")]
TypeParam = Annotated[
    str | None, Query(alias="type", description="AD_HOC_USER, APP_USER, OTHER or RFID (the default).")
]
ONE_TOKEN = "/{country_code}/{party_id}/{token_uid}"  # noqa: S105 (a URL template, not a secret)


def _key(country_code: str, party_id: str, token_uid: str, token_type: str | None) -> TokenKey:
    return TokenKey(country_code, party_id, token_uid, tokens.parse_token_type(token_type))


@router.get(ONE_TOKEN, summary="A token as we store it")
async def get_token(
    node: Node,
    call: Call,
    country_code: CountryCode,
    party_id: PartyId,
    token_uid: TokenUid,
    type: TypeParam = None,
) -> Response:
    key = _key(country_code, party_id, token_uid, type)
    document = await tokens.read_token(node.uow, call.caller.partner, key)
    return document_response(node, document, call=call)


@router.put(ONE_TOKEN, summary="Create or replace a token", openapi_extra=json_body(Token))
async def put_token(
    node: Node,
    call: Call,
    country_code: CountryCode,
    party_id: PartyId,
    token_uid: TokenUid,
    body: JsonBody,
    type: TypeParam = None,
) -> JSONResponse:
    key = _key(country_code, party_id, token_uid, type)
    outcome = await tokens.put_token(node.uow, call.caller.partner, key, body, now=node.clock())
    return ocpi_response(node, http_status=201 if outcome is Stored.CREATED else 200, call=call)


@router.patch(
    ONE_TOKEN, summary="Change fields of a token (last_updated required)", openapi_extra=json_body(TokenPatch)
)
async def patch_token(
    node: Node,
    call: Call,
    country_code: CountryCode,
    party_id: PartyId,
    token_uid: TokenUid,
    body: JsonBody,
    type: TypeParam = None,
) -> JSONResponse:
    key = _key(country_code, party_id, token_uid, type)
    await tokens.patch_token(node.uow, call.caller.partner, key, body, now=node.clock())
    return ocpi_response(node, call=call)
