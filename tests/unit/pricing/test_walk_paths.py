"""The walk's shortcuts (runs of equal prices, cached local days, a fast path for well-ordered periods) held
to the plain reading: the report order of periods, the breakdown against the totals, the session's last
instant and the step_size round-ups of a slice."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from laddhub.pricing.compiled import compile_tariff
from laddhub.pricing.engine import price_timeline
from laddhub.pricing.result import CostCategory
from laddhub.pricing.rounding import NO_ROUNDING
from laddhub.pricing.tariff import (
    Dimension,
    PriceComponent,
    Restrictions,
    Tariff,
    TariffElement,
    Weekday,
)
from laddhub.pricing.timeline import US_PER_HOUR, Period, PeriodKind, Timeline
from tests.unit.pricing.scenario import AMSTERDAM

SETTINGS = settings(max_examples=60, deadline=None)
START = datetime(2026, 3, 28, 21, tzinfo=UTC)  # the night of a DST change in Europe/Amsterdam
D = Decimal


def _maybe(draw: st.DrawFn, strategy: st.SearchStrategy[object]) -> object:
    return draw(st.one_of(st.none(), strategy))


@st.composite
def restrictions(draw: st.DrawFn) -> Restrictions:
    clock = st.builds(time, st.integers(0, 23), st.sampled_from([0, 30]))
    kwh = st.integers(0, 40).map(D)
    power = st.sampled_from([D(7), D(11), D(22), D(50)])
    current = st.sampled_from([D(16), D(32)])
    seconds = st.sampled_from([900, 3600, 2 * 3600, 4 * 3600])
    return Restrictions(
        start_time=_maybe(draw, clock),  # type: ignore[arg-type]
        end_time=_maybe(draw, clock),  # type: ignore[arg-type]
        min_kwh=_maybe(draw, kwh),  # type: ignore[arg-type]
        max_kwh=_maybe(draw, kwh),  # type: ignore[arg-type]
        min_power=_maybe(draw, power),  # type: ignore[arg-type]
        max_power=_maybe(draw, power),  # type: ignore[arg-type]
        max_current=_maybe(draw, current),  # type: ignore[arg-type]
        min_duration=_maybe(draw, seconds),  # type: ignore[arg-type]
        max_duration=_maybe(draw, seconds),  # type: ignore[arg-type]
        day_of_week=frozenset(draw(st.sets(st.sampled_from(list(Weekday)), max_size=2))),
    )


@st.composite
def tariffs(draw: st.DrawFn) -> Tariff:
    """Up to five restricted elements and an unrestricted fallback; prices in cents, VAT in tenths."""

    def components() -> tuple[PriceComponent, ...]:
        dimensions = draw(st.sets(st.sampled_from(list(Dimension)), min_size=1))
        return tuple(
            PriceComponent(
                dimension,
                draw(st.integers(0, 500).map(lambda cents: D(cents) / 100)),
                draw(st.sampled_from([1, 60, 300, 1000])),
                draw(st.one_of(st.none(), st.integers(0, 250).map(lambda tenths: D(tenths) / 10))),
            )
            for dimension in sorted(dimensions, key=lambda d: d.value)
        )

    restricted = [TariffElement(components(), draw(restrictions())) for _ in range(draw(st.integers(1, 5)))]
    return Tariff("W", "EUR", (*restricted, TariffElement(components())))


@st.composite
def timelines(draw: st.DrawFn) -> Timeline:
    """Many short periods, sometimes with gaps between them, with varying power and current."""
    cursor = START
    periods = []
    for _ in range(draw(st.integers(2, 25))):
        cursor += timedelta(minutes=draw(st.sampled_from([0, 0, 0, 5, 45])))
        end = cursor + timedelta(minutes=draw(st.integers(1, 90)))
        kind = draw(st.sampled_from([PeriodKind.CHARGING, PeriodKind.CHARGING, PeriodKind.PARKING]))
        energy = (
            draw(st.integers(0, 80).map(lambda tenths: D(tenths) / 10))
            if kind is PeriodKind.CHARGING
            else D(0)
        )
        power = draw(st.sampled_from([None, D(7), D(11), D(22), D(50)]))
        current = draw(st.sampled_from([None, D(16), D(32)]))
        periods.append(Period(cursor, end, kind, energy, current, power))
        cursor = end
    return Timeline(START, cursor, tuple(periods))


@SETTINGS
@given(tariffs(), timelines())
def test_the_order_periods_are_reported_in_never_changes_the_totals(t: Tariff, timeline: Timeline) -> None:
    compiled = compile_tariff(t)
    shuffled = Timeline(timeline.start, timeline.end, tuple(reversed(timeline.periods)))
    in_order = price_timeline(compiled, timeline, AMSTERDAM, rounding=NO_ROUNDING)
    reversed_order = price_timeline(compiled, shuffled, AMSTERDAM, rounding=NO_ROUNDING)
    assert reversed_order.exact_totals == in_order.exact_totals
    assert "PERIODS_OUT_OF_ORDER" in [w.code for w in reversed_order.warnings]


@SETTINGS
@given(tariffs(), timelines())
def test_breakdown_adds_up_to_the_totals_of_energy_fixed_costs_and_time(
    t: Tariff, timeline: Timeline
) -> None:
    result = price_timeline(compile_tariff(t), timeline, AMSTERDAM, rounding=NO_ROUNDING)
    charges = [charge for priced in result.slices for charge in priced.charges]
    for category, total in (
        (CostCategory.ENERGY, result.exact_totals.total_energy_cost),
        (CostCategory.FIXED, result.exact_totals.total_fixed_cost),
    ):
        costs = [charge.cost for charge in charges if charge.category is category]
        assert sum((cost.excl_vat for cost in costs), D(0)) == total.excl_vat
        assert sum((cost.incl_vat or D(0) for cost in costs), D(0)) == total.incl_vat
    session_us = sum((priced.end - priced.start) // timedelta(microseconds=1) for priced in result.slices)
    assert Decimal(session_us) / US_PER_HOUR == result.exact_totals.total_time


def test_a_period_of_no_duration_at_the_session_end_is_priced_at_that_instant() -> None:
    # 2026-05-08 22:00 UTC is Saturday 00:00 in Amsterdam: a weekend energy price starts there.
    weekend = TariffElement(
        (PriceComponent(Dimension.ENERGY, D("0.50")),),
        Restrictions(day_of_week=frozenset({Weekday.SATURDAY, Weekday.SUNDAY})),
    )
    t = Tariff("E", "EUR", (weekend,))
    friday_evening = datetime(2026, 5, 8, 21, tzinfo=UTC)
    midnight = datetime(2026, 5, 8, 22, tzinfo=UTC)
    periods = (
        Period(friday_evening, midnight, PeriodKind.PARKING),
        Period(midnight, midnight, PeriodKind.CHARGING, D(2)),
    )
    result = price_timeline(t, Timeline(friday_evening, midnight, periods), AMSTERDAM, rounding=NO_ROUNDING)
    assert result.totals.total_energy_cost.excl_vat == D(1)
    assert [w.code for w in result.warnings] == ["UNPRICED_DIMENSION"]


def test_a_slice_that_takes_both_step_round_ups_shows_both_in_its_charges() -> None:
    components = (
        PriceComponent(Dimension.ENERGY, D("0.30"), 100),
        PriceComponent(Dimension.TIME, D("1.20"), 300),
    )
    start = datetime(2026, 5, 4, 8, tzinfo=UTC)
    end = start + timedelta(minutes=1)
    timeline = Timeline(start, end, (Period(start, end, PeriodKind.CHARGING, D("0.25")),))
    result = price_timeline(Tariff("S", "EUR", (TariffElement(components),)), timeline, AMSTERDAM)
    [priced] = result.slices
    charges = {charge.dimension: charge for charge in priced.charges}
    assert charges[Dimension.ENERGY].billed_quantity == D("0.3")
    assert charges[Dimension.ENERGY].cost == result.exact_totals.total_energy_cost
    assert charges[Dimension.TIME].billed_quantity == D(5) / 60
