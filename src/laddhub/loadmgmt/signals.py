"""Grid-operator and market signals as plain data: capacity forecast, fallback, prices, meter readings, usage.

The capacity signal follows the shape of an OSCP capacity forecast: blocks of time, each with a limit in kW
and/or amps per phase, for the site's grid connection. A forecast is only trusted while it is fresh; once
it goes stale (the operator stopped talking to us) or for any time it does not cover, the operator's agreed
fallback capacity applies, which is what OSCP asks of a flexibility resource that lost its operator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from laddhub.loadmgmt.topology import PhaseLimits


@dataclass(frozen=True, slots=True)
class CapacityLimit:
    """A limit on the grid connection: total kW and/or amps per phase (either may be absent)."""

    power_kw: float | None = None
    phase_limits: PhaseLimits | None = None


class CapacitySource(StrEnum):
    """Where the limit in force came from, reported so operators can see when fallback is active."""

    FORECAST = "forecast"
    FALLBACK = "fallback"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class CapacityBlock:
    """One block of a capacity forecast, [start, end)."""

    start: datetime
    end: datetime
    limit: CapacityLimit

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"capacity block must end after it starts ({self.start} .. {self.end})")


@dataclass(frozen=True, slots=True)
class CapacityForecast:
    """The grid operator's forecast as received at `received_at`."""

    blocks: tuple[CapacityBlock, ...]
    received_at: datetime


@dataclass(frozen=True, slots=True)
class CapacitySignal:
    """What the allocator needs to know the grid limit at any time, and when to stop trusting it."""

    fallback: CapacityLimit
    forecast: CapacityForecast | None = None
    stale_after: timedelta = timedelta(minutes=15)

    def is_stale(self, now: datetime) -> bool:
        """True when no forecast was received, or the last one is older than `stale_after`."""
        return self.forecast is None or now - self.forecast.received_at > self.stale_after

    def limit_at(self, at: datetime, now: datetime) -> tuple[CapacityLimit, CapacitySource]:
        """The limit in force at `at`, judged with what is known at `now`."""
        if self.forecast is not None and not self.is_stale(now):
            for block in self.forecast.blocks:
                if block.start <= at < block.end:
                    return block.limit, CapacitySource.FORECAST
        return self.fallback, CapacitySource.FALLBACK

    def tightest_between(self, start: datetime, end: datetime, now: datetime) -> CapacityLimit:
        """The smallest limit at any instant of [start, end), for planning a whole period safely."""
        instants = [start]
        if self.forecast is not None and not self.is_stale(now):
            instants += [b.start for b in self.forecast.blocks if start < b.start < end]
            instants += [b.end for b in self.forecast.blocks if start < b.end < end]
        limits = [self.limit_at(instant, now)[0] for instant in instants]
        return tightest(limits)


def tightest(limits: Iterable[CapacityLimit]) -> CapacityLimit:
    """Combine limits by taking the smallest value of each kind."""
    power: float | None = None
    phases: PhaseLimits | None = None
    for limit in limits:
        if limit.power_kw is not None:
            power = limit.power_kw if power is None else min(power, limit.power_kw)
        if limit.phase_limits is not None:
            phases = limit.phase_limits if phases is None else phases.tighter(limit.phase_limits)
    return CapacityLimit(power_kw=power, phase_limits=phases)


@dataclass(frozen=True, slots=True)
class PricePoint:
    """An energy price that applies from `start` until the next point (per kWh, in the site's currency)."""

    start: datetime
    price_per_kwh: Decimal


@dataclass(frozen=True, slots=True)
class PriceSeries:
    """Energy prices over time, e.g. day-ahead hourly prices; also usable for a carbon-intensity series."""

    points: tuple[PricePoint, ...]

    def __post_init__(self) -> None:
        starts = [p.start for p in self.points]
        if starts != sorted(starts):
            raise ValueError("price points must be in time order")

    def price_at(self, at: datetime) -> Decimal | None:
        """The price in force at `at`, None before the first point."""
        current: Decimal | None = None
        for point in self.points:
            if point.start > at:
                break
            current = point.price_per_kwh
        return current


@dataclass(frozen=True, slots=True)
class MeterReading:
    """What an EVSE reported: its rate (A per phase for AC, kW for DC) and the limit it was under then."""

    evse_id: str
    measured_at: datetime
    rate: float
    limit_in_force: float | None = None


@dataclass(frozen=True, slots=True)
class UsageBlock:
    """Measured and allocated load of the site over one block, as sent back to the grid operator."""

    start: datetime
    end: datetime
    measured_kw: float
    allocated_kw: float
    capacity_kw: float | None


@dataclass(frozen=True, slots=True)
class PowerSample:
    """A site-level power figure at an instant (a meter value, or the sum of the limits we sent)."""

    at: datetime
    kw: float


def build_usage_report(
    start: datetime,
    end: datetime,
    block: timedelta,
    measured: Sequence[PowerSample],
    allocated: Sequence[PowerSample],
    capacity: Mapping[datetime, float] | None = None,
) -> tuple[UsageBlock, ...]:
    """Time-weighted average measured and allocated kW per block, each sample holding until the next one.

    The operator compares these with its forecast to learn how much of the granted capacity is used; a block
    with no sample yet at its start counts the time before the first sample as zero load.
    """
    if block <= timedelta(0):
        raise ValueError("block length must be positive")
    blocks: list[UsageBlock] = []
    cursor = start
    while cursor < end:
        block_end = min(cursor + block, end)
        blocks.append(
            UsageBlock(
                start=cursor,
                end=block_end,
                measured_kw=_time_weighted_mean(measured, cursor, block_end),
                allocated_kw=_time_weighted_mean(allocated, cursor, block_end),
                capacity_kw=None if capacity is None else capacity.get(cursor),
            )
        )
        cursor = block_end
    return tuple(blocks)


def _time_weighted_mean(samples: Sequence[PowerSample], start: datetime, end: datetime) -> float:
    ordered = sorted(samples, key=lambda s: s.at)
    total = 0.0
    for position, sample in enumerate(ordered):
        held_until = ordered[position + 1].at if position + 1 < len(ordered) else end
        overlap_start = max(sample.at, start)
        overlap_end = min(held_until, end)
        if overlap_end > overlap_start:
            total += sample.kw * (overlap_end - overlap_start).total_seconds()
    return total / (end - start).total_seconds()
