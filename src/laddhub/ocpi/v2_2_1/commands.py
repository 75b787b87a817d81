"""Commands module (spec §10): remote actions an eMSP asks a CPO to perform, and their outcomes.

The CPO answers a command at once with a `CommandResponse` (could it be forwarded?) and later posts a
`CommandResult` (what the charger did) to the command's ``response_url``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from laddhub.ocpi.common import URL, CiString, DateTime, DisplayText, ListOf, OcpiModel
from laddhub.ocpi.v2_2_1.tokens import Token

__all__ = [
    "CancelReservation",
    "CommandResponse",
    "CommandResponseType",
    "CommandResult",
    "CommandResultType",
    "CommandType",
    "ReserveNow",
    "StartSession",
    "StopSession",
    "UnlockConnector",
]


class CommandType(StrEnum):
    """The commands of OCPI 2.2.1; the last segment of the command URL."""

    CANCEL_RESERVATION = "CANCEL_RESERVATION"
    RESERVE_NOW = "RESERVE_NOW"
    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"


class CommandResponseType(StrEnum):
    """The CPO's immediate answer: whether it could pass the command on."""

    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    ACCEPTED = "ACCEPTED"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"


class CommandResultType(StrEnum):
    """What the charger did with the command."""

    ACCEPTED = "ACCEPTED"
    CANCELED_RESERVATION = "CANCELED_RESERVATION"
    EVSE_OCCUPIED = "EVSE_OCCUPIED"
    EVSE_INOPERATIVE = "EVSE_INOPERATIVE"
    FAILED = "FAILED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    TIMEOUT = "TIMEOUT"
    UNKNOWN_RESERVATION = "UNKNOWN_RESERVATION"


class CancelReservation(OcpiModel):
    """Cancel a reservation made with ReserveNow."""

    response_url: URL
    reservation_id: Annotated[str, CiString(36)]


class ReserveNow(OcpiModel):
    """Reserve an EVSE (or any EVSE of a location) for a token until ``expiry_date``."""

    response_url: URL
    token: Token
    expiry_date: DateTime
    reservation_id: Annotated[str, CiString(36)]
    location_id: Annotated[str, CiString(36)]
    evse_uid: Annotated[str, CiString(36)] | None = None
    authorization_reference: Annotated[str, CiString(36)] | None = None


class StartSession(OcpiModel):
    """Start charging for a token at a location, optionally at a given EVSE and connector."""

    response_url: URL
    token: Token
    location_id: Annotated[str, CiString(36)]
    evse_uid: Annotated[str, CiString(36)] | None = None
    connector_id: Annotated[str, CiString(36)] | None = None
    authorization_reference: Annotated[str, CiString(36)] | None = None

    @model_validator(mode="after")
    def _connector_needs_its_evse(self) -> StartSession:
        if self.connector_id is not None and self.evse_uid is None:
            raise PydanticCustomError("dependent_field", "evse_uid is required when connector_id is set")
        return self


class StopSession(OcpiModel):
    """Stop a running session."""

    response_url: URL
    session_id: Annotated[str, CiString(36)]


class UnlockConnector(OcpiModel):
    """Release a stuck connector lock (helpdesk use only)."""

    response_url: URL
    location_id: Annotated[str, CiString(36)]
    evse_uid: Annotated[str, CiString(36)]
    connector_id: Annotated[str, CiString(36)]


class CommandResponse(OcpiModel):
    """The CPO's immediate answer to a command, and how long to wait for the result."""

    result: CommandResponseType
    timeout: Annotated[int, Field(ge=0)]
    """Seconds."""
    message: ListOf[DisplayText] = Field(default_factory=list)


class CommandResult(OcpiModel):
    """The outcome of a command, posted by the CPO to the command's response_url."""

    result: CommandResultType
    message: ListOf[DisplayText] = Field(default_factory=list)
