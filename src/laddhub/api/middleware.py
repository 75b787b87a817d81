"""ASGI middleware for the OCPI transport rules that apply to every request."""

from __future__ import annotations

import logging
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("laddhub.api")

REQUEST_ID = b"x-request-id"
CORRELATION_ID = b"x-correlation-id"


class RequestIdMiddleware:
    """Echo `X-Request-ID` and `X-Correlation-ID`, generating UUIDs when the caller sent none (digest §2.4).

    The ids are also put in the ASGI scope state so handlers and logs can name the request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = _clean(headers.get(REQUEST_ID)) or str(uuid.uuid4())
        correlation_id = _clean(headers.get(CORRELATION_ID)) or str(uuid.uuid4())
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["correlation_id"] = correlation_id

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (REQUEST_ID, CORRELATION_ID)
                ]
                response_headers.append((b"X-Request-ID", request_id.encode("latin-1")))
                response_headers.append((b"X-Correlation-ID", correlation_id.encode("latin-1")))
                message["headers"] = response_headers
            await send(message)

        await self.app(scope, receive, send_with_ids)


def _clean(value: bytes | None) -> str | None:
    if not value:
        return None
    text = value.decode("latin-1").strip()
    # An id is echoed into our response headers and logs: keep it printable and bounded.
    if not text or len(text) > 255 or not text.isprintable():
        return None
    return text


class TrailingSlashMiddleware:
    """Route `/x/` like `/x`: partners join endpoint URLs and suffixes with and without slashes (§2.2)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if len(path) > 1 and path.endswith("/"):
                stripped = path.rstrip("/") or "/"
                log.warning("request path %s has a trailing slash; served as %s", path, stripped)
                scope = dict(scope)
                scope["path"] = stripped
                raw_path = scope.get("raw_path")
                if isinstance(raw_path, bytes):
                    scope["raw_path"] = raw_path.rstrip(b"/") or b"/"
        await self.app(scope, receive, send)
