"""Meter readings of a simulated charger, and the session's charging periods built from them.

A reading records the cumulative energy of the session at a moment and what the charger does from then on
(power drawn, current summed over phases, and whether the EVSE is reserved, charging or the vehicle is
parked without requesting power). The simulator takes a reading whenever one of those changes, so energy
grows linearly between two readings and a reading list is an exact account of the session.

Charging periods (spec §6, §7.6) start at every tariff price change, at every change of activity
(reservation to charging, charging to parking) and, for drivers' feedback, at least every `max_period`.
Where the price changes is the tariff engine's answer: the readings are priced as one timeline and a new
period starts wherever the engine switches to another element for some dimension. Each period carries the
volumes an eMSP needs to re-compute the price: ENERGY, TIME / PARKING_TIME / RESERVATION_TIME, and the
MAX_POWER / MAX_CURRENT the restrictions were evaluated against.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

from laddhub.ocpi.v2_2_1.cdrs import CdrDimension, CdrDimensionType, ChargingPeriod
from laddhub.pricing.compiled import CompiledTariff
from laddhub.pricing.engine import price_timeline
from laddhub.pricing.result import PricedSlice, PricingResult
from laddhub.pricing.tariff import Dimension
from laddhub.pricing.timeline import Period, PeriodKind, Timeline

VOLUME_PLACES = Decimal("0.0001")
"""OCPI numbers carry four decimals; volumes are written with exactly that."""
_US_PER_HOUR = Decimal(3_600_000_000)
_MICROSECOND = timedelta(microseconds=1)
_ZERO = Decimal(0)


class Activity(StrEnum):
    """What happens at the EVSE from a reading on."""

    RESERVED = "RESERVED"
    """Held for a reservation; the driver has not started yet (RESERVATION_TIME)."""
    CHARGING = "CHARGING"
    """The vehicle requests power (TIME), possibly at 0 kW under a profile limit of zero."""
    PARKING = "PARKING"
    """The vehicle is plugged in but requests no power any more (PARKING_TIME)."""


_KIND = {
    Activity.RESERVED: PeriodKind.RESERVATION,
    Activity.CHARGING: PeriodKind.CHARGING,
    Activity.PARKING: PeriodKind.PARKING,
}
_TIME_DIMENSION = {
    Activity.RESERVED: CdrDimensionType.RESERVATION_TIME,
    Activity.CHARGING: CdrDimensionType.TIME,
    Activity.PARKING: CdrDimensionType.PARKING_TIME,
}


@dataclass(frozen=True, slots=True)
class MeterReading:
    """The session's energy at `at` (kWh), and the power (kW) and current (A) drawn from then on."""

    at: datetime
    kwh: Decimal
    power_kw: Decimal
    current_a: Decimal
    activity: Activity


