"""Pagination of OCPI list GETs: parsing offset/limit/date_from/date_to, and the response headers.

The server caps `limit` at its own maximum and says so in `X-Limit`; `X-Total-Count` counts every object
matching the date filters; `Link: <...>; rel="next"` repeats the request's filters with the next offset
(digest §2.5). Date filters are half-open: `date_from <= last_updated < date_to`, so a poller can reuse the
previous `date_to` as its next `date_from` without overlap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import TypeAdapter, ValidationError

from laddhub.ocpi.common import DateTime
from laddhub.ocpi.status import InvalidParameters

_DATETIME: TypeAdapter[datetime] = TypeAdapter(DateTime)


@dataclass(frozen=True, slots=True)
class PageRequest:
    """A validated page request; `limit` is already capped at the server's maximum."""

    offset: int
    limit: int
    date_from: datetime | None
    date_to: datetime | None
    max_limit: int


def parse_datetime_param(name: str, value: str) -> datetime:
    """Parse a DateTime query parameter with the same rules as DateTime fields (offsets normalised)."""
    try:
        return _DATETIME.validate_python(value.strip())
    except ValidationError as exc:
        raise InvalidParameters(f"{name}: {exc.errors()[0]['msg']}") from None


MAX_INT = 2**31 - 1
"""The largest offset or limit accepted: databases store 32/64-bit integers, Python's have no bound."""


def _parse_int(name: str, value: str | None, default: int, minimum: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise InvalidParameters(f"{name}: {value!r} is not an integer") from None
    if number < minimum:
        raise InvalidParameters(f"{name}: must be at least {minimum}, got {number}")
    if number > MAX_INT:
        raise InvalidParameters(f"{name}: must be at most {MAX_INT}")
    return number


def parse_page_request(
    params: Mapping[str, str],
    *,
    max_limit: int,
    default_limit: int | None = None,
    require_date_from: bool = False,
) -> PageRequest:
    """Read the paging parameters of a list GET; raise `InvalidParameters` (2001) naming the bad one."""
    offset = _parse_int("offset", params.get("offset"), 0, 0)
    limit = _parse_int("limit", params.get("limit"), default_limit or max_limit, 0)
    raw_from = params.get("date_from")
    raw_to = params.get("date_to")
    if require_date_from and not raw_from:
        raise InvalidParameters("date_from: required for this list")
    date_from = parse_datetime_param("date_from", raw_from) if raw_from else None
    date_to = parse_datetime_param("date_to", raw_to) if raw_to else None
    if date_from is not None and date_to is not None and date_to < date_from:
        raise InvalidParameters("date_to: must not be earlier than date_from")
    return PageRequest(
        offset=offset,
        limit=min(limit, max_limit),
        date_from=date_from,
        date_to=date_to,
        max_limit=max_limit,
    )


def next_page_url(request_url: str, page: PageRequest, total: int, returned: int) -> str | None:
    """The URL of the next page, keeping every other query parameter, or None on the last page."""
    next_offset = page.offset + returned
    if returned == 0 or next_offset >= total:
        return None
    parts = urlsplit(request_url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("offset", "limit")
    ]
    query += [("offset", str(next_offset)), ("limit", str(page.limit))]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def page_headers(request_url: str, page: PageRequest, total: int, returned: int) -> dict[str, str]:
    """`X-Total-Count`, `X-Limit` and, except on the last page, `Link: <...>; rel="next"`."""
    headers = {"X-Total-Count": str(total), "X-Limit": str(page.max_limit)}
    following = next_page_url(request_url, page, total, returned)
    if following is not None:
        headers["Link"] = f'<{following}>; rel="next"'
    return headers


def parse_link_next(link_header: str | None) -> str | None:
    """The `rel="next"` URL of a partner's `Link` header, tolerant of spacing and quoting."""
    if not link_header:
        return None
    for part in link_header.split(","):
        segments = [s.strip() for s in part.split(";")]
        if not segments or not segments[0].startswith("<") or not segments[0].endswith(">"):
            continue
        rels = [s for s in segments[1:] if s.replace(" ", "").lower() in ('rel="next"', "rel=next")]
        if rels:
            return segments[0][1:-1]
    return None
