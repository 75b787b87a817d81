"""FastAPI dependencies shared by the OCPI routers: the node context, the caller, the JSON body."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Request

from laddhub.api.context import NodeContext
from laddhub.ocpi.status import InvalidJson
from laddhub.services.authentication import Caller, authenticate


def get_node(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


Node = Annotated[NodeContext, Depends(get_node)]


async def _caller(request: Request, *, allow_invitation: bool) -> Caller:
    node = get_node(request)
    return await authenticate(
        node.uow, request.headers.get("authorization"), now=node.clock(), allow_invitation=allow_invitation
    )


async def any_caller(request: Request) -> Caller:
    """Token A, B or C: for versions, version details and credentials."""
    return await _caller(request, allow_invitation=True)


async def registered_caller(request: Request) -> Caller:
    """Token B or C only: every functional module."""
    return await _caller(request, allow_invitation=False)


AnyCaller = Annotated[Caller, Depends(any_caller)]
RegisteredCaller = Annotated[Caller, Depends(registered_caller)]


async def json_body(request: Request) -> Any:
    """The request body as JSON; a body that is not JSON is HTTP 400 (digest §2.8)."""
    raw = await request.body()
    if not raw.strip():
        raise InvalidJson("the request has no body; expected a JSON object")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidJson(f"the body is not valid JSON: {exc}") from None


JsonBody = Annotated[Any, Depends(json_body)]
