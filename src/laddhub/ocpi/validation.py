"""Turn a pydantic `ValidationError` into the one-line message of an OCPI 2001 answer.

A partner whose object we refuse must be able to fix it from our ``status_message`` alone, so every
problem names its field by JSON path (``evses[0].connectors[0].standard``) and says what was wrong in
words rather than in regular expressions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from laddhub.ocpi.common import describe_pattern

__all__ = ["MAX_REPORTED_ERRORS", "describe_error", "describe_validation_error", "json_path"]

MAX_REPORTED_ERRORS = 10
"""More problems than this are summarised as a count, to keep the status message readable."""

_MAX_SHOWN_INPUT = 60


def json_path(location: Sequence[int | str]) -> str:
    """Write a pydantic error location as a JSON path: ``("evses", 0, "uid")`` -> ``evses[0].uid``."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    if len(text) > _MAX_SHOWN_INPUT:
        text = text[: _MAX_SHOWN_INPUT - 3] + "..."
    return text


def _allowed_values(expected: str) -> str:
    # pydantic lists enum members as "'A', 'B' or 'C'"; the partner wants the bare names.
    return expected.replace("'", "").replace(" or ", ", ")


def _problem(error: ErrorDetails) -> str:
    kind = error["type"]
    context: dict[str, Any] = dict(error.get("ctx") or {})
    value = error.get("input")
    if kind == "missing":
        return "required field is missing"
    if value is None and "input" in error:
        # null is only refused where the field is required (optional fields take null as absent).
        return "required field must not be null"
    if kind == "enum":
        return f"value {_shown(value)} is not one of {_allowed_values(str(context.get('expected', '')))}"
    if kind == "string_too_long":
        return f"is {len(value)} characters long, more than the maximum of {context['max_length']}"
    if kind == "string_too_short":
        return f"must be at least {context['min_length']} characters long"
    if kind == "string_pattern_mismatch":
        described = describe_pattern(str(context.get("pattern", "")))
        if described is not None:
            return f"value {_shown(value)}: {described}"
        return f"value {_shown(value)} does not match the pattern {context.get('pattern')}"
    if kind == "too_short" and isinstance(value, list):
        return f"needs at least {context.get('min_length', 1)} element(s), got {len(value)}"
    if kind == "decimal_max_places":
        places = context["decimal_places"]
        return f"value {_shown(value)} has more than {places} decimal{'s' if places != 1 else ''}"
    message = error["msg"]
    if kind.startswith(("datetime_", "latitude_", "longitude_")) or kind in _OWN_MESSAGES:
        return message
    return f"{message[:1].lower()}{message[1:]} (got {_shown(value)})"


# Error types raised by our own rules: their messages already say everything, including the value.
_OWN_MESSAGES = frozenset(
    {
        "duplicate_role",
        "duplicate_id",
        "dependent_field",
        "field_combination",
        "time_order",
        "cdr_dimension",
        "reservation_component",
    }
)


def describe_error(error: ErrorDetails) -> str:
    """Describe one validation problem as ``path: what is wrong``."""
    path = json_path(error["loc"])
    problem = _problem(error)
    return f"{path}: {problem}" if path else problem


def describe_validation_error(error: ValidationError) -> str:
    """Describe every problem of a validation error in one line, each naming its field by JSON path.

    Used for the ``status_message`` of OCPI 2001 answers and for the warnings we log about partners'
    objects.
    """
    details = error.errors(include_url=False)
    described = [describe_error(detail) for detail in details[:MAX_REPORTED_ERRORS]]
    if len(details) > MAX_REPORTED_ERRORS:
        described.append(f"and {len(details) - MAX_REPORTED_ERRORS} more problem(s)")
    return "; ".join(described)
