"""Estimates for planned charges, tariff comparison, and tariffs generated from price signals."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from laddhub.pricing.dynamic import (
    HourlyPrice,
    LoadForecast,
    LoadPricing,
    TariffIdentity,
    TimeOfUseRow,
    tariff_from_hourly_prices,
    tariff_from_time_of_use,
)
from laddhub.pricing.engine import price_timeline
from laddhub.pricing.estimates import PlannedCharge, compare, estimate
from laddhub.pricing.linter import ERROR, lint_tariff
from laddhub.pricing.rounding import NO_ROUNDING
from laddhub.pricing.tariff import Price, Weekday
from laddhub.pricing.writing import tariff_to_ocpi
from tests.unit.pricing.scenario import AMSTERDAM, BERLIN, charge, load_tariff, session

D = Decimal
IDENTITY = TariffIdentity("DYN-1", "EUR", "NL", "LAD", vat=D(21))
STAMP = datetime(2026, 11, 24, tzinfo=UTC)


def test_estimate_of_an_energy_tariff_is_exact_and_independent_of_power(spec_dir: Path) -> None:
    plan = PlannedCharge(datetime(2026, 5, 4, 10, tzinfo=BERLIN), D(20), D(11), parking=timedelta(minutes=20))
    result = estimate(load_tariff(spec_dir, "tariff_8_simple_025kwh"), plan, BERLIN)
    assert result.minimum == result.maximum == result.expected_cost == Price(D("5.00"), D("5.50"))
    assert result.scenarios == 2


def test_estimate_range_widens_with_slower_power_under_a_time_tariff(spec_dir: Path) -> None:
    plan = PlannedCharge(datetime(2026, 5, 4, 10, tzinfo=BERLIN), D(22), D(11))
    result = estimate(load_tariff(spec_dir, "tariff_1_simple_2hour"), plan, BERLIN)
    assert result.expected_cost.excl_vat == D("4.00")
    assert result.minimum.excl_vat == D("4.00")
    assert result.maximum.excl_vat == D("8.00")


def test_compare_ranks_the_cheapest_tariff_first(spec_dir: Path) -> None:
    plan = PlannedCharge(datetime(2026, 5, 4, 10, tzinfo=BERLIN), D(30), D(11), parking=timedelta(minutes=30))
    names = ["tariff_1_simple_2hour", "tariff_8_simple_025kwh", "tariff_10_025kwh_parking_start"]
    tariffs = [load_tariff(spec_dir, n) for n in names]
    ranking = compare(tariffs, plan, BERLIN)
    assert [e.tariff_id for e in ranking] == [t.id for t in tariffs]
    assert [e.expected_cost.excl_vat for e in ranking] == [D("5.47"), D("7.50"), D("9.00")]


def test_time_of_use_table_becomes_restricted_elements_and_a_fallback() -> None:
    rows = [
        TimeOfUseRow(frozenset(Weekday) - {Weekday.SATURDAY, Weekday.SUNDAY}, time(7), time(21), D("0.45")),
        TimeOfUseRow(frozenset(Weekday), time(23), time(6), D("0.22")),
    ]
    generated = tariff_from_time_of_use(rows, IDENTITY, D("0.35"))
    assert [f for f in lint_tariff(tariff_to_ocpi(generated.tariff, STAMP)) if f.severity == ERROR] == []
    monday_evening = session(datetime(2026, 5, 4, 20, tzinfo=AMSTERDAM), charge(120, "20"))
    priced = price_timeline(generated.tariff, monday_evening, AMSTERDAM, rounding=NO_ROUNDING)
    assert priced.totals.total_cost.excl_vat == D("10") * D("0.45") + D("10") * D("0.35")


def spot(start: datetime, values: list[str]) -> list[HourlyPrice]:
    return [HourlyPrice(start + timedelta(hours=i), D(v)) for i, v in enumerate(values)]


def test_hourly_prices_with_margin_and_load_produce_local_windows() -> None:
    start = datetime(2026, 5, 4, 22, tzinfo=UTC)  # 00:00 local in Amsterdam (CEST)
    prices = spot(start, ["0.10", "0.10", "0.20", "0.05"])
    load = [
        LoadForecast(start + timedelta(hours=2), D("0.9")),
        LoadForecast(start + timedelta(hours=3), D("0.1")),
    ]
    generated = tariff_from_hourly_prices(prices, AMSTERDAM, IDENTITY, margin_kwh=D("0.05"), load=load)
    windows = [
        (e.restrictions.start_time, e.restrictions.end_time, e.price_components[0].price)
        for e in generated.tariff.elements[:-1]
    ]
    assert windows == [
        (time(0), time(2), D("0.15")),
        (time(2), time(3), D("0.30")),
        (time(3), time(4), D("0.09")),
    ]
    assert generated.tariff.elements[-1].restrictions.is_empty
    assert generated.tariff.elements[-1].price_components[0].price == D("0.30")
    findings = lint_tariff(tariff_to_ocpi(generated.tariff, STAMP))
    assert [f for f in findings if f.severity == ERROR] == []


def test_repeated_autumn_hour_is_priced_once_at_the_higher_price() -> None:
    start = datetime(2026, 10, 24, 23, tzinfo=UTC)  # 01:00 CEST; clocks go back at 01:00 UTC
    generated = tariff_from_hourly_prices(spot(start, ["0.10", "0.30", "0.20", "0.10"]), AMSTERDAM, IDENTITY)
    assert any("occurs twice" in note for note in generated.notes)
    timeline = session(datetime(2026, 10, 25, 0, tzinfo=UTC), charge(120, "2"))
    priced = price_timeline(generated.tariff, timeline, AMSTERDAM, rounding=NO_ROUNDING)
    assert priced.totals.total_cost.excl_vat == D("0.60")


@settings(max_examples=25, deadline=None)
@given(
    st.datetimes(datetime(2026, 3, 27), datetime(2026, 3, 30))
    | st.datetimes(datetime(2026, 10, 23), datetime(2026, 10, 27)),
    st.lists(st.decimals(min_value=0, max_value=1, places=3), min_size=1, max_size=30),
)
def test_generated_tariffs_price_every_hour_at_its_own_price_across_dst(
    start: datetime, values: list[Decimal]
) -> None:
    hour = start.replace(minute=0, second=0, microsecond=0, tzinfo=UTC)
    prices = [HourlyPrice(hour + timedelta(hours=i), v) for i, v in enumerate(values)]
    generated = tariff_from_hourly_prices(prices, AMSTERDAM, IDENTITY, fallback_price=D(9))
    assert [f for f in lint_tariff(tariff_to_ocpi(generated.tariff, STAMP)) if f.severity == ERROR] == []
    for entry in prices:
        one_hour = session(entry.start, charge(60, "1"))
        cost = price_timeline(
            generated.tariff, one_hour, AMSTERDAM, rounding=NO_ROUNDING
        ).totals.total_cost.excl_vat
        local = entry.start.astimezone(AMSTERDAM)
        repeated = local.fold == 1 or (entry.start + timedelta(hours=1)).astimezone(AMSTERDAM).fold == 1
        if repeated:
            assert cost >= entry.price_kwh.quantize(D("0.0001"))
        else:
            assert cost == entry.price_kwh.quantize(D("0.0001"))


def test_load_pricing_factor_surcharges_busy_and_discounts_idle_hours() -> None:
    pricing = LoadPricing()
    assert (pricing.factor(D("0.85")), pricing.factor(D("0.5")), pricing.factor(D("0.2"))) == (
        D("1.2"),
        D(1),
        D("0.9"),
    )
