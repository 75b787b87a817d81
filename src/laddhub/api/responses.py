"""Building OCPI envelope responses in the routers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse

from laddhub.api.context import NodeContext
from laddhub.api.routing import FunctionalCall
from laddhub.ocpi.envelope import envelope


def ocpi_response(
    node: NodeContext,
    data: Any = None,
    *,
    http_status: int = 200,
    headers: Mapping[str, str] | None = None,
    call: FunctionalCall | None = None,
) -> JSONResponse:
    """A success envelope; `data=None` omits `data`, as push responses should. With `call`, the response
    carries the routing headers of a functional module."""
    all_headers = dict(call.response_headers()) if call is not None else {}
    all_headers.update(headers or {})
    return JSONResponse(envelope(data, now=node.clock()), status_code=http_status, headers=all_headers)
