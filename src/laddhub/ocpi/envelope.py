"""The OCPI response envelope: `{data, status_code, status_message, timestamp}` (digest §2.7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from laddhub.ocpi.common import format_datetime
from laddhub.ocpi.status import StatusCode


def envelope(
    data: Any = None,
    *,
    now: datetime,
    status_code: int = StatusCode.SUCCESS,
    status_message: str | None = None,
    include_data: bool = True,
) -> dict[str, Any]:
    """Build an envelope. `include_data=False` omits `data`, as the spec asks for push responses."""
    body: dict[str, Any] = {}
    if include_data and data is not None:
        body["data"] = data
    body["status_code"] = int(status_code)
    if status_message:
        body["status_message"] = status_message
    body["timestamp"] = format_datetime(now)
    return body


@dataclass(frozen=True, slots=True)
class ParsedEnvelope:
    """What a partner answered, read tolerantly."""

    status_code: int
    status_message: str | None
    data: Any
    timestamp: str | None


class EnvelopeError(ValueError):
    """The partner's response is not an OCPI envelope."""


def parse_envelope(payload: Any) -> ParsedEnvelope:
    """Read a partner's envelope, accepting a string status code and a missing timestamp.

    Partners in the field send `"status_code": "1000"` or forget the timestamp; neither should break a
    handshake. A body that is not an object or has no usable status code is rejected.
    """
    if not isinstance(payload, dict):
        raise EnvelopeError(f"expected an OCPI envelope object, got {type(payload).__name__}")
    raw_code = payload.get("status_code")
    if isinstance(raw_code, bool) or raw_code is None:
        raise EnvelopeError("the response has no status_code")
    try:
        code = int(raw_code)
    except (TypeError, ValueError):
        raise EnvelopeError(f"status_code {raw_code!r} is not a number") from None
    message = payload.get("status_message")
    timestamp = payload.get("timestamp")
    return ParsedEnvelope(
        status_code=code,
        status_message=str(message) if message is not None else None,
        data=payload.get("data"),
        timestamp=str(timestamp) if timestamp is not None else None,
    )
