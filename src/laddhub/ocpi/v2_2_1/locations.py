"""Locations module (spec §5): sites, their EVSEs and connectors, with every sub-object and enum of §5.7.

PATCH bodies: `LocationPatch`, `EvsePatch` and `ConnectorPatch`.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from laddhub.ocpi.common import (
    URL,
    BusinessDetails,
    CiString,
    CountryAlpha3,
    CountryCode,
    DateTime,
    DisplayText,
    GeoLocation,
    Image,
    Latitude,
    ListOf,
    Longitude,
    NonEmptyList,
    Number,
    OcpiModel,
    PartyId,
    String,
    TimeOfDay,
    check_coordinates,
    ci_key,
    patch_model,
)
from laddhub.ocpi.v2_2_1.tokens import TokenType

__all__ = [
    "EVSE",
    "AdditionalGeoLocation",
    "Capability",
    "Connector",
    "ConnectorFormat",
    "ConnectorPatch",
    "ConnectorType",
    "EnergyMix",
    "EnergySource",
    "EnergySourceCategory",
    "EnvironmentalImpact",
    "EnvironmentalImpactCategory",
    "EvsePatch",
    "ExceptionalPeriod",
    "Facility",
    "Hours",
    "Location",
    "LocationPatch",
    "ParkingRestriction",
    "ParkingType",
    "PowerType",
    "PublishTokenType",
    "RegularHours",
    "Status",
    "StatusSchedule",
]


# --- Enums -------------------------------------------------------------------------------------------------


class Capability(StrEnum):
    """What an EVSE can do."""

    CHARGING_PROFILE_CAPABLE = "CHARGING_PROFILE_CAPABLE"
    CHARGING_PREFERENCES_CAPABLE = "CHARGING_PREFERENCES_CAPABLE"
    CHIP_CARD_SUPPORT = "CHIP_CARD_SUPPORT"
    CONTACTLESS_CARD_SUPPORT = "CONTACTLESS_CARD_SUPPORT"
    CREDIT_CARD_PAYABLE = "CREDIT_CARD_PAYABLE"
    DEBIT_CARD_PAYABLE = "DEBIT_CARD_PAYABLE"
    PED_TERMINAL = "PED_TERMINAL"
    REMOTE_START_STOP_CAPABLE = "REMOTE_START_STOP_CAPABLE"
    RESERVABLE = "RESERVABLE"
    RFID_READER = "RFID_READER"
    START_SESSION_CONNECTOR_REQUIRED = "START_SESSION_CONNECTOR_REQUIRED"
    TOKEN_GROUP_CAPABLE = "TOKEN_GROUP_CAPABLE"  # noqa: S105 (an enum value, not a secret)
    UNLOCK_CAPABLE = "UNLOCK_CAPABLE"


class ConnectorFormat(StrEnum):
    """Whether the driver brings the cable (socket) or the charger has one attached."""

    SOCKET = "SOCKET"
    CABLE = "CABLE"


class ConnectorType(StrEnum):
    """The plug or socket standard. Note the lower-case parts of the IEC 60309 values."""

    CHADEMO = "CHADEMO"
    CHAOJI = "CHAOJI"
    DOMESTIC_A = "DOMESTIC_A"
    DOMESTIC_B = "DOMESTIC_B"
    DOMESTIC_C = "DOMESTIC_C"
    DOMESTIC_D = "DOMESTIC_D"
    DOMESTIC_E = "DOMESTIC_E"
    DOMESTIC_F = "DOMESTIC_F"
    DOMESTIC_G = "DOMESTIC_G"
    DOMESTIC_H = "DOMESTIC_H"
    DOMESTIC_I = "DOMESTIC_I"
    DOMESTIC_J = "DOMESTIC_J"
    DOMESTIC_K = "DOMESTIC_K"
    DOMESTIC_L = "DOMESTIC_L"
    DOMESTIC_M = "DOMESTIC_M"
    DOMESTIC_N = "DOMESTIC_N"
    DOMESTIC_O = "DOMESTIC_O"
    GBT_AC = "GBT_AC"
    GBT_DC = "GBT_DC"
    IEC_60309_2_single_16 = "IEC_60309_2_single_16"
    IEC_60309_2_three_16 = "IEC_60309_2_three_16"
    IEC_60309_2_three_32 = "IEC_60309_2_three_32"
    IEC_60309_2_three_64 = "IEC_60309_2_three_64"
    IEC_62196_T1 = "IEC_62196_T1"
    IEC_62196_T1_COMBO = "IEC_62196_T1_COMBO"
    IEC_62196_T2 = "IEC_62196_T2"
    IEC_62196_T2_COMBO = "IEC_62196_T2_COMBO"
    IEC_62196_T3A = "IEC_62196_T3A"
    IEC_62196_T3C = "IEC_62196_T3C"
    NEMA_5_20 = "NEMA_5_20"
    NEMA_6_30 = "NEMA_6_30"
    NEMA_6_50 = "NEMA_6_50"
    NEMA_10_30 = "NEMA_10_30"
    NEMA_10_50 = "NEMA_10_50"
    NEMA_14_30 = "NEMA_14_30"
    NEMA_14_50 = "NEMA_14_50"
    PANTOGRAPH_BOTTOM_UP = "PANTOGRAPH_BOTTOM_UP"
    PANTOGRAPH_TOP_DOWN = "PANTOGRAPH_TOP_DOWN"
    TESLA_R = "TESLA_R"
    TESLA_S = "TESLA_S"


class EnergySourceCategory(StrEnum):
    """A kind of energy source in an energy mix."""

    NUCLEAR = "NUCLEAR"
    GENERAL_FOSSIL = "GENERAL_FOSSIL"
    COAL = "COAL"
    GAS = "GAS"
    GENERAL_GREEN = "GENERAL_GREEN"
    SOLAR = "SOLAR"
    WIND = "WIND"
    WATER = "WATER"


class EnvironmentalImpactCategory(StrEnum):
    """A kind of environmental impact of producing the energy."""

    NUCLEAR_WASTE = "NUCLEAR_WASTE"
    CARBON_DIOXIDE = "CARBON_DIOXIDE"


class Facility(StrEnum):
    """Something near the location a driver may care about while charging."""

    HOTEL = "HOTEL"
    RESTAURANT = "RESTAURANT"
    CAFE = "CAFE"
    MALL = "MALL"
    SUPERMARKET = "SUPERMARKET"
    SPORT = "SPORT"
    RECREATION_AREA = "RECREATION_AREA"
    NATURE = "NATURE"
    MUSEUM = "MUSEUM"
    BIKE_SHARING = "BIKE_SHARING"
    BUS_STOP = "BUS_STOP"
    TAXI_STAND = "TAXI_STAND"
    TRAM_STOP = "TRAM_STOP"
    METRO_STATION = "METRO_STATION"
    TRAIN_STATION = "TRAIN_STATION"
    AIRPORT = "AIRPORT"
    PARKING_LOT = "PARKING_LOT"
    CARPOOL_PARKING = "CARPOOL_PARKING"
    FUEL_STATION = "FUEL_STATION"
    WIFI = "WIFI"


class ParkingRestriction(StrEnum):
    """Who may park at an EVSE."""

    EV_ONLY = "EV_ONLY"
    PLUGGED = "PLUGGED"
    DISABLED = "DISABLED"
    CUSTOMERS = "CUSTOMERS"
    MOTORCYCLES = "MOTORCYCLES"


class ParkingType(StrEnum):
    """Where the charging place is."""

    ALONG_MOTORWAY = "ALONG_MOTORWAY"
    PARKING_GARAGE = "PARKING_GARAGE"
    PARKING_LOT = "PARKING_LOT"
    ON_DRIVEWAY = "ON_DRIVEWAY"
    ON_STREET = "ON_STREET"
    UNDERGROUND_GARAGE = "UNDERGROUND_GARAGE"


class PowerType(StrEnum):
    """The kind of current a connector delivers."""

    AC_1_PHASE = "AC_1_PHASE"
    AC_2_PHASE = "AC_2_PHASE"
    AC_2_PHASE_SPLIT = "AC_2_PHASE_SPLIT"
    AC_3_PHASE = "AC_3_PHASE"
    DC = "DC"


class Status(StrEnum):
    """The state of an EVSE."""

    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    """Physically blocked, e.g. by a parked car."""
    CHARGING = "CHARGING"
    INOPERATIVE = "INOPERATIVE"
    """Not yet active or temporarily unavailable, but not broken."""
    OUTOFORDER = "OUTOFORDER"
    """Broken."""
    PLANNED = "PLANNED"
    REMOVED = "REMOVED"
    RESERVED = "RESERVED"
    UNKNOWN = "UNKNOWN"
    """Includes an EVSE that is offline."""


# --- Sub-objects -------------------------------------------------------------------------------------------


class AdditionalGeoLocation(OcpiModel):
    """A point related to the location, e.g. an entrance, with an optional name."""

    latitude: Latitude
    longitude: Longitude
    name: DisplayText | None = None

    @model_validator(mode="after")
    def _within_the_globe(self) -> AdditionalGeoLocation:
        check_coordinates(self.latitude, self.longitude)
        return self


class EnergySource(OcpiModel):
    """The share of one kind of source in an energy mix."""

    source: EnergySourceCategory
    percentage: Annotated[Number, Field(ge=0, le=100)]


class EnvironmentalImpact(OcpiModel):
    """Amount of one kind of environmental impact, in g/kWh."""

    category: EnvironmentalImpactCategory
    amount: Annotated[Number, Field(ge=0)]


class EnergyMix(OcpiModel):
    """Where the energy delivered comes from."""

    is_green_energy: bool
    energy_sources: ListOf[EnergySource] = Field(default_factory=list)
    environ_impact: ListOf[EnvironmentalImpact] = Field(default_factory=list)
    supplier_name: Annotated[str, String(64)] | None = None
    energy_product_name: Annotated[str, String(64)] | None = None


class ExceptionalPeriod(OcpiModel):
    """A period (UTC) of exceptional opening or closing."""

    period_begin: DateTime
    period_end: DateTime


class RegularHours(OcpiModel):
    """Opening hours on one weekday, in the location's local time."""

    weekday: Annotated[int, Field(ge=1, le=7)]
    """1 = Monday ... 7 = Sunday."""
    period_begin: TimeOfDay
    period_end: TimeOfDay

    @model_validator(mode="after")
    def _ends_after_it_begins(self) -> RegularHours:
        # Zero-padded HH:MM strings order like the times they denote.
        if self.period_end <= self.period_begin:
            raise PydanticCustomError(
                "time_order",
                "period_end {end} must be later than period_begin {begin}",
                {"end": self.period_end, "begin": self.period_begin},
            )
        return self


class Hours(OcpiModel):
    """Opening times: always open, or regular hours, each with exceptional openings and closings."""

    twentyfourseven: bool
    regular_hours: ListOf[RegularHours] = Field(default_factory=list)
    exceptional_openings: ListOf[ExceptionalPeriod] = Field(default_factory=list)
    exceptional_closings: ListOf[ExceptionalPeriod] = Field(default_factory=list)

    @model_validator(mode="after")
    def _regular_hours_only_when_not_always_open(self) -> Hours:
        if not self.twentyfourseven and not self.regular_hours:
            raise PydanticCustomError(
                "dependent_field", "regular_hours needs at least one entry when twentyfourseven is false"
            )
        if self.twentyfourseven and self.regular_hours:
            raise PydanticCustomError(
                "field_combination", "regular_hours must be empty when twentyfourseven is true"
            )
        return self


class PublishTokenType(OcpiModel):
    """Describes the tokens (drivers) that may see an unpublished location; set fields must all match."""

    uid: Annotated[str, CiString(36)] | None = None
    type: TokenType | None = None
    visual_number: Annotated[str, String(64)] | None = None
    issuer: Annotated[str, String(64)] | None = None
    group_id: Annotated[str, CiString(36)] | None = None

    @model_validator(mode="after")
    def _identifies_a_token(self) -> PublishTokenType:
        if self.uid is None and self.visual_number is None and self.group_id is None:
            raise PydanticCustomError(
                "dependent_field", "at least one of uid, visual_number or group_id must be set"
            )
        if self.uid is not None and self.type is None:
            raise PydanticCustomError("dependent_field", "type is required when uid is set")
        if self.visual_number is not None and self.issuer is None:
            raise PydanticCustomError("dependent_field", "issuer is required when visual_number is set")
        return self


