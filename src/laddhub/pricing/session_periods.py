"""A session's periods made ready for the engine's walk, in one pass over the input.

The walk compares and subtracts integers, so every start and end becomes microseconds here, once. It also
needs, per period, the activity, the energy that is billed, the energy consumed before it, and the mask of
the current/power restrictions the period satisfies. These are lists indexed like the sorted periods, so the
walk can find with a bisection how far a stretch of periods stays inside a window of constant prices.
Suspicious input (out of order, overlapping, outside the session, negative energy) is sorted, billed as
documented and reported here.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from decimal import Decimal
from itertools import accumulate, groupby, pairwise
from operator import eq, le
from typing import NamedTuple

from laddhub.pricing.compiled import CompiledTariff
from laddhub.pricing.diagnostics import PricingWarning
from laddhub.pricing.tariff import ZERO
from laddhub.pricing.timeline import (
    EPOCH,
    MICROSECOND,
    US_PER_HOUR,
    Period,
    PeriodKind,
    Timeline,
    from_us,
    iso,
    to_us,
)

CHARGING, PARKING, RESERVATION = 0, 1, 2
_CHARGING = PeriodKind.CHARGING
_PARKING = PeriodKind.PARKING


class OrderedPeriods(NamedTuple):
    """The periods sorted by start, with their bounds in µs; `in_order` says they follow each other
    without overlap inside the session, so that starts and ends both rise."""

    starts: list[int]
    ends: list[int]
    periods: Sequence[Period]
    in_order: bool
    latest_end: int


class PeriodFacts(NamedTuple):
    """What the walk needs of each sorted period, as lists indexed like them.

    `codes` number the activities (0 charging, 1 parking, 2 reservation) so the walk indexes lists instead
    of hashing enums. `energies` are billed kWh and `cumulative_kwh` the kWh consumed before each period
    (and, last, after all of them). `brackets` is None when the tariff restricts neither current nor power,
    else each period's mask of the elements whose current/power restrictions it satisfies, compared with
    `powers`. `stretch_ends` are the indices where the activity or the bracket changes, ending with the
    period count.
    """

    codes: list[int]
    energies: list[Decimal]
    cumulative_kwh: list[Decimal]
    brackets: list[int] | None
    powers: list[Decimal | None] | None
    stretch_ends: list[int]

    def stretch_end(self, index: int) -> int:
        """The index after the last period that has the activity and bracket of period `index`."""
        return self.stretch_ends[bisect_right(self.stretch_ends, index)]


def period_facts(
    compiled: CompiledTariff, ordered: OrderedPeriods, warnings: list[PricingWarning]
) -> PeriodFacts:
    """Activities, billed energies, cumulative kWh and current/power brackets of the sorted periods."""
    periods = ordered.periods
    codes = [0 if p.kind is _CHARGING else 1 if p.kind is _PARKING else 2 for p in periods]
    energies = _billed_energies(periods, codes, warnings)
    brackets: list[int] | None = None
    powers: list[Decimal | None] | None = None
    if compiled.has_current or compiled.has_power:
        brackets, powers, derived = _brackets(compiled, periods, ordered.starts, ordered.ends, energies)
        if derived:
            warnings.append(
                PricingWarning(
                    "POWER_DERIVED",
                    f"{derived} period(s) had no power for the tariff's power restrictions; their average "
                    "power (energy / duration) was used",
                )
            )
    keys: Sequence[object] = codes if brackets is None else list(zip(codes, brackets, strict=True))
    return PeriodFacts(
        codes=codes,
        energies=energies,
        cumulative_kwh=list(accumulate(energies, initial=ZERO)),
        brackets=brackets,
        powers=powers,
        stretch_ends=list(accumulate(len(list(group)) for _, group in groupby(keys))),
    )


def _billed_energies(
    periods: Sequence[Period], codes: list[int], warnings: list[PricingWarning]
) -> list[Decimal]:
    """Each period's energy as billed: a negative reading counts as 0 kWh, reservation time carries none."""
    energies = [period.energy_kwh for period in periods]
    if RESERVATION not in codes and (not energies or min(energies) >= ZERO):
        return energies
    for index, energy in enumerate(energies):
        if energy < ZERO:
            warnings.append(
                PricingWarning(
                    "ENERGY_DECREASING",
                    f"period {index} reports {energy} kWh (energy going down); it is billed as 0 kWh",
                )
            )
            energies[index] = ZERO
        if codes[index] == RESERVATION:
            energies[index] = ZERO
    return energies


def _brackets(
    compiled: CompiledTariff,
    periods: Sequence[Period],
    starts: list[int],
    ends: list[int],
    energies: list[Decimal],
) -> tuple[list[int], list[Decimal | None], int]:
    """Per period: the mask of its current/power bracket, the power compared, and how many were derived."""
    current, power_masks = compiled.current, compiled.power
    brackets: list[int] = []
    powers: list[Decimal | None] = []
    derived = 0
    for period, a, b, energy in zip(periods, starts, ends, energies, strict=True):
        mask = compiled.all_mask
        power = period.power_kw
        if compiled.has_current:
            amps = period.current_a
            mask &= compiled.current_unknown if amps is None else current.at(amps)
        if compiled.has_power:
            if power is None and energy and b > a:
                # Unknown power under a power restriction: the period's average is the best estimate.
                power = energy * US_PER_HOUR / (b - a)
                derived += 1
            mask &= compiled.power_unknown if power is None else power_masks.at(power)
        brackets.append(mask)
        powers.append(power)
    return brackets, powers, derived


def ordered_periods(timeline: Timeline, session_start: int, warnings: list[PricingWarning]) -> OrderedPeriods:
    """The periods sorted by start with their bounds in µs, and the latest end.

    Periods usually follow each other inside the session: then every start is the previous end, one
    conversion per period suffices and the checks compare whole lists at once. Anything else is sorted
    and reported by `_checked`.
    """
    periods = timeline.periods
    if not periods:
        return OrderedPeriods([], [], periods, True, 0)
    ends = [(period.end - EPOCH) // MICROSECOND for period in periods]
    if all(map(eq, [p.start for p in periods[1:]], [p.end for p in periods[:-1]])):
        starts = [to_us(periods[0].start)]
        starts += ends[:-1]
        in_order = True
    else:
        starts = [(period.start - EPOCH) // MICROSECOND for period in periods]
        in_order = all(map(le, ends[:-1], starts[1:]))
    session_end = to_us(timeline.end)
    # Each start at or after the previous end and each end at or after its start: the ends rise, so the
    # first start and the last end are the extremes to compare with the session.
    if in_order and all(map(le, starts, ends)) and starts[0] >= session_start and ends[-1] <= session_end:
        return OrderedPeriods(starts, ends, periods, True, ends[-1])
    items = _checked(
        list(zip(starts, ends, periods, range(len(periods)), strict=True)),
        timeline,
        session_start,
        session_end,
        warnings,
    )
    starts = [a for a, _, _, _ in items]
    ends = [b for _, b, _, _ in items]
    return OrderedPeriods(starts, ends, [period for _, _, period, _ in items], False, max(ends))


def _checked(
    items: list[tuple[int, int, Period, int]],
    timeline: Timeline,
    session_start: int,
    session_end: int,
    warnings: list[PricingWarning],
) -> list[tuple[int, int, Period, int]]:
    """Sort suspicious periods and say what was wrong with them."""
    if any(later[0] < earlier[0] for earlier, later in pairwise(items)):
        warnings.append(
            PricingWarning(
                "PERIODS_OUT_OF_ORDER", "periods are not in time order; they were priced sorted by start"
            )
        )
        items = sorted(items, key=lambda item: item[0])
    fixed: list[tuple[int, int, Period, int]] = []
    previous_end: int | None = None
    for a, b, period, index in items:
        if b < a:
            warnings.append(
                PricingWarning(
                    "PERIOD_ENDS_BEFORE_START", f"period {index} ends before it starts; priced as empty"
                )
            )
            b = a
        if a < session_start or b > session_end:
            warnings.append(
                PricingWarning(
                    "PERIOD_OUTSIDE_SESSION",
                    f"period {index} ({iso(from_us(a))} to {iso(from_us(b))}) lies partly outside the "
                    f"session ({iso(timeline.start)} to {iso(timeline.end)}); it is priced as reported",
                )
            )
        if previous_end is not None and a < previous_end:
            warnings.append(
                PricingWarning(
                    "PERIODS_OVERLAP",
                    f"period {index} starts before the previous one ends; both are priced in full",
                )
            )
        previous_end = b if previous_end is None else max(previous_end, b)
        fixed.append((a, b, period, index))
    return fixed
