"""CDRs module (spec §7): the final, billable record of a charging session."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from laddhub.ocpi.common import (
    CiString,
    CountryAlpha3,
    CountryCode,
    CurrencyCode,
    DateTime,
    GeoLocation,
    ListOf,
    NonEmptyList,
    Number,
    OcpiModel,
    PartyId,
    Price,
    String,
)
from laddhub.ocpi.v2_2_1.locations import ConnectorFormat, ConnectorType, PowerType
from laddhub.ocpi.v2_2_1.tariffs import Tariff
from laddhub.ocpi.v2_2_1.tokens import TokenType

__all__ = [
    "CDR",
    "SESSION_ONLY_DIMENSIONS",
    "AuthMethod",
    "CdrDimension",
    "CdrDimensionType",
    "CdrLocation",
    "CdrToken",
    "ChargingPeriod",
    "SignedData",
    "SignedValue",
]


class AuthMethod(StrEnum):
    """How a session was authorized."""

    AUTH_REQUEST = "AUTH_REQUEST"
    """Real-time authorization at the eMSP."""
    COMMAND = "COMMAND"
    """StartSession or ReserveNow command."""
    WHITELIST = "WHITELIST"
    """Locally, from the CPO's copy of the token."""


class CdrDimensionType(StrEnum):
    """What a charging period's volume measures."""

    CURRENT = "CURRENT"
    ENERGY = "ENERGY"
    ENERGY_EXPORT = "ENERGY_EXPORT"
    ENERGY_IMPORT = "ENERGY_IMPORT"
    MAX_CURRENT = "MAX_CURRENT"
    MIN_CURRENT = "MIN_CURRENT"
    MAX_POWER = "MAX_POWER"
    MIN_POWER = "MIN_POWER"
    PARKING_TIME = "PARKING_TIME"
    POWER = "POWER"
    RESERVATION_TIME = "RESERVATION_TIME"
    STATE_OF_CHARGE = "STATE_OF_CHARGE"
    TIME = "TIME"


SESSION_ONLY_DIMENSIONS = frozenset(
    {
        CdrDimensionType.CURRENT,
        CdrDimensionType.ENERGY_EXPORT,
        CdrDimensionType.ENERGY_IMPORT,
        CdrDimensionType.POWER,
        CdrDimensionType.STATE_OF_CHARGE,
    }
)
"""Dimensions the spec allows in a Session's charging periods but not in a CDR's."""


class CdrDimension(OcpiModel):
    """One measured volume of a charging period (kWh, hours, A, kW or %)."""

    type: CdrDimensionType
    volume: Number


class ChargingPeriod(OcpiModel):
    """A part of a session with constant prices; it ends where the next one starts."""

    start_date_time: DateTime
    dimensions: NonEmptyList[CdrDimension]
    tariff_id: Annotated[str, CiString(36)] | None = None


class CdrToken(OcpiModel):
    """The token a session was charged with, and the eMSP that owns it."""

    country_code: CountryCode
    party_id: PartyId
    uid: Annotated[str, CiString(36)]
    type: TokenType
    contract_id: Annotated[str, CiString(36)]


class CdrLocation(OcpiModel):
    """The location, EVSE and connector of a session as they were when it started.

    ``address`` and ``state`` are officially string(45) and string(20) here, but the errata widened the
    Location's fields to 255 and 45 and left this class behind; a CDR copying a long Location address is
    accepted up to the Location's limits (digest §16 item 9).
    """

    id: Annotated[str, CiString(36)]
    name: Annotated[str, String(255)] | None = None
    address: Annotated[str, String(255)]
    city: Annotated[str, String(45)]
    postal_code: Annotated[str, String(10)] | None = None
    state: Annotated[str, String(45)] | None = None
    country: CountryAlpha3
    coordinates: GeoLocation
    evse_uid: Annotated[str, CiString(36)]
    evse_id: Annotated[str, CiString(48)]
    connector_id: Annotated[str, CiString(36)]
    connector_standard: ConnectorType
    connector_format: ConnectorFormat
    connector_power_type: PowerType


class SignedValue(OcpiModel):
    """One signed meter value (e.g. start or end) for calibration law."""

    nature: Annotated[str, CiString(32)]
    plain_data: Annotated[str, String(5000)]
    signed_data: Annotated[str, String(5000)]


class SignedData(OcpiModel):
    """Signed meter values with which a driver can verify the CDR (Eichrecht)."""

    encoding_method: Annotated[str, CiString(36)]
    encoding_method_version: int | None = None
    public_key: Annotated[str, String(512)] | None = None
    signed_values: NonEmptyList[SignedValue]
    url: Annotated[str, String(512)] | None = None


class CDR(OcpiModel):
    """Charge Detail Record: what a finished session consumed and cost. Immutable once sent."""

    country_code: CountryCode
    party_id: PartyId
    id: Annotated[str, CiString(39)]
    start_date_time: DateTime
    end_date_time: DateTime
    session_id: Annotated[str, CiString(36)] | None = None
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: Annotated[str, CiString(36)] | None = None
    cdr_location: CdrLocation
    meter_id: Annotated[str, String(255)] | None = None
    currency: CurrencyCode
    tariffs: ListOf[Tariff] = Field(default_factory=list)
    charging_periods: NonEmptyList[ChargingPeriod]
    signed_data: SignedData | None = None
    total_cost: Price
    total_fixed_cost: Price | None = None
    total_energy: Number
    """kWh."""
    total_energy_cost: Price | None = None
    total_time: Number
    """Hours, charging and not charging."""
    total_time_cost: Price | None = None
    total_parking_time: Number | None = None
    total_parking_cost: Price | None = None
    total_reservation_cost: Price | None = None
    remark: Annotated[str, String(255)] | None = None
    invoice_reference_id: Annotated[str, CiString(39)] | None = None
    credit: bool | None = None
    credit_reference_id: Annotated[str, CiString(39)] | None = None
    home_charging_compensation: bool | None = None
    last_updated: DateTime

    @model_validator(mode="after")
    def _consistent(self) -> CDR:
        if self.credit and self.credit_reference_id is None:
            raise PydanticCustomError(
                "dependent_field", "credit_reference_id is required when credit is true"
            )
        for index, period in enumerate(self.charging_periods):
            for dimension in period.dimensions:
                if dimension.type in SESSION_ONLY_DIMENSIONS:
                    raise PydanticCustomError(
                        "cdr_dimension",
                        "charging_periods[{index}]: dimension {type} is only allowed in Sessions, "
                        "not in CDRs",
                        {"index": index, "type": dimension.type.value},
                    )
        return self