class StatusSchedule(OcpiModel):
    """A planned status of an EVSE for a period (informational)."""

    period_begin: DateTime
    period_end: DateTime | None = None
    status: Status


# --- Connector, EVSE, Location -----------------------------------------------------------------------------


def _check_unique(kind: str, ids: Iterable[str]) -> None:
    seen: set[str] = set()
    for identifier in ids:
        key = ci_key(identifier)
        if key in seen:
            raise PydanticCustomError(
                "duplicate_id", "{kind} '{id}' occurs more than once", {"kind": kind, "id": identifier}
            )
        seen.add(key)


class Connector(OcpiModel):
    """One plug or socket of an EVSE."""

    id: Annotated[str, CiString(36)]
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: Annotated[int, Field(ge=0)]
    """Volts; line to neutral for AC_3_PHASE."""
    max_amperage: Annotated[int, Field(ge=0)]
    max_electric_power: Annotated[int, Field(ge=0)] | None = None
    """Watts, when lower than voltage times current would suggest."""
    tariff_ids: ListOf[Annotated[str, CiString(36)]] = Field(default_factory=list)
    terms_and_conditions: URL | None = None
    last_updated: DateTime


class EVSE(OcpiModel):
    """One charging point: the part that can charge one vehicle at a time."""

    uid: Annotated[str, CiString(36)]
    evse_id: Annotated[str, CiString(48)] | None = None
    status: Status
    status_schedule: ListOf[StatusSchedule] = Field(default_factory=list)
    capabilities: ListOf[Capability] = Field(default_factory=list)
    connectors: NonEmptyList[Connector]
    floor_level: Annotated[str, String(4)] | None = None
    coordinates: GeoLocation | None = None
    physical_reference: Annotated[str, String(16)] | None = None
    directions: ListOf[DisplayText] = Field(default_factory=list)
    parking_restrictions: ListOf[ParkingRestriction] = Field(default_factory=list)
    images: ListOf[Image] = Field(default_factory=list)
    last_updated: DateTime

    @model_validator(mode="after")
    def _connector_ids_are_unique(self) -> EVSE:
        _check_unique("connector id", (connector.id for connector in self.connectors))
        return self


