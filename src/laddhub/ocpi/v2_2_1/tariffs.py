"""Tariffs module (spec §8): what charging costs, as elements of price components and restrictions."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from laddhub.ocpi.common import (
    URL,
    CiString,
    CountryCode,
    CurrencyCode,
    DateTime,
    DisplayText,
    ListOf,
    LocalDate,
    NonEmptyList,
    Number,
    OcpiModel,
    PartyId,
    Price,
    TimeOfDay,
)
from laddhub.ocpi.v2_2_1.locations import EnergyMix

__all__ = [
    "DayOfWeek",
    "PriceComponent",
    "ReservationRestrictionType",
    "Tariff",
    "TariffDimensionType",
    "TariffElement",
    "TariffRestrictions",
    "TariffType",
]


class DayOfWeek(StrEnum):
    """A day of the week, in the location's local time."""

    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class ReservationRestrictionType(StrEnum):
    """Marks a tariff element as pricing a reservation rather than charging."""

    RESERVATION = "RESERVATION"
    RESERVATION_EXPIRES = "RESERVATION_EXPIRES"
    """A reservation that expired without the driver starting to charge."""


class TariffDimensionType(StrEnum):
    """What a price component charges for."""

    ENERGY = "ENERGY"
    """Per kWh; step_size in Wh."""
    FLAT = "FLAT"
    """Once; step_size has no meaning."""
    PARKING_TIME = "PARKING_TIME"
    """Per hour the vehicle is not requesting power; step_size in seconds."""
    TIME = "TIME"
    """Per hour of charging (or reserved time, in a reservation element); step_size in seconds."""


class TariffType(StrEnum):
    """Which sessions a tariff is for; a tariff without a type is for all sessions."""

    AD_HOC_PAYMENT = "AD_HOC_PAYMENT"
    PROFILE_CHEAP = "PROFILE_CHEAP"
    PROFILE_FAST = "PROFILE_FAST"
    PROFILE_GREEN = "PROFILE_GREEN"
    REGULAR = "REGULAR"


class PriceComponent(OcpiModel):
    """The price of one dimension: per unit, excluding VAT, billed in blocks of ``step_size`` units."""

    type: TariffDimensionType
    price: Number
    vat: Number | None = None
    """VAT percentage; absent means no VAT applies, which the spec distinguishes from 0."""
    step_size: Annotated[int, Field(ge=0)]
    """Block size in Wh or seconds. 0 (seen on FLAT, where it means nothing) bills without rounding."""


class TariffRestrictions(OcpiModel):
    """When a tariff element is active; every restriction that is set must hold (logical AND)."""

    start_time: TimeOfDay | None = None
    end_time: TimeOfDay | None = None
    start_date: LocalDate | None = None
    end_date: LocalDate | None = None
    """Exclusive."""
    min_kwh: Number | None = None
    max_kwh: Number | None = None
    min_current: Number | None = None
    max_current: Number | None = None
    min_power: Number | None = None
    max_power: Number | None = None
    min_duration: Annotated[int, Field(ge=0)] | None = None
    max_duration: Annotated[int, Field(ge=0)] | None = None
    day_of_week: ListOf[DayOfWeek] = Field(default_factory=list)
    reservation: ReservationRestrictionType | None = None


_RESERVATION_DIMENSIONS = frozenset({TariffDimensionType.FLAT, TariffDimensionType.TIME})


class TariffElement(OcpiModel):
    """Price components that apply together while the restrictions hold."""

    price_components: NonEmptyList[PriceComponent]
    restrictions: TariffRestrictions | None = None

    @model_validator(mode="after")
    def _reservations_price_only_fee_and_time(self) -> TariffElement:
        if self.restrictions is None or self.restrictions.reservation is None:
            return self
        for component in self.price_components:
            if component.type not in _RESERVATION_DIMENSIONS:
                raise PydanticCustomError(
                    "reservation_component",
                    "an element with a reservation restriction may only have FLAT and TIME components, "
                    "not {type}",
                    {"type": component.type.value},
                )
        return self


class Tariff(OcpiModel):
    """A CPO's tariff: its elements, optional bounds on the total and its validity."""

    country_code: CountryCode
    party_id: PartyId
    id: Annotated[str, CiString(36)]
    currency: CurrencyCode
    type: TariffType | None = None
    tariff_alt_text: ListOf[DisplayText] = Field(default_factory=list)
    tariff_alt_url: URL | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: NonEmptyList[TariffElement]
    start_date_time: DateTime | None = None
    end_date_time: DateTime | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime
