"""What a planned charge will cost under a tariff (min / expected / max), and which tariff is cheapest.

A driver or an eMSP knows roughly how much energy, at what power, from when, and how long the car will
stay parked afterwards. The expected cost prices exactly that plan; the range prices the plausible
deviations: a slower average power (cars taper towards full, sites share capacity) and a start that moves
within a window, across which time-of-day prices change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from laddhub.pricing.compiled import CompiledTariff, compile_tariff
from laddhub.pricing.engine import price_timeline
from laddhub.pricing.result import PricingResult
from laddhub.pricing.rounding import CENTS_HALF_UP, MoneyRounding
from laddhub.pricing.tariff import Price, Tariff
from laddhub.pricing.timeline import US_PER_HOUR, Period, PeriodKind, Timeline

HALF = Decimal("0.5")


@dataclass(frozen=True, slots=True)
class PlannedCharge:
    """A charge that has not happened yet.

    `power_kw` is the expected average power; `min_power_kw` the slowest plausible one (default half of
    it). `parking` is the time the car stays after charging. `start_flex` lets the start move either way.
    """

    start: datetime
    energy_kwh: Decimal
    power_kw: Decimal
    parking: timedelta = timedelta(0)
    min_power_kw: Decimal | None = None
    current_a: Decimal | None = None
    start_flex: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("the planned start must be timezone-aware")
        if self.power_kw <= 0 or self.energy_kwh < 0:
            raise ValueError("a planned charge needs a positive power and a non-negative energy")


@dataclass(frozen=True, slots=True)
class Estimate:
    """The cost range of a planned charge under one tariff; `expected` is the breakdown of the plan itself."""

    tariff_id: str
    currency: str
    minimum: Price
    expected: PricingResult
    maximum: Price
    scenarios: int
    notes: tuple[str, ...] = field(default=())

    @property
    def expected_cost(self) -> Price:
        """The total cost of the plan as given."""
        return self.expected.totals.total_cost


def plan_timeline(plan: PlannedCharge, power_kw: Decimal, start: datetime) -> Timeline:
    """The session timeline of a plan at a given power and start: one charging period, then parking."""
    begin = start.astimezone(UTC)
    charging = timedelta(microseconds=int(plan.energy_kwh * US_PER_HOUR / power_kw))
    charged = begin + charging
    periods = [Period(begin, charged, PeriodKind.CHARGING, plan.energy_kwh, plan.current_a, power_kw)]
    end = charged
    if plan.parking > timedelta(0):
        end = charged + plan.parking
        periods.append(Period(charged, end, PeriodKind.PARKING))
    return Timeline(begin, end, tuple(periods))


def _key(price: Price) -> tuple[Decimal, Decimal]:
    return price.excl_vat, price.incl_vat if price.incl_vat is not None else price.excl_vat


def estimate(
    tariff: Tariff | CompiledTariff,
    plan: PlannedCharge,
    zone: ZoneInfo,
    *,
    rounding: MoneyRounding = CENTS_HALF_UP,
) -> Estimate:
    """Price the plan (expected) and its deviations (slower power, shifted start) for the range."""
    compiled = tariff if isinstance(tariff, CompiledTariff) else compile_tariff(tariff)
    slowest = plan.min_power_kw if plan.min_power_kw is not None else plan.power_kw * HALF
    powers = sorted({plan.power_kw, min(slowest, plan.power_kw)})
    starts = [plan.start]
    if plan.start_flex > timedelta(0):
        starts = [plan.start - plan.start_flex, plan.start, plan.start + plan.start_flex]
    expected = price_timeline(
        compiled, plan_timeline(plan, plan.power_kw, plan.start), zone, rounding=rounding
    )
    totals = [
        price_timeline(compiled, plan_timeline(plan, power, start), zone, rounding=rounding).totals.total_cost
        for power in powers
        for start in starts
    ]
    notes = tuple(dict.fromkeys(w.message for w in expected.warnings if w.code != "UNPRICED_DIMENSION"))
    return Estimate(
        tariff_id=compiled.tariff.id,
        currency=compiled.tariff.currency,
        minimum=min(totals, key=_key),
        expected=expected,
        maximum=max(totals, key=_key),
        scenarios=len(totals),
        notes=notes,
    )


def compare(
    tariffs: Iterable[Tariff | CompiledTariff],
    plan: PlannedCharge,
    zone: ZoneInfo,
    *,
    rounding: MoneyRounding = CENTS_HALF_UP,
) -> list[Estimate]:
    """Estimates for the same plan under each tariff, cheapest expected first (then lowest maximum).

    Amounts in different currencies are not converted; callers should rank within one currency.
    """
    estimates: Sequence[Estimate] = [estimate(t, plan, zone, rounding=rounding) for t in tariffs]
    return sorted(estimates, key=lambda e: (e.currency, _key(e.expected_cost), _key(e.maximum), e.tariff_id))