def energy_between(power_kw: Decimal, start: datetime, end: datetime) -> Decimal:
    """kWh drawn at a constant `power_kw` from `start` to `end`."""
    return power_kw * Decimal((end - start) // _MICROSECOND) / _US_PER_HOUR


def time_to_deliver(kwh: Decimal, power_kw: Decimal) -> timedelta | None:
    """How long `power_kw` takes to deliver `kwh`, rounded up to the microsecond; None at zero power."""
    if power_kw <= 0:
        return None
    microseconds = (kwh * _US_PER_HOUR / power_kw).to_integral_value(rounding=ROUND_CEILING)
    return timedelta(microseconds=int(microseconds))


def energy_at(readings: Sequence[MeterReading], moment: datetime) -> Decimal:
    """The session's cumulative energy at `moment` (linear between readings; 0 before the first)."""
    index = bisect_right([r.at for r in readings], moment) - 1
    if index < 0:
        return _ZERO
    reading = readings[index]
    return reading.kwh + energy_between(reading.power_kw, reading.at, moment)


def _runs(readings: Sequence[MeterReading]) -> list[MeterReading]:
    """The readings that change something: a reading repeating the power, current and activity of the one
    before it adds nothing a price can depend on (energy is linear between them)."""
    kept: list[MeterReading] = []
    for reading in readings:
        last = kept[-1] if kept else None
        if (
            last is not None
            and last.power_kw == reading.power_kw
            and last.current_a == reading.current_a
            and last.activity is reading.activity
        ):
            continue
        kept.append(reading)
    return kept


def timeline(
    readings: Sequence[MeterReading], end: datetime, *, reservation_expired: bool = False
) -> Timeline:
    """The readings as the tariff engine's input: one period per stretch of constant power and activity."""
    if not readings:
        raise ValueError("a session without meter readings has nothing to price")
    runs = _runs(readings)
    periods = []
    for index, reading in enumerate(runs):
        until = runs[index + 1].at if index + 1 < len(runs) else max(end, reading.at)
        reserved = reading.activity is Activity.RESERVED
        energy = energy_at(readings, until) - energy_at(readings, reading.at)
        periods.append(
            Period(
                start=reading.at,
                end=until,
                kind=_KIND[reading.activity],
                energy_kwh=_ZERO if reserved else energy,
                current_a=None if reserved else reading.current_a,
                power_kw=None if reserved else reading.power_kw,
            )
        )
    last = max(end, runs[-1].at)
    return Timeline(runs[0].at, last, tuple(periods), reservation_expired=reservation_expired)


def price(
    tariff: CompiledTariff,
    zone: ZoneInfo,
    readings: Sequence[MeterReading],
    end: datetime,
    *,
    reservation_expired: bool = False,
) -> PricingResult:
    """Price the session so far (up to `end`) under the tariff that applies to it."""
    return price_timeline(tariff, timeline(readings, end, reservation_expired=reservation_expired), zone)


def _price_key(view: PricedSlice) -> tuple[object, ...]:
    """What makes two moments cost the same: the activity and, per dimension, the element that prices it.

    FLAT is left out: it is billed once, so the element it came from does not make a later stretch cost
    more or less.
    """
    return (
        view.kind,
        tuple((c.dimension, c.element_index) for c in view.charges if c.dimension is not Dimension.FLAT),
    )


def price_changes(result: PricingResult) -> list[datetime]:
    """The instants at which the engine switched to other prices (the first slice's start included)."""
    changes: list[datetime] = []
    previous: tuple[object, ...] | None = None
    for view in result.slices:
        if view.end == view.start:
            continue
        key = _price_key(view)
        if key != previous:
            changes.append(view.start)
            previous = key
    return changes


def _volume(value: Decimal) -> Decimal:
    return value.quantize(VOLUME_PLACES)


def _hours(start: datetime, end: datetime) -> Decimal:
    return _volume(Decimal((end - start) // _MICROSECOND) / _US_PER_HOUR)


def period_starts(
    readings: Sequence[MeterReading], end: datetime, price_cuts: Sequence[datetime], max_period: timedelta
) -> list[datetime]:
    """Where the charging periods of a session start.

    At the first reading, at every change of activity, at every price change, and wherever a period would
    otherwise last longer than `max_period`. Only instants before `end` count; the list is sorted and has
    no duplicates.
    """
    if max_period <= timedelta(0):
        raise ValueError(f"max_period must be positive, got {max_period}")
    if not readings:
        return []
    first = readings[0].at
    cuts = {first}
    for before, after in pairwise(readings):
        if after.activity is not before.activity:
            cuts.add(after.at)
    cuts.update(moment for moment in price_cuts if first <= moment < end)
    ordered = sorted(moment for moment in cuts if moment == first or moment < end)
    starts: list[datetime] = []
    for index, start in enumerate(ordered):
        until = ordered[index + 1] if index + 1 < len(ordered) else end
        moment = start
        while True:
            starts.append(moment)
            moment += max_period
            if moment >= until:
                break
    return starts


def _in_force(readings: Sequence[MeterReading], start: datetime, end: datetime) -> list[MeterReading]:
    """The readings that govern some moment of [start, end): the one in force at `start` and later ones."""
    first = max(bisect_right([r.at for r in readings], start) - 1, 0)
    return [readings[first], *(r for r in readings[first + 1 :] if r.at < end)]


def build_periods(
    readings: Sequence[MeterReading],
    end: datetime,
    *,
    price_cuts: Sequence[datetime],
    max_period: timedelta,
    tariff_id: str | None,
) -> list[ChargingPeriod]:
    """The session's charging periods up to `end`; the last one is still open while the session runs.

    Energy volumes are differences of the cumulative energy rounded to four decimals, so they add up to
    the session's rounded total exactly. A period of zero length is left out, unless it is the only one.
    """
    starts = period_starts(readings, end, price_cuts, max_period)
    periods: list[ChargingPeriod] = []
    for index, start in enumerate(starts):
        until = starts[index + 1] if index + 1 < len(starts) else max(end, start)
        if until == start and (periods or index + 1 < len(starts)):
            continue
        governing = _in_force(readings, start, until)
        activity = governing[0].activity
        dimensions: list[CdrDimension] = []
        if activity is not Activity.RESERVED:
            energy = _volume(energy_at(readings, until)) - _volume(energy_at(readings, start))
            dimensions.append(CdrDimension(type=CdrDimensionType.ENERGY, volume=energy))
        dimensions.append(CdrDimension(type=_TIME_DIMENSION[activity], volume=_hours(start, until)))
        if activity is not Activity.RESERVED:
            current = max(r.current_a for r in governing)
            power = max(r.power_kw for r in governing)
            dimensions.append(CdrDimension(type=CdrDimensionType.MAX_CURRENT, volume=_volume(current)))
            dimensions.append(CdrDimension(type=CdrDimensionType.MAX_POWER, volume=_volume(power)))
        periods.append(ChargingPeriod(start_date_time=start, dimensions=dimensions, tariff_id=tariff_id))
    return periods
