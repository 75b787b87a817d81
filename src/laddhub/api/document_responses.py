"""OCPI envelopes around stored JSON documents, written without parsing them again.

A list GET is the hot path of a Sender interface: the documents are already the compact OCPI JSON they
are served as, so the envelope is assembled around their text. The result is byte-for-byte what
`responses.ocpi_response` would produce for the parsed objects, minus the cost of parsing and
re-serialising every object of the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import Request
from fastapi.responses import Response

from laddhub.api.context import NodeContext
from laddhub.api.routing import FunctionalCall
from laddhub.ocpi.common import format_datetime
from laddhub.ocpi.paging import PageRequest, page_headers
from laddhub.ocpi.status import StatusCode
from laddhub.store.documents import DocumentPage


def _envelope(data: str, node: NodeContext) -> bytes:
    timestamp = format_datetime(node.clock())
    return f'{{"data":{data},"status_code":{int(StatusCode.SUCCESS)},"timestamp":"{timestamp}"}}'.encode()


def _response(body: bytes, call: FunctionalCall | None, headers: Mapping[str, str]) -> Response:
    all_headers = dict(call.response_headers()) if call is not None else {}
    all_headers.update(headers)
    return Response(body, media_type="application/json", headers=all_headers)


def document_response(node: NodeContext, document: str, *, call: FunctionalCall | None = None) -> Response:
    """A success envelope whose `data` is one stored document."""
    return _response(_envelope(document, node), call, {})


def documents_response(
    node: NodeContext, documents: Sequence[str], *, call: FunctionalCall | None = None
) -> Response:
    """A success envelope whose `data` is a list of stored documents (no paging headers)."""
    return _response(_envelope("[" + ",".join(documents) + "]", node), call, {})


def page_response(
    node: NodeContext, request: Request, paging: PageRequest, page: DocumentPage, *, call: FunctionalCall
) -> Response:
    """One page of a Sender list: the documents, `X-Total-Count`, `X-Limit` and `Link` (digest §2.5)."""
    body = _envelope("[" + ",".join(page.documents) + "]", node)
    headers = page_headers(str(request.url), paging, page.total, len(page.documents))
    return _response(body, call, headers)
