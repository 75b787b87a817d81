"""What the charging routers share: the node's charging activity, and answering with a status code."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from laddhub.api.context import NodeContext
from laddhub.api.routing import FunctionalCall
from laddhub.chargers.activity import ChargingActivity
from laddhub.ocpi.envelope import envelope
from laddhub.ocpi.status import ServerError


def get_activity(request: Request) -> ChargingActivity:
    """The node's charging activity (started with the node)."""
    activity: ChargingActivity | None = getattr(request.app.state, "charging", None)
    if activity is None:
        raise ServerError("the charging activity is not running on this node")
    return activity


Activity = Annotated[ChargingActivity, Depends(get_activity)]


def answer(node: NodeContext, data: Any, call: FunctionalCall, *, status_code: int = 1000) -> JSONResponse:
    """An envelope with `data` and the routing headers; `status_code` 2003 still carries data (commands)."""
    return JSONResponse(
        envelope(data, now=node.clock(), status_code=status_code), headers=call.response_headers()
    )
