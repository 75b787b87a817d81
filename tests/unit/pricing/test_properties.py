"""Invariants of the engine (Hypothesis), and agreement of the compiled masks with the plain predicates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from laddhub.pricing.compiled import compile_tariff
from laddhub.pricing.engine import price_timeline
from laddhub.pricing.restrictions import MatchContext, failed_restrictions
from laddhub.pricing.rounding import NO_ROUNDING
from laddhub.pricing.tariff import (
    Dimension,
    Price,
    PriceComponent,
    ReservationKind,
    Restrictions,
    Tariff,
    TariffElement,
    Weekday,
)
from laddhub.pricing.timeline import PeriodKind, Timeline, to_us
from tests.unit.pricing.scenario import AMSTERDAM, Phase, session

SETTINGS = settings(max_examples=60, deadline=None)
START = datetime(2026, 3, 28, 20, tzinfo=UTC)  # two days around a DST change in Europe/Amsterdam

money = st.decimals(min_value=0, max_value=5, places=2)
vats = st.one_of(st.none(), st.decimals(min_value=0, max_value=25, places=1))
steps = st.sampled_from([1, 60, 300, 900, 500, 1800])


@st.composite
def plain_tariffs(draw: st.DrawFn) -> Tariff:
    """One restriction-free element with a random subset of dimensions."""
    dimensions = draw(st.sets(st.sampled_from(list(Dimension)), min_size=1))
    components = tuple(
        PriceComponent(d, draw(money), draw(steps), draw(vats))
        for d in sorted(dimensions, key=lambda d: d.value)
    )
    return Tariff("P", "EUR", (TariffElement(components),))


@st.composite
def restrictions(draw: st.DrawFn) -> Restrictions:
    def maybe(strategy: st.SearchStrategy[object]) -> object:
        return draw(st.one_of(st.none(), strategy))

    clock = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
    kwh = st.decimals(min_value=0, max_value=60, places=1)
    amps = st.decimals(min_value=0, max_value=64, places=0)
    seconds = st.integers(0, 6 * 3600)
    return Restrictions(
        start_time=maybe(clock),  # type: ignore[arg-type]
        end_time=maybe(clock),  # type: ignore[arg-type]
        start_date=maybe(st.dates(date(2026, 3, 27), date(2026, 3, 31))),  # type: ignore[arg-type]
        end_date=maybe(st.dates(date(2026, 3, 27), date(2026, 3, 31))),  # type: ignore[arg-type]
        min_kwh=maybe(kwh),  # type: ignore[arg-type]
        max_kwh=maybe(kwh),  # type: ignore[arg-type]
        min_current=maybe(amps),  # type: ignore[arg-type]
        max_current=maybe(amps),  # type: ignore[arg-type]
        min_power=maybe(amps),  # type: ignore[arg-type]
        max_power=maybe(amps),  # type: ignore[arg-type]
        min_duration=maybe(seconds),  # type: ignore[arg-type]
        max_duration=maybe(seconds),  # type: ignore[arg-type]
        day_of_week=frozenset(draw(st.sets(st.sampled_from(list(Weekday)), max_size=3))),
        reservation=maybe(st.sampled_from(list(ReservationKind))),  # type: ignore[arg-type]
    )


@st.composite
def restricted_tariffs(draw: st.DrawFn) -> Tariff:
    elements = tuple(
        TariffElement(
            tuple(
                PriceComponent(d, draw(money), draw(steps), draw(vats))
                for d in sorted(
                    draw(st.sets(st.sampled_from(list(Dimension)), min_size=1)), key=lambda d: d.value
                )
            ),
            draw(restrictions()),
        )
        for _ in range(draw(st.integers(1, 5)))
    )
    limit = st.one_of(st.none(), st.builds(Price, money, st.one_of(st.none(), money)))
    return Tariff("R", "EUR", elements, min_price=draw(limit), max_price=draw(limit))


phases = st.lists(
    st.builds(
        Phase,
        st.sampled_from([PeriodKind.CHARGING, PeriodKind.PARKING]),
        st.integers(1, 240),
        st.decimals(min_value=0, max_value=40, places=2).map(str),
        st.one_of(st.none(), st.decimals(min_value=0, max_value=64, places=0).map(str)),
        st.one_of(st.none(), st.decimals(min_value=0, max_value=64, places=0).map(str)),
    ),
    min_size=1,
    max_size=6,
)


def exact_total(t: Tariff, timeline: Timeline) -> Price:
    return price_timeline(t, timeline, AMSTERDAM, rounding=NO_ROUNDING).totals.total_cost


@SETTINGS
@given(plain_tariffs(), st.integers(1, 300), st.integers(0, 300), st.integers(0, 120), st.integers(0, 120))
def test_cost_never_decreases_when_energy_or_time_grows(
    t: Tariff, minutes: int, centi_kwh: int, more_minutes: int, more_centi_kwh: int
) -> None:
    def cost(m: int, kwh: int) -> Price:
        charge = Phase(PeriodKind.CHARGING, m, str(Decimal(kwh) / 100))
        return exact_total(t, session(START, charge, Phase(PeriodKind.PARKING, m)))

    before = cost(minutes, centi_kwh)
    after = cost(minutes + more_minutes, centi_kwh + more_centi_kwh)
    assert after.excl_vat >= before.excl_vat
    assert after.incl_vat is not None and before.incl_vat is not None
    assert after.incl_vat >= before.incl_vat


@SETTINGS
@given(st.one_of(plain_tariffs(), restricted_tariffs()), phases, st.data())
def test_splitting_a_period_with_the_same_totals_never_changes_the_cost(
    t: Tariff, parts: list[Phase], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(parts) - 1))
    whole = parts[index]
    first_minutes = data.draw(st.integers(0, int(whole.minutes)))
    kwh = Decimal(whole.kwh)
    first_kwh = kwh * first_minutes / Decimal(whole.minutes)
    split = [
        Phase(whole.kind, first_minutes, str(first_kwh), whole.current, whole.power),
        Phase(whole.kind, whole.minutes - first_minutes, str(kwh - first_kwh), whole.current, whole.power),
    ]
    together = exact_total(t, session(START, *parts))
    apart = exact_total(t, session(START, *parts[:index], *split, *parts[index + 1 :]))
    assert apart == together


@SETTINGS
@given(restricted_tariffs(), phases)
def test_total_stays_within_min_and_max_price(t: Tariff, parts: list[Phase]) -> None:
    total = exact_total(t, session(START, *parts))
    low, high = t.min_price, t.max_price
    if low is not None and (high is None or low.excl_vat <= high.excl_vat):
        assert total.excl_vat >= low.excl_vat
    if high is not None and (low is None or low.excl_vat <= high.excl_vat):
        assert total.excl_vat <= high.excl_vat
    if high is not None and high.incl_vat is not None and (low is None or low.incl_vat is None):
        assert total.incl_vat is not None and total.incl_vat <= high.incl_vat


@SETTINGS
@given(st.one_of(plain_tariffs(), restricted_tariffs()), phases)
def test_incl_vat_is_never_below_excl_vat_when_vat_is_not_negative(t: Tariff, parts: list[Phase]) -> None:
    if t.min_price is not None or t.max_price is not None:
        t = Tariff(t.id, t.currency, t.elements)
    total = exact_total(t, session(START, *parts))
    assert total.incl_vat is not None and total.incl_vat >= total.excl_vat


@SETTINGS
@given(
    restricted_tariffs(),
    st.integers(0, 4 * 24 * 60 - 1),
    st.integers(0, 6 * 3600 * 10**6),
    st.decimals(min_value=0, max_value=60, places=2),
    st.one_of(st.none(), st.decimals(min_value=0, max_value=64, places=0)),
    st.sampled_from(list(PeriodKind)),
    st.booleans(),
)
def test_compiled_masks_agree_with_the_readable_predicates(
    t: Tariff,
    minute: int,
    elapsed_us: int,
    kwh: Decimal,
    amps: Decimal | None,
    kind: PeriodKind,
    expired: bool,
) -> None:
    compiled = compile_tariff(t)
    moment = datetime(2026, 3, 27, tzinfo=UTC) + timedelta(minutes=minute)
    instant = to_us(moment)
    starts, masks, _ = compiled.segments(AMSTERDAM, instant, instant + 1)
    index = max(i for i, s in enumerate(starts) if s <= instant)
    mask = masks[index] & compiled.duration.at(elapsed_us) & compiled.kwh.at(kwh)
    mask &= compiled.current_unknown if amps is None else compiled.current.at(amps)
    mask &= compiled.power_unknown if amps is None else compiled.power.at(amps)
    reservation = 0
    for priority in compiled.priorities[(kind, expired)]:
        reservation |= priority
    mask &= reservation
    context = MatchContext(
        moment.astimezone(AMSTERDAM).replace(tzinfo=None), elapsed_us, kwh, amps, amps, kind, expired
    )
    for i, element in enumerate(t.elements):
        assert bool(mask >> i & 1) == (not failed_restrictions(element.restrictions, context))
