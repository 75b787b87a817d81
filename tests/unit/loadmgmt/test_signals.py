"""Grid signals: forecast blocks, staleness, tightest limits, prices and the usage report."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from laddhub.loadmgmt.signals import (
    CapacityBlock,
    CapacityForecast,
    CapacityLimit,
    CapacitySignal,
    CapacitySource,
    PowerSample,
    PricePoint,
    PriceSeries,
    build_usage_report,
    tightest,
)
from laddhub.loadmgmt.topology import PhaseLimits

from .helpers import NOW

HOUR = timedelta(hours=1)


def _signal(received_at_offset: timedelta = timedelta(0)) -> CapacitySignal:
    blocks = (
        CapacityBlock(NOW, NOW + HOUR, CapacityLimit(power_kw=100)),
        CapacityBlock(
            NOW + HOUR, NOW + 2 * HOUR, CapacityLimit(power_kw=40, phase_limits=PhaseLimits.uniform(63))
        ),
    )
    return CapacitySignal(
        fallback=CapacityLimit(power_kw=25),
        forecast=CapacityForecast(blocks=blocks, received_at=NOW + received_at_offset),
        stale_after=timedelta(minutes=30),
    )


def test_forecast_blocks_apply_within_their_time_and_fallback_outside() -> None:
    signal = _signal()
    assert signal.limit_at(NOW + timedelta(minutes=59), NOW) == (
        CapacityLimit(power_kw=100),
        CapacitySource.FORECAST,
    )
    assert signal.limit_at(NOW + HOUR, NOW)[0].power_kw == 40
    assert signal.limit_at(NOW + 3 * HOUR, NOW) == (CapacityLimit(power_kw=25), CapacitySource.FALLBACK)


def test_a_forecast_older_than_its_staleness_limit_is_ignored_for_every_block() -> None:
    signal = _signal()
    assert not signal.is_stale(NOW + timedelta(minutes=30))
    assert signal.is_stale(NOW + timedelta(minutes=31))
    assert (
        signal.limit_at(NOW + timedelta(minutes=40), NOW + timedelta(minutes=31))[1]
        is CapacitySource.FALLBACK
    )
    assert CapacitySignal(fallback=CapacityLimit(power_kw=5)).is_stale(NOW)


def test_a_planning_period_takes_the_tightest_limit_of_every_block_it_touches() -> None:
    limit = _signal().tightest_between(NOW + timedelta(minutes=50), NOW + timedelta(minutes=70), NOW)
    assert limit == CapacityLimit(power_kw=40, phase_limits=PhaseLimits.uniform(63))
    assert tightest(
        [CapacityLimit(power_kw=10), CapacityLimit(phase_limits=PhaseLimits(l1=5))]
    ) == CapacityLimit(power_kw=10, phase_limits=PhaseLimits(l1=5))


def test_blocks_must_end_after_they_start_and_prices_must_be_in_order() -> None:
    with pytest.raises(ValueError, match="must end after it starts"):
        CapacityBlock(NOW, NOW, CapacityLimit(power_kw=1))
    with pytest.raises(ValueError, match="time order"):
        PriceSeries((PricePoint(NOW + HOUR, Decimal("0.2")), PricePoint(NOW, Decimal("0.1"))))


def test_a_price_holds_until_the_next_point() -> None:
    series = PriceSeries((PricePoint(NOW, Decimal("0.10")), PricePoint(NOW + HOUR, Decimal("0.30"))))
    assert series.price_at(NOW - timedelta(seconds=1)) is None
    assert series.price_at(NOW + timedelta(minutes=59)) == Decimal("0.10")
    assert series.price_at(NOW + 5 * HOUR) == Decimal("0.30")


def test_usage_report_averages_measured_and_allocated_load_over_each_block() -> None:
    measured = [PowerSample(NOW, 10.0), PowerSample(NOW + timedelta(minutes=30), 30.0)]
    allocated = [PowerSample(NOW - HOUR, 40.0)]
    report = build_usage_report(NOW, NOW + 2 * HOUR, HOUR, measured, allocated, capacity={NOW: 50.0})
    assert [(b.start, b.end) for b in report] == [(NOW, NOW + HOUR), (NOW + HOUR, NOW + 2 * HOUR)]
    assert report[0].measured_kw == pytest.approx(20.0)
    assert report[1].measured_kw == pytest.approx(30.0)
    assert report[0].allocated_kw == pytest.approx(40.0)
    assert report[0].capacity_kw == 50.0 and report[1].capacity_kw is None
    with pytest.raises(ValueError, match="positive"):
        build_usage_report(NOW, NOW + HOUR, timedelta(0), measured, allocated)
