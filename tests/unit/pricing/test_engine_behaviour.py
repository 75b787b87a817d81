"""Engine behaviour beyond the spec's examples: restriction edge cases, DST, warnings, explanations."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from laddhub.pricing.engine import price_timeline
from laddhub.pricing.explanation import explain
from laddhub.pricing.rounding import NO_ROUNDING, MoneyRounding
from laddhub.pricing.tariff import (
    Dimension,
    Price,
    PriceComponent,
    Restrictions,
    Tariff,
    TariffElement,
    Weekday,
)
from laddhub.pricing.timeline import Period, PeriodKind, Timeline
from tests.unit.pricing.scenario import AMSTERDAM, charge, park, session

D = Decimal


def tariff(*elements: TariffElement, **fields: object) -> Tariff:
    return Tariff(id="T", currency="EUR", elements=elements, **fields)  # type: ignore[arg-type]


def element(
    dimension: Dimension, price: str, step: int = 1, vat: str | None = None, **limits: object
) -> TariffElement:
    return TariffElement(
        (PriceComponent(dimension, D(price), step, None if vat is None else D(vat)),),
        Restrictions(**limits),  # type: ignore[arg-type]
    )


def cost(t: Tariff, timeline: Timeline, zone: ZoneInfo = AMSTERDAM) -> Decimal:
    return price_timeline(t, timeline, zone, rounding=NO_ROUNDING).totals.total_cost.excl_vat


def test_kwh_threshold_splits_a_period_where_it_is_crossed() -> None:
    t = tariff(element(Dimension.ENERGY, "0.10", max_kwh=D(10)), element(Dimension.ENERGY, "0.30"))
    result = price_timeline(
        t, session(datetime(2026, 5, 4, 10, tzinfo=AMSTERDAM), charge(120, "20")), AMSTERDAM
    )
    assert result.exact_totals.total_energy_cost.excl_vat == D("4.00")
    assert [s.end - s.start for s in result.slices] == [s.end - s.start for s in result.slices[::-1]]
    assert [s.energy_kwh for s in result.slices] == [D(10), D(10)]


def test_min_kwh_applies_from_the_threshold_inclusive() -> None:
    t = tariff(element(Dimension.ENERGY, "1", min_kwh=D(5)), element(Dimension.ENERGY, "0"))
    assert cost(
        t, session(datetime(2026, 5, 4, 10, tzinfo=AMSTERDAM), charge(60, "5"), charge(60, "2"))
    ) == D(2)


def test_time_window_wraps_past_midnight() -> None:
    night = element(Dimension.TIME, "1", start_time=time(22), end_time=time(6))
    t = tariff(night, element(Dimension.TIME, "2"))
    assert cost(t, session(datetime(2026, 5, 4, 21, tzinfo=AMSTERDAM), charge(120))) == D(3)
    assert cost(t, session(datetime(2026, 5, 5, 5, tzinfo=AMSTERDAM), charge(120))) == D(3)


def test_end_time_midnight_means_end_of_day_and_start_date_is_inclusive_end_date_exclusive() -> None:
    evening = element(
        Dimension.TIME,
        "1",
        start_time=time(20),
        end_time=time(0),
        start_date=date(2026, 5, 5),
        end_date=date(2026, 5, 6),
    )
    t = tariff(evening, element(Dimension.TIME, "0"))
    assert cost(t, session(datetime(2026, 5, 4, 23, tzinfo=AMSTERDAM), charge(120))) == D(0)
    assert cost(t, session(datetime(2026, 5, 5, 23, tzinfo=AMSTERDAM), charge(120))) == D(1)


def test_day_of_week_is_the_local_day_of_each_moment() -> None:
    sunday = element(Dimension.TIME, "4", day_of_week=frozenset({Weekday.SUNDAY}))
    t = tariff(sunday, element(Dimension.TIME, "1"))
    saturday_night = datetime(2026, 5, 9, 23, tzinfo=AMSTERDAM)
    assert cost(t, session(saturday_night, charge(120))) == D(5)


def test_skipped_local_boundary_takes_effect_when_the_clock_jumps() -> None:
    t = tariff(
        element(Dimension.TIME, "1", start_time=time(2, 30), end_time=time(5)), element(Dimension.TIME, "0")
    )
    timeline = session(datetime(2026, 3, 29, 0, 0, tzinfo=UTC), charge(120))
    result = price_timeline(t, timeline, AMSTERDAM, rounding=NO_ROUNDING)
    assert result.totals.total_cost.excl_vat == D(1)
    assert [w.code for w in result.warnings] == ["DST_SKIPPED_TIME"]


def test_repeated_local_hour_is_priced_at_both_occurrences() -> None:
    t = tariff(
        element(Dimension.TIME, "1", start_time=time(2, 30), end_time=time(4)), element(Dimension.TIME, "0")
    )
    timeline = session(datetime(2026, 10, 25, 0, 0, tzinfo=UTC), charge(180))
    result = price_timeline(t, timeline, AMSTERDAM, rounding=NO_ROUNDING)
    assert result.totals.total_cost.excl_vat == D(2)
    assert "DST_AMBIGUOUS_TIME" in [w.code for w in result.warnings]


def test_unknown_current_does_not_satisfy_a_current_restriction() -> None:
    t = tariff(element(Dimension.TIME, "5", min_current=D(32)), element(Dimension.TIME, "1"))
    assert cost(t, session(datetime(2026, 5, 4, 10, tzinfo=AMSTERDAM), charge(60))) == D(1)
    assert cost(t, session(datetime(2026, 5, 4, 10, tzinfo=AMSTERDAM), charge(60, current="32"))) == D(5)


def test_min_duration_switches_price_inside_a_period() -> None:
    t = tariff(element(Dimension.PARKING_TIME, "6", min_duration=3600), element(Dimension.PARKING_TIME, "0"))
    assert cost(t, session(datetime(2026, 5, 4, 10, tzinfo=AMSTERDAM), charge(30), park(90))) == D(6)


def test_vat_absent_means_incl_equals_excl_and_2_3_tax_included_prices_split_out_vat() -> None:
    from laddhub.pricing.tariff import TaxIncluded

    timeline = session(datetime(2026, 5, 4, 10, tzinfo=AMSTERDAM), charge(150))
    plain = price_timeline(tariff(element(Dimension.TIME, "2.10")), timeline, AMSTERDAM)
    assert plain.totals.total_cost == Price(D("5.25"), D("5.25"))
    included = tariff(element(Dimension.TIME, "2.42", vat="21"), tax_included=TaxIncluded.YES)
    assert price_timeline(included, timeline, AMSTERDAM).totals.total_cost == Price(D("5.00"), D("6.05"))


def test_rounding_rule_is_configurable() -> None:
    t = tariff(element(Dimension.ENERGY, "0.333"))
    timeline = session(datetime(2026, 5, 4, 10, tzinfo=AMSTERDAM), charge(60, "1"))
    down = price_timeline(t, timeline, AMSTERDAM, rounding=MoneyRounding(decimals=1, mode="ROUND_DOWN"))
    assert down.totals.total_cost.excl_vat == D("0.3")


def test_suspicious_periods_are_warned_about_and_still_priced() -> None:
    start = datetime(2026, 5, 4, 8, tzinfo=UTC)
    later = datetime(2026, 5, 4, 9, tzinfo=UTC)
    periods = (
        Period(later, datetime(2026, 5, 4, 10, tzinfo=UTC), PeriodKind.CHARGING, D(-1)),
        Period(start, later, PeriodKind.CHARGING, D(5)),
    )
    timeline = Timeline(start, datetime(2026, 5, 4, 9, 30, tzinfo=UTC), periods)
    result = price_timeline(tariff(element(Dimension.ENERGY, "1")), timeline, AMSTERDAM)
    codes = {w.code for w in result.warnings}
    assert {
        "PERIODS_OUT_OF_ORDER",
        "PERIOD_OUTSIDE_SESSION",
        "ENERGY_DECREASING",
        "UNPRICED_DIMENSION",
    } <= codes
    assert result.totals.total_cost.excl_vat == D(5)


def test_tariff_outside_its_validity_window_is_flagged() -> None:
    t = tariff(element(Dimension.TIME, "1"), end_date_time=datetime(2020, 1, 1, tzinfo=UTC))
    result = price_timeline(t, session(datetime(2026, 5, 4, 10, tzinfo=AMSTERDAM), charge(60)), AMSTERDAM)
    assert [w.code for w in result.warnings] == ["TARIFF_EXPIRED"]


def test_explanation_names_the_failed_restriction_of_each_earlier_element() -> None:
    fast = element(Dimension.TIME, "3", min_power=D(50))
    weekend = element(Dimension.TIME, "2", day_of_week=frozenset({Weekday.SATURDAY, Weekday.SUNDAY}))
    t = tariff(fast, weekend, element(Dimension.TIME, "1"))
    monday = datetime(2026, 5, 4, 10, tzinfo=AMSTERDAM)
    rows = explain(price_timeline(t, session(monday, charge(60, power="11")), AMSTERDAM))
    [time_row] = rows
    assert time_row.element_index == 2
    assert [r.element_index for r in time_row.rejected] == [0, 1]
    assert "min_power 50" in time_row.rejected[0].reasons[0]
    assert "local day is MONDAY" in time_row.rejected[1].reasons[0]


def test_interpolated_energy_does_not_trigger_a_spurious_step_round_up() -> None:
    evening = element(Dimension.ENERGY, "0.30", start_time=time(18))
    t = tariff(evening, element(Dimension.ENERGY, "0.30"))
    # 1 kWh over 3 minutes, cut at 18:00 after one third of it: the thirds must still add up to 1 kWh.
    timeline = session(datetime(2026, 5, 4, 17, 59, tzinfo=AMSTERDAM), charge(3, "1"))
    result = price_timeline(t, timeline, AMSTERDAM, rounding=NO_ROUNDING)
    assert result.totals.total_energy_cost.excl_vat == D("0.30")
    assert sum(c.billed_quantity for s in result.slices for c in s.charges) == D(1)
