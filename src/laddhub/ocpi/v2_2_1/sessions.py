"""Sessions module (spec §6): a charging session while it runs, and the driver's charging preferences.

`SessionPatch` appends the ``charging_periods`` it carries to the stored ones, as the spec's PATCH rule
for Sessions says; every other list in a PATCH replaces the stored list.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from laddhub.ocpi.common import (
    CiString,
    CountryCode,
    CurrencyCode,
    DateTime,
    ListOf,
    Number,
    OcpiModel,
    PartyId,
    Price,
    String,
    patch_model,
)
from laddhub.ocpi.v2_2_1.cdrs import AuthMethod, CdrToken, ChargingPeriod
from laddhub.ocpi.v2_2_1.tokens import ProfileType

__all__ = [
    "ChargingPreferences",
    "ChargingPreferencesResponse",
    "ProfileType",
    "Session",
    "SessionPatch",
    "SessionStatus",
]


class ChargingPreferencesResponse(StrEnum):
    """The CPO's answer to new charging preferences."""

    ACCEPTED = "ACCEPTED"
    """Will be tried; not a guarantee."""
    DEPARTURE_REQUIRED = "DEPARTURE_REQUIRED"
    ENERGY_NEED_REQUIRED = "ENERGY_NEED_REQUIRED"
    NOT_POSSIBLE = "NOT_POSSIBLE"
    PROFILE_TYPE_NOT_SUPPORTED = "PROFILE_TYPE_NOT_SUPPORTED"


class SessionStatus(StrEnum):
    """Where a session is in its life."""

    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    """Final: no more changes."""
    INVALID = "INVALID"
    """Will not be billed."""
    PENDING = "PENDING"
    RESERVATION = "RESERVATION"
    """Started by a reservation, not charging yet."""


class ChargingPreferences(OcpiModel):
    """What the driver wants from smart charging for a running session."""

    profile_type: ProfileType
    departure_time: DateTime | None = None
    energy_need: Number | None = None
    """kWh."""
    discharge_allowed: bool | None = None
    """Absent means the spec's default, false."""


class Session(OcpiModel):
    """A charging session as the CPO reports it while it runs."""

    country_code: CountryCode
    party_id: PartyId
    id: Annotated[str, CiString(36)]
    start_date_time: DateTime
    end_date_time: DateTime | None = None
    kwh: Number
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: Annotated[str, CiString(36)] | None = None
    location_id: Annotated[str, CiString(36)]
    evse_uid: Annotated[str, CiString(36)]
    """``#NA`` for a reservation without an assigned EVSE."""
    connector_id: Annotated[str, CiString(36)]
    meter_id: Annotated[str, String(255)] | None = None
    currency: CurrencyCode
    charging_periods: ListOf[ChargingPeriod] = Field(default_factory=list)
    total_cost: Price | None = None
    """Absent is not free: a cost of 0.00 is."""
    status: SessionStatus
    last_updated: DateTime


SessionPatch = patch_model(Session, name="SessionPatch", appended_lists=frozenset({"charging_periods"}))