class Location(OcpiModel):
    """A site with EVSEs, owned by a CPO."""

    country_code: CountryCode
    party_id: PartyId
    id: Annotated[str, CiString(36)]
    publish: bool
    publish_allowed_to: ListOf[PublishTokenType] = Field(default_factory=list)
    name: Annotated[str, String(255)] | None = None
    address: Annotated[str, String(255)]
    city: Annotated[str, String(45)]
    postal_code: Annotated[str, String(10)] | None = None
    state: Annotated[str, String(45)] | None = None
    country: CountryAlpha3
    coordinates: GeoLocation
    related_locations: ListOf[AdditionalGeoLocation] = Field(default_factory=list)
    parking_type: ParkingType | None = None
    evses: ListOf[EVSE] = Field(default_factory=list)
    directions: ListOf[DisplayText] = Field(default_factory=list)
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: ListOf[Facility] = Field(default_factory=list)
    time_zone: Annotated[str, String(255)]
    """IANA time zone of the site, e.g. ``Europe/Oslo``; local times (hours, tariffs) are in it."""
    opening_times: Hours | None = None
    charging_when_closed: bool | None = None
    """Absent means the spec's default, true."""
    images: ListOf[Image] = Field(default_factory=list)
    energy_mix: EnergyMix | None = None
    last_updated: DateTime

    @model_validator(mode="after")
    def _consistent(self) -> Location:
        if self.publish and self.publish_allowed_to:
            raise PydanticCustomError(
                "field_combination", "publish_allowed_to may only be set when publish is false"
            )
        _check_unique("EVSE uid", (evse.uid for evse in self.evses))
        return self


LocationPatch = patch_model(Location, name="LocationPatch")
EvsePatch = patch_model(EVSE, name="EvsePatch")
ConnectorPatch = patch_model(Connector, name="ConnectorPatch")
