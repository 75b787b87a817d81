"""ChargingProfiles module (spec §11): power or current limits set on a running session.

A profile is a maximum, not a target. Limits and the minimum charging rate carry at most one decimal,
as the spec states (they map onto OCPP charging profiles).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from laddhub.ocpi.common import URL, DateTime, ListOf, Number, OcpiModel

__all__ = [
    "ActiveChargingProfile",
    "ActiveChargingProfileResult",
    "ChargingProfile",
    "ChargingProfilePeriod",
    "ChargingProfileResponse",
    "ChargingProfileResponseType",
    "ChargingProfileResult",
    "ChargingProfileResultType",
    "ChargingRateUnit",
    "ClearProfileResult",
    "SetChargingProfile",
]

OneDecimal = Annotated[Number, Field(decimal_places=1)]


class ChargingRateUnit(StrEnum):
    """The unit of a profile's limits."""

    W = "W"
    """Total power, handy for DC."""
    A = "A"
    """Current per phase (not summed), handy for AC."""


class ChargingProfileResponseType(StrEnum):
    """The CPO's immediate answer to a profile request."""

    ACCEPTED = "ACCEPTED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    TOO_OFTEN = "TOO_OFTEN"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"


class ChargingProfileResultType(StrEnum):
    """What the charger did with a profile request."""

    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    UNKNOWN = "UNKNOWN"
    """No matching profile was found."""


class ChargingProfilePeriod(OcpiModel):
    """A limit from ``start_period`` seconds after the profile's start until the next period."""

    start_period: Annotated[int, Field(ge=0)]
    limit: OneDecimal


class ChargingProfile(OcpiModel):
    """A limit over time: absolute from ``start_date_time``, or relative to the start of charging."""

    start_date_time: DateTime | None = None
    duration: Annotated[int, Field(ge=0)] | None = None
    """Seconds; absent means the last period lasts until the session ends."""
    charging_rate_unit: ChargingRateUnit
    min_charging_rate: OneDecimal | None = None
    charging_profile_period: ListOf[ChargingProfilePeriod] = Field(default_factory=list)


class ActiveChargingProfile(OcpiModel):
    """The schedule the charger computed at ``start_date_time``; profile times are relative to it."""

    start_date_time: DateTime
    charging_profile: ChargingProfile


class SetChargingProfile(OcpiModel):
    """Request to set a profile on a session; the result goes to ``response_url``."""

    charging_profile: ChargingProfile
    response_url: URL


class ChargingProfileResponse(OcpiModel):
    """The CPO's immediate answer to a profile request, and how long to wait for the result."""

    result: ChargingProfileResponseType
    timeout: Annotated[int, Field(ge=0)]
    """Seconds."""


class ActiveChargingProfileResult(OcpiModel):
    """Result of a request for the active profile; carries the profile when it was found."""

    result: ChargingProfileResultType
    profile: ActiveChargingProfile | None = None


class ChargingProfileResult(OcpiModel):
    """Result of setting a profile."""

    result: ChargingProfileResultType


class ClearProfileResult(OcpiModel):
    """Result of clearing a profile."""

    result: ChargingProfileResultType
