"""The admin API's bearer token (`LADDHUB_ADMIN_TOKEN`) and the way its failures are answered.

The admin API is for the operator's back office, not for OCPI partners: it has its own secret, compared
in constant time, and refuses everything while no secret is configured, so a node never exposes it by
accident. Its errors use HTTP statuses a REST client expects (400, 401, 404, 409) around the same JSON
body as every other error of the node: `{"status_code", "status_message", "timestamp"}`, where the
message names the field at fault.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from laddhub.api.deps import get_node
from laddhub.ocpi.status import InvalidJson, NotFound, OcpiError, StatusCode, Unauthorized
from laddhub.services.cpo_data import AlreadyExists

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="AdminToken",
    description="The node's admin token (LADDHUB_ADMIN_TOKEN), sent as `Authorization: Bearer <token>`.",
)


class AdminError(OcpiError):
    """An admin API failure with its HTTP status."""


def _http_status(exc: OcpiError) -> int:
    if exc.http_status != 200:
        return exc.http_status
    if isinstance(exc, AlreadyExists):
        return 409
    return 400


class AdminRoute(APIRoute):
    """Turns the OCPI errors of the services (HTTP 200 with a 2xxx code) into HTTP errors."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def admin_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except (NotFound, Unauthorized, InvalidJson):
                raise
            except OcpiError as exc:
                raise AdminError(
                    exc.message, status_code=exc.status_code, http_status=_http_status(exc)
                ) from None
            except RequestValidationError as exc:
                problems = [
                    f"{'.'.join(str(p) for p in e.get('loc', ()) if p not in ('query', 'path', 'body'))}: "
                    f"{e.get('msg', 'invalid')}"
                    for e in exc.errors()
                ]
                raise AdminError(
                    "; ".join(problems), status_code=StatusCode.INVALID_PARAMETERS, http_status=400
                ) from None

        return admin_handler


async def require_admin(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    """Let the request through only with the configured admin token."""
    configured = get_node(request).settings.admin_token
    if not configured:
        raise Unauthorized("the admin API is disabled: set LADDHUB_ADMIN_TOKEN to enable it")
    if credentials is None:
        raise Unauthorized("the admin API needs 'Authorization: Bearer <LADDHUB_ADMIN_TOKEN>'")
    if not hmac.compare_digest(credentials.credentials.encode(), configured.encode()):
        raise Unauthorized("wrong admin token")
