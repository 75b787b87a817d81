"""What the CPO data use cases share: our CPO parties, the result of a change, and body validation.

The use cases themselves live in `cpo_locations` (Locations, EVSEs, Connectors), `cpo_tariffs` and
`cpo_files` (import and export). They work inside a unit of work the caller opens and commits, so a
change and its outbox entries commit together, and so another use case (the charging activity changing an
EVSE status) can make a change in its own transaction.

The node sets `last_updated` itself: an operator's body may leave it out, and whatever it says is replaced
by the time of the change, because receivers and pollers order versions by it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from laddhub.config import Settings
from laddhub.ocpi.common import OcpiModel, PatchModel, ci_key, unknown_fields
from laddhub.ocpi.status import InvalidParameters
from laddhub.ocpi.validation import describe_validation_error
from laddhub.services.identity import NodeIdentity

log = logging.getLogger("laddhub.cpo")

Model = TypeVar("Model", bound=BaseModel)
Full = TypeVar("Full", bound=OcpiModel)
Party = tuple[str, str]


class Outcome(StrEnum):
    """What a change did to the stored object."""

    CREATED = "CREATED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    """The body equals what is stored (timestamps aside): nothing is stored or pushed."""
    REMOVED = "REMOVED"
    """The object was deleted (a Tariff; Locations, EVSEs and Connectors are never deleted)."""


class AlreadyExists(InvalidParameters):
    """A create-only request for an id that is taken (the admin API answers 409)."""


@dataclass(frozen=True, slots=True)
class Saved:
    """The result of a change: the outcome, the object as now stored, and advice for the operator."""

    outcome: Outcome
    document: dict[str, Any]
    warnings: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class CpoParties:
    """The (country_code, party_id) pairs this node is a CPO for; our objects must belong to one."""

    parties: tuple[Party, ...]

    @classmethod
    def of(cls, identity: NodeIdentity) -> CpoParties:
        return cls(
            tuple((ci_key(r.country_code), ci_key(r.party_id)) for r in identity.roles if r.role == "CPO")
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> CpoParties:
        return cls.of(NodeIdentity.from_settings(settings))

    def owns(self, country_code: str, party_id: str) -> bool:
        return (ci_key(country_code), ci_key(party_id)) in self.parties

    def default(self) -> Party | None:
        """The party to fill in when a body names none: only when the node is a CPO for exactly one."""
        return self.parties[0] if len(self.parties) == 1 else None

    def require_owner(self, country_code: str, party_id: str, what: str) -> None:
        """Refuse an object of a party this node is not the CPO for (2001 naming the fields)."""
        if not self.parties:
            raise InvalidParameters("this node has no CPO role (LADDHUB_ROLES), so it owns no CPO data")
        if not self.owns(country_code, party_id):
            ours = ", ".join(f"{c}/{p}" for c, p in self.parties)
            raise InvalidParameters(
                f"country_code/party_id: {what} belongs to {country_code}/{party_id}, "
                f"not to a CPO party of this node ({ours})"
            )

    def matching(self, country_code: str | None, party_id: str | None) -> list[Party]:
        """Our parties that fit an optional country/party given by the operator."""
        return [
            (country, party)
            for country, party in self.parties
            if (country_code is None or ci_key(country_code) == country)
            and (party_id is None or ci_key(party_id) == party)
        ]


def require_object(payload: Any, what: str) -> dict[str, Any]:
    """The body as a JSON object, or 2001 saying what was expected instead."""
    if not isinstance(payload, dict):
        raise InvalidParameters(f"expected a JSON object ({what}), got {type(payload).__name__}")
    return payload


def validate(model: type[Model], payload: Any, what: str) -> Model:
    """Validate a body with an OCPI model; 2001 naming every bad field. Unknown fields are logged."""
    extra = unknown_fields(model, payload)
    if extra:
        log.warning("%s has fields OCPI 2.2.1 does not define, ignored: %s", what, ", ".join(extra))
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidParameters(describe_validation_error(exc)) from None


def apply_patch(patch: PatchModel[Full], current: Full) -> Full:
    """`current` with the PATCH applied, checked again as a whole object (2001 naming what broke)."""
    try:
        return patch.apply_to(current)
    except ValidationError as exc:
        raise InvalidParameters(f"after the PATCH: {describe_validation_error(exc)}") from None


def same_id(field_name: str, in_url: str, in_body: Any) -> None:
    """Refuse a body whose id differs from the URL's (2001); an absent id is taken from the URL."""
    if in_body is not None and (not isinstance(in_body, str) or ci_key(in_body) != ci_key(in_url)):
        raise InvalidParameters(f"{field_name}: '{in_body}' in the body differs from '{in_url}' in the URL")


def with_stamp(payload: dict[str, Any], stamp: str) -> dict[str, Any]:
    """A copy of `payload` with `last_updated` set (the node decides it; see the module docstring)."""
    return {**payload, "last_updated": stamp}


def unknown_tariff_warnings(referenced: Iterable[str], known: set[str]) -> tuple[str, ...]:
    """Warn about connectors naming tariffs we do not have: partners could not price those sessions."""
    missing = sorted({tariff for tariff in referenced if ci_key(tariff) not in known})
    return tuple(f"tariff_ids: no Tariff '{tariff}' exists (yet)" for tariff in missing)
