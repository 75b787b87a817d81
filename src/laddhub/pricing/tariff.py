"""The engine's own tariff types: plain frozen dataclasses with `Decimal` money.

They mirror the OCPI 2.2.1 Tariff closely enough that adapters are one-to-one, and they already carry the
2.3.0 additions (`tax_included`, price limits whose incl-tax bound is optional) so that a 2.3.0 adapter is a
small step. Nothing here parses JSON or touches pydantic: the hot path of the engine works on these objects
after `compile_tariff` has turned them into bit masks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import NamedTuple

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class Dimension(enum.Enum):
    """What a price component charges for (OCPI TariffDimensionType)."""

    ENERGY = "ENERGY"
    FLAT = "FLAT"
    TIME = "TIME"
    PARKING_TIME = "PARKING_TIME"


class ReservationKind(enum.Enum):
    """The `reservation` restriction: which reservation costs an element describes."""

    RESERVATION = "RESERVATION"
    RESERVATION_EXPIRES = "RESERVATION_EXPIRES"


class TaxIncluded(enum.Enum):
    """OCPI 2.3.0 `tax_included`; a 2.2.1 tariff is always `NO` (prices are excl. VAT)."""

    YES = "YES"
    NO = "NO"
    NOT_APPLICABLE = "N/A"


class Weekday(enum.IntEnum):
    """OCPI DayOfWeek, numbered like `date.weekday()` so a local date maps to it without a lookup."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


class Price(NamedTuple):
    """An amount excl. and incl. VAT (OCPI 2.2.1 `Price`; 2.3.0 `before_taxes` / after taxes).

    `incl_vat` is optional because OCPI's min/max price and 2.3.0's PriceLimit allow it to be absent; the
    engine's own results always fill it. A named tuple because every priced session creates a dozen.
    """

    excl_vat: Decimal
    incl_vat: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Restrictions:
    """OCPI TariffRestrictions. Every field is optional; all present ones must hold (logical AND).

    Times are local wall-clock times at the Location; `end_time` of 00:00 means "until the end of the day".
    `end_date` is exclusive. Durations are seconds since the session started.
    """

    start_time: time | None = None
    end_time: time | None = None
    start_date: date | None = None
    end_date: date | None = None
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_current: Decimal | None = None
    max_current: Decimal | None = None
    min_power: Decimal | None = None
    max_power: Decimal | None = None
    min_duration: int | None = None
    max_duration: int | None = None
    day_of_week: frozenset[Weekday] = frozenset()
    reservation: ReservationKind | None = None

    @property
    def is_empty(self) -> bool:
        """True when the element applies unconditionally (outside reservations): the fallback shape."""
        return self == NO_RESTRICTIONS

    @property
    def has_local_time(self) -> bool:
        """True when the element depends on the local wall clock or calendar (needs the time zone)."""
        return (
            self.start_time is not None
            or self.end_time is not None
            or self.start_date is not None
            or self.end_date is not None
            or bool(self.day_of_week)
        )


NO_RESTRICTIONS = Restrictions()


@dataclass(frozen=True, slots=True)
class PriceComponent:
    """One price of a tariff element: `price` per unit of `dimension`, billed in blocks of `step_size`.

    `step_size` is in Wh for ENERGY and seconds for TIME and PARKING_TIME; it is ignored for FLAT.
    `vat` is a percentage; `None` means no VAT applies (the incl-VAT amount equals the excl-VAT amount).
    """

    dimension: Dimension
    price: Decimal
    step_size: int = 1
    vat: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TariffElement:
    """Price components that apply together while the restrictions hold."""

    price_components: tuple[PriceComponent, ...]
    restrictions: Restrictions = NO_RESTRICTIONS

    def component(self, dimension: Dimension) -> PriceComponent | None:
        """The element's component for `dimension`; OCPI allows one per dimension, the first one wins."""
        for component in self.price_components:
            if component.dimension is dimension:
                return component
        return None


@dataclass(frozen=True, slots=True)
class Tariff:
    """A tariff as the engine needs it. `elements` are matched first-to-last per dimension.

    `tax_included` is the 2.3.0 field: with `YES` the component prices already contain VAT, and the engine
    derives the excl-VAT amounts from each component's `vat`.
    """

    id: str
    currency: str
    elements: tuple[TariffElement, ...]
    min_price: Price | None = None
    max_price: Price | None = None
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None
    tax_included: TaxIncluded = TaxIncluded.NO
    country_code: str = ""
    party_id: str = ""
    type: str | None = None
    alt_text: tuple[tuple[str, str], ...] = field(default=())
