"""Generate OCPI tariffs from price signals: a time-of-use table, hourly energy prices, a site's load.

OCPI has no "price per hour of day" object, so a dynamic tariff is a list of elements restricted to
local dates and times, followed by an unrestricted fallback for when the signal runs out. Hourly prices
come in UTC; they are turned into local-time windows with the zone's real offsets, so a DST change
neither leaves a local hour unpriced nor prices one twice: the hour that occurs twice in autumn becomes a
single window priced at the higher of its two prices (the driver is never charged a price that did not
apply, and the CPO never sells under its cost), and the hour skipped in spring simply has no window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

from laddhub.pricing.tariff import (
    ZERO,
    Dimension,
    PriceComponent,
    Restrictions,
    Tariff,
    TariffElement,
    Weekday,
)

PRICE_PLACES = Decimal("0.0001")
HUNDRED = Decimal(100)
_MINUTES_PER_DAY = 1440


@dataclass(frozen=True, slots=True)
class HourlyPrice:
    """An energy price (per kWh, excl. VAT) for the hour starting at `start` (aware, on a UTC hour)."""

    start: datetime
    price_kwh: Decimal


@dataclass(frozen=True, slots=True)
class LoadForecast:
    """The site's expected load during the hour starting at `start`, as a fraction of its capacity."""

    start: datetime
    load: Decimal


@dataclass(frozen=True, slots=True)
class LoadPricing:
    """How load moves the price: a surcharge (percent) at or above `busy`, a discount at or below `idle`."""

    busy: Decimal = Decimal("0.8")
    surcharge_percent: Decimal = Decimal(20)
    idle: Decimal = Decimal("0.3")
    discount_percent: Decimal = Decimal(10)

    def factor(self, load: Decimal) -> Decimal:
        """The multiplier for an hour with this load."""
        if load >= self.busy:
            return 1 + self.surcharge_percent / HUNDRED
        if load <= self.idle:
            return 1 - self.discount_percent / HUNDRED
        return Decimal(1)


@dataclass(frozen=True, slots=True)
class TimeOfUseRow:
    """One row of a time-of-use table: on these local days, from `start` to `end`, this price per kWh."""

    days: frozenset[Weekday]
    start: time
    end: time
    price_kwh: Decimal


@dataclass(frozen=True, slots=True)
class TariffIdentity:
    """Who publishes the generated tariff and how its components are taxed and rounded."""

    id: str
    currency: str
    country_code: str
    party_id: str
    vat: Decimal | None = None
    step_size: int = 1


@dataclass(frozen=True, slots=True)
class GeneratedTariff:
    """A generated tariff and what the generator had to decide on the way (for the operator to read)."""

    tariff: Tariff
    notes: tuple[str, ...]


def _energy(price: Decimal, identity: TariffIdentity) -> tuple[PriceComponent, ...]:
    return (PriceComponent(Dimension.ENERGY, price, identity.step_size, identity.vat),)


def _tariff(identity: TariffIdentity, elements: list[TariffElement], fallback: Decimal) -> Tariff:
    elements.append(TariffElement(_energy(fallback, identity)))
    return Tariff(
        id=identity.id,
        currency=identity.currency,
        elements=tuple(elements),
        country_code=identity.country_code,
        party_id=identity.party_id,
    )


def tariff_from_time_of_use(
    rows: Sequence[TimeOfUseRow], identity: TariffIdentity, fallback_price: Decimal
) -> GeneratedTariff:
    """A tariff whose elements are the table's rows in order (first match wins), then the fallback."""
    elements = [
        TariffElement(
            _energy(row.price_kwh, identity),
            Restrictions(start_time=row.start, end_time=row.end, day_of_week=row.days),
        )
        for row in rows
    ]
    return GeneratedTariff(_tariff(identity, elements, fallback_price), ())


def _local_minutes(moment: datetime, zone: ZoneInfo) -> tuple[date, int]:
    local = moment.astimezone(zone)
    return local.date(), local.hour * 60 + local.minute


def _pieces(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[date, int, int]]:
    """The local (date, from-minute, to-minute) windows covering the UTC interval [start, end).

    The end is taken just before `end`, so an interval that ends as the clock is set back still covers
    the wall-clock hour it really spanned.
    """
    first_date, first = _local_minutes(start, zone)
    last_date, last = _local_minutes(end - timedelta(microseconds=1), zone)
    last += 1
    pieces = []
    day, low = first_date, first
    while day < last_date:
        pieces.append((day, low, _MINUTES_PER_DAY))
        day, low = day + timedelta(days=1), 0
    pieces.append((day, low, last))
    return pieces


def _clock(minutes: int) -> time:
    return time(0) if minutes >= _MINUTES_PER_DAY else time(minutes // 60, minutes % 60)


def tariff_from_hourly_prices(
    prices: Sequence[HourlyPrice],
    zone: ZoneInfo,
    identity: TariffIdentity,
    *,
    margin_kwh: Decimal = ZERO,
    load: Sequence[LoadForecast] = (),
    load_pricing: LoadPricing | None = None,
    fallback_price: Decimal | None = None,
) -> GeneratedTariff:
    """Elements for each run of equal hourly prices (spot + margin, times the load factor), then a fallback.

    Local windows are whole minutes; the fallback (default: the highest generated price) covers every
    moment outside the series. Negative results are priced at zero.
    """
    notes: list[str] = []
    loads = {entry.start.astimezone(UTC): entry.load for entry in load}
    pricing = load_pricing or LoadPricing()
    hourly: list[tuple[datetime, Decimal]] = []
    for entry in sorted(prices, key=lambda p: p.start):
        start = entry.start.astimezone(UTC)
        price = entry.price_kwh + margin_kwh
        if start in loads:
            price *= pricing.factor(loads[start])
        if price < 0:
            notes.append(f"{start:%Y-%m-%dT%H:%MZ}: negative price {price} priced at 0")
            price = ZERO
        hourly.append((start, price.quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)))

    # Local windows per date: split at every boundary, each atomic window takes the highest price over it.
    windows: dict[date, list[tuple[int, int, Decimal]]] = {}
    for start, price in hourly:
        for day, low, high in _pieces(start, start + timedelta(hours=1), zone):
            if low < high:
                windows.setdefault(day, []).append((low, high, price))
    elements: list[TariffElement] = []
    for day in sorted(windows):
        entries = windows[day]
        bounds = sorted({b for low, high, _ in entries for b in (low, high)})
        merged: list[tuple[int, int, Decimal]] = []
        for low, high in pairwise(bounds):
            covering = [p for a, b, p in entries if a <= low and high <= b]
            if not covering:
                continue
            if len(covering) > 1:
                notes.append(
                    f"{day} {_clock(low):%H:%M}-{_clock(high):%H:%M} local occurs twice (DST); priced "
                    f"once at the higher price {max(covering)}"
                )
            price = max(covering)
            if merged and merged[-1][1] == low and merged[-1][2] == price:
                merged[-1] = (merged[-1][0], high, price)
            else:
                merged.append((low, high, price))
        for low, high, price in merged:
            elements.append(
                TariffElement(
                    _energy(price, identity),
                    Restrictions(
                        start_time=_clock(low),
                        end_time=_clock(high),
                        start_date=day,
                        end_date=day + timedelta(days=1),
                    ),
                )
            )
    fallback = fallback_price if fallback_price is not None else max((p for _, p in hourly), default=ZERO)
    return GeneratedTariff(_tariff(identity, elements, fallback), tuple(notes))
