"""The cost calculation: a compiled tariff, a session timeline and a time zone in, a `PricingResult` out.

The algorithm (digest §8.8, interpretations in docs/pricing.md):
1. Cut every period where a restriction can change its truth value: local time/date boundaries (from the
   compiled tariff's DST-aware day segments), duration thresholds since the session start, and cumulative
   kWh thresholds (interpolated inside the period, energy spread evenly over its time).
2. For each slice and dimension take the first element, in list order, that has the dimension and whose
   restrictions hold at the slice's start (reservation slices only look at reservation elements).
3. Round ENERGY once per session, and the time of the session's last time-based phase once, each with the
   step of the last component that priced it, adding the extra to that last slice; reservation time is
   rounded on its own.
4. FLAT is billed once for the session and once for a reservation, from the first slice where one matches.
5. Sum excl. and incl. VAT, clamp each to min/max price, then round the reported money.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from functools import cache
from itertools import pairwise
from operator import eq, le
from zoneinfo import ZoneInfo

from laddhub.pricing.compiled import CompiledComponent, CompiledTariff, compile_tariff
from laddhub.pricing.diagnostics import PricingWarning
from laddhub.pricing.result import KWH_PER_WH, PricingResult, RecordTuple, StepExtras, Totals
from laddhub.pricing.rounding import CENTS_HALF_UP, MoneyRounding
from laddhub.pricing.tariff import ZERO, Dimension, Price, Tariff
from laddhub.pricing.timeline import (
    EPOCH,
    MICROSECOND,
    US_PER_HOUR,
    US_PER_SECOND,
    Period,
    PeriodKind,
    Timeline,
    from_us,
    iso,
    to_us,
)

_CHARGING = PeriodKind.CHARGING
_PARKING = PeriodKind.PARKING
_RESERVATION = PeriodKind.RESERVATION


class _Sums:
    """Priced quantities and their costs per activity, accumulated run by run.

    Activities are numbered (0 charging, 1 parking, 2 reservation) so the loop indexes lists instead of
    hashing enums. Time costs are kept as Σ µs x unit price and divided by µs-per-hour once at the end.
    `last_*` remember the component (and, when recording, the record position) of the last priced slice,
    where the step_size extra goes.
    """

    __slots__ = (
        "energy",
        "energy_excl",
        "energy_incl",
        "flat",
        "last_energy",
        "last_session",
        "last_time",
        "time",
        "time_excl",
        "time_incl",
        "unpriced",
        "used",
    )

    def __init__(self) -> None:
        self.energy = ZERO
        self.energy_excl = ZERO
        self.energy_incl = ZERO
        self.time = [0, 0, 0]
        self.time_excl = [ZERO, ZERO, ZERO]
        self.time_incl = [ZERO, ZERO, ZERO]
        self.flat: list[CompiledComponent | None] = [None, None]
        self.last_energy: tuple[CompiledComponent, int] | None = None
        self.last_time: list[tuple[CompiledComponent, int] | None] = [None, None, None]
        self.last_session = -1
        self.unpriced: list[Decimal] = [ZERO, ZERO, ZERO, ZERO]
        self.used = [0, 0, 0]

    def add_time(self, code: int, component: CompiledComponent, us: int) -> None:
        """Priced time of one activity at one component's price."""
        self.time[code] += us
        self.time_excl[code] += us * component.unit_excl
        self.time_incl[code] += us * component.unit_incl

    def add_energy(self, component: CompiledComponent, kwh: Decimal) -> None:
        """Priced energy at one component's price."""
        self.energy += kwh
        self.energy_excl += kwh * component.unit_excl
        self.energy_incl += kwh * component.unit_incl


_UNPRICED_ENERGY = 3
_NEVER = 1 << 62
_NO_KWH_LIMIT = Decimal("Infinity")
_US_PER_HOUR = Decimal(US_PER_HOUR)
_FREE = Price(ZERO, ZERO)
_KWH_RESOLUTION = Decimal("1e-9")
_UNPRICED_LABELS = ("charging", "parking", "reservation", "energy")
_Slice = tuple[int, int, Decimal, Decimal, int]
# The first slice of a run: period index, kind, start µs, kWh before, elapsed µs, current, power.
_RunStart = tuple[int, PeriodKind, int, Decimal, int, Decimal | None, Decimal | None]


def price_timeline(
    tariff: Tariff | CompiledTariff,
    timeline: Timeline,
    zone: ZoneInfo,
    *,
    rounding: MoneyRounding = CENTS_HALF_UP,
) -> PricingResult:
    """Price a session under a tariff in the Location's time zone.

    Pass a `CompiledTariff` when pricing many sessions with one tariff: compiling builds the restriction
    masks and caches local days and matches, which is most of the work for short sessions. Suspicious input
    (periods out of order or outside the session, negative energy, unpriced dimensions, DST-affected
    boundaries) is reported in `warnings` and priced as documented, never raised. The per-slice breakdown
    is not kept while pricing; reading `result.slices` walks the session again, recording every slice.
    """
    compiled = tariff if isinstance(tariff, CompiledTariff) else compile_tariff(tariff)
    warnings: list[PricingWarning] = []
    sums, total_energy, _ = _walk(compiled, timeline, zone, warnings, None)
    _apply_step_sizes(sums)
    _warn_unpriced(compiled, sums, warnings)
    exact, clamped = _totals(compiled, sums, total_energy)

    def record() -> tuple[list[RecordTuple], StepExtras]:
        records: list[RecordTuple] = []
        recorded, _, _ = _walk(compiled, timeline, zone, [], records)
        return records, _apply_step_sizes(recorded)

    return PricingResult(
        tariff_id=compiled.tariff.id,
        currency=compiled.tariff.currency,
        totals=_rounded(exact, rounding),
        exact_totals=exact,
        warnings=tuple(warnings),
        clamped=clamped,
        recorder=record,
        compiled=compiled,
        zone=zone,
        reservation_expired=timeline.reservation_expired,
    )


def _walk(
    compiled: CompiledTariff,
    timeline: Timeline,
    zone: ZoneInfo,
    warnings: list[PricingWarning],
    records: list[RecordTuple] | None,
) -> tuple[_Sums, Decimal, None]:
    """Walk the periods slice by slice and book each into the sums (and into `records` when given).

    Without `records`, consecutive slices of one activity under one mask are booked as one run: the
    prices are the same, and booking is where the time goes.
    """
    session_start = to_us(timeline.start)
    starts, ends, periods, latest_end = _ordered_periods(timeline, session_start, warnings)
    _check_validity(compiled.tariff, timeline, warnings)
    charging_origin = next(
        (a for a, period in zip(starts, periods, strict=True) if period.kind is not _RESERVATION),
        session_start,
    )
    if periods:
        first_us = min(starts[0], session_start)
        last_us = max(latest_end, first_us + 1)
    else:
        first_us, last_us = session_start, session_start + 1
    if compiled.has_local_time:
        seg_starts, seg_masks, notes = compiled.segments(zone, first_us, last_us)
        if notes:
            warnings.extend(_dst_warning(note.kind, note.local, zone) for note in notes)
    else:
        seg_starts, seg_masks = [first_us], [compiled.all_mask]

    sums = _Sums()
    expired = timeline.reservation_expired
    seg_count = len(seg_starts)
    dur_points, dur_masks = compiled.duration.breakpoints, compiled.duration.masks
    kwh_points, kwh_masks = compiled.kwh.breakpoints, compiled.kwh.masks
    cur_points, cur_masks, cur_unknown = (
        compiled.current.breakpoints,
        compiled.current.masks,
        compiled.current_unknown,
    )
    pow_points, pow_masks, pow_unknown = (
        compiled.power.breakpoints,
        compiled.power.masks,
        compiled.power_unknown,
    )
    has_current, has_power = bool(cur_points), bool(pow_points)
    dur_count, kwh_count = len(dur_points), len(kwh_points)
    all_mask = compiled.all_mask
    merge = records is None
    derived = 0
    # The window in which the cached local-time/duration/kWh mask holds (empty until the first period).
    window_mask = 0
    valid_from, valid_until, valid_origin = _NEVER, -_NEVER, -1
    kwh_until = ZERO
    cumulative = ZERO
    # The run being accumulated: its activity code (-1: none yet), mask, first slice and totals.
    run_code = -1
    run_mask = 0
    run_duration = 0
    run_energy = ZERO
    run_first: _RunStart | None = None

    for index, (a, b, period) in enumerate(zip(starts, ends, periods, strict=True)):
        kind = period.kind
        code = 0 if kind is _CHARGING else 1 if kind is _PARKING else 2
        energy = period.energy_kwh
        if energy < ZERO:
            warnings.append(
                PricingWarning(
                    "ENERGY_DECREASING",
                    f"period {index} reports {energy} kWh (energy going down); it is billed as 0 kWh",
                )
            )
            energy = ZERO
        if code == 2:
            origin = session_start
            energy = ZERO
        else:
            origin = charging_origin
        power = period.power_kw
        mask = all_mask
        if has_current:
            current = period.current_a
            mask &= cur_unknown if current is None else cur_masks[bisect_right(cur_points, current)]
        if has_power:
            if power is None and energy and b > a:
                # Unknown power under a power restriction: the period's average is the best estimate.
                power = energy * US_PER_HOUR / (b - a)
                derived += 1
            mask &= pow_unknown if power is None else pow_masks[bisect_right(pow_points, power)]

        # The common case: nothing changes inside the period, so it is one slice with one mask. The
        # local-time, duration and kWh masks of the previous period still hold while the period stays
        # inside the window [valid_from, valid_until) x [.., kwh_until] they were computed for.
        end_kwh = cumulative + energy
        slices: list[_Slice] | tuple[_Slice]
        if (
            valid_from <= a < valid_until
            and b <= valid_until
            and end_kwh < kwh_until
            and origin == valid_origin
        ):
            mask &= window_mask
            if merge and mask == run_mask and code == run_code:
                # Same prices as the run being accumulated: just add to it (the bulk of all periods).
                run_duration += b - a
                run_energy += energy
                cumulative = end_kwh
                continue
            slices = ((a, b, cumulative, energy, mask),)
        else:
            seg = bisect_right(seg_starts, a) - 1 if seg_count > 1 else 0
            dur = bisect_right(dur_points, a - origin) if dur_count else 0
            kwh = bisect_right(kwh_points, cumulative) if kwh_count else 0
            next_seg = seg_starts[seg + 1] if seg + 1 < seg_count else _NEVER
            next_dur = origin + dur_points[dur] if dur < dur_count else _NEVER
            next_kwh = kwh_points[kwh] if kwh < kwh_count else _NO_KWH_LIMIT
            if next_seg >= b and next_dur >= b and next_kwh >= end_kwh:
                window_mask = seg_masks[seg] & dur_masks[dur] & kwh_masks[kwh]
                valid_from = max(seg_starts[seg], origin + dur_points[dur - 1] if dur else -_NEVER)
                valid_until, kwh_until, valid_origin = min(next_seg, next_dur), next_kwh, origin
                slices = ((a, b, cumulative, energy, mask & window_mask),)
            else:
                slices = _cut_period(compiled, a, b, origin, cumulative, energy, mask, seg_starts, seg_masks)
        cumulative = end_kwh

        for start, end, kwh_start, slice_energy, slice_mask in slices:
            if merge and slice_mask == run_mask and code == run_code:
                run_duration += end - start
                run_energy += slice_energy
                continue
            if run_first is not None:
                _book(
                    compiled, sums, records, run_code, run_mask, expired, run_duration, run_energy, run_first
                )
            run_code, run_mask = code, slice_mask
            run_duration, run_energy = end - start, slice_energy
            run_first = (index, kind, start, kwh_start, start - origin, period.current_a, power)
    if run_first is not None:
        _book(compiled, sums, records, run_code, run_mask, expired, run_duration, run_energy, run_first)
    if derived:
        warnings.append(
            PricingWarning(
                "POWER_DERIVED",
                f"{derived} period(s) had no power for the tariff's power restrictions; their average power "
                "(energy / duration) was used",
            )
        )
    return sums, cumulative, None


def _book(
    compiled: CompiledTariff,
    sums: _Sums,
    records: list[RecordTuple] | None,
    code: int,
    mask: int,
    expired: bool,
    duration: int,
    energy: Decimal,
    first: _RunStart,
) -> None:
    """Book a run of slices with one activity and mask: find its components, add its quantities."""
    index, kind, start, kwh_start, elapsed, current, power = first
    found = compiled.matches.get(mask << 3 | code << 1 | expired)
    if found is None:
        found = compiled.resolve(mask, kind, expired)
    time_comp, energy_comp, flat_comp = found
    position = -1 if records is None else len(records)
    sums.used[code] += duration
    if time_comp is not None:
        sums.add_time(code, time_comp, duration)
        sums.last_time[code] = (time_comp, position)
        if code != 2:
            sums.last_session = code
    elif duration > 0:
        sums.unpriced[code] += duration / _US_PER_HOUR
    if code != 2 and (energy or code == 0):
        if energy_comp is not None:
            sums.add_energy(energy_comp, energy)
            sums.last_energy = (energy_comp, position)
        elif energy:
            sums.unpriced[_UNPRICED_ENERGY] += energy
    else:
        energy_comp = None
    phase = 1 if code == 2 else 0
    if flat_comp is not None and sums.flat[phase] is None:
        sums.flat[phase] = flat_comp
    else:
        flat_comp = None
    if records is not None:
        records.append(
            (
                index,
                kind,
                start,
                start + duration,
                energy,
                kwh_start,
                elapsed,
                current,
                power,
                mask,
                energy_comp,
                time_comp,
                flat_comp,
            )
        )


def _dst_warning(kind: str, local: datetime, zone: ZoneInfo) -> PricingWarning:
    resolution = (
        "the restriction boundary takes effect when the clock jumps past it"
        if kind == "skipped"
        else "the boundary is crossed at both occurrences of that wall-clock time"
    )
    return PricingWarning(
        f"DST_{kind.upper()}_TIME",
        f"local time {local:%Y-%m-%d %H:%M} in {zone.key} is {kind} by a DST change during the session; "
        f"{resolution}",
    )


def _cut_period(
    compiled: CompiledTariff,
    a: int,
    b: int,
    origin: int,
    cumulative: Decimal,
    energy: Decimal,
    mask: int,
    seg_starts: list[int],
    seg_masks: list[int],
) -> list[tuple[int, int, Decimal, Decimal, int]]:
    """Slices (start, end, kWh before, energy, mask) of a period that crosses a local-time, duration or kWh
    boundary."""
    dur_points, dur_masks = compiled.duration.breakpoints, compiled.duration.masks
    kwh_points, kwh_masks = compiled.kwh.breakpoints, compiled.kwh.masks
    # The boundaries strictly inside the period; a kWh threshold is crossed where the period's energy,
    # spread evenly over its time, reaches it.
    # (Plain loops: there are rarely more than one or two cuts.)
    cuts: list[tuple[int, Decimal | None]] = []
    for instant in seg_starts[bisect_right(seg_starts, a) : bisect_left(seg_starts, b)]:
        cuts.append((instant, None))
    for point in dur_points[bisect_right(dur_points, a - origin) : bisect_left(dur_points, b - origin)]:
        cuts.append((origin + point, None))
    if energy > 0:
        crossed = kwh_points[
            bisect_right(kwh_points, cumulative) : bisect_left(kwh_points, cumulative + energy)
        ]
        for threshold in crossed:
            cuts.append((a + int((b - a) * (threshold - cumulative) / energy), threshold))
    bounds = _slice_bounds(a, b, cumulative, energy, cuts)
    return [
        (
            start,
            end,
            kwh_start,
            kwh_end - kwh_start,
            mask
            & seg_masks[bisect_right(seg_starts, start) - 1]
            & dur_masks[bisect_right(dur_points, start - origin)]
            & kwh_masks[bisect_right(kwh_points, kwh_start)],
        )
        for (start, kwh_start), (end, kwh_end) in pairwise(bounds)
    ]


def _ordered_periods(
    timeline: Timeline, session_start: int, warnings: list[PricingWarning]
) -> tuple[list[int], list[int], Sequence[Period], int]:
    """Start µs, end µs and the periods themselves, sorted by start, and the latest end.

    Periods usually follow each other inside the session: then every start is the previous end, one
    conversion per period suffices and the checks compare whole lists at once. Anything else is sorted
    and reported by `_checked`. Three lists rather than a tuple per period: the walk zips them, and the
    garbage collector has fewer containers to track.
    """
    periods = timeline.periods
    if not periods:
        return [], [], periods, 0
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
        return starts, ends, periods, ends[-1]
    items = _checked(
        list(zip(starts, ends, periods, range(len(periods)), strict=True)),
        timeline,
        session_start,
        session_end,
        warnings,
    )
    starts = [a for a, _, _, _ in items]
    ends = [b for _, b, _, _ in items]
    return starts, ends, [period for _, _, period, _ in items], max(ends)


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


def _check_validity(tariff: Tariff, timeline: Timeline, warnings: list[PricingWarning]) -> None:
    """A tariff outside its validity window is still priced (the CDR says it applied) but flagged."""
    if tariff.start_date_time is not None and timeline.start < tariff.start_date_time:
        warnings.append(
            PricingWarning(
                "TARIFF_NOT_YET_VALID",
                f"tariff {tariff.id} is valid from {iso(tariff.start_date_time)}, after the session start",
            )
        )
    if tariff.end_date_time is not None and timeline.start >= tariff.end_date_time:
        warnings.append(
            PricingWarning(
                "TARIFF_EXPIRED",
                f"tariff {tariff.id} was valid until {iso(tariff.end_date_time)}, before the session start",
            )
        )


def _slice_bounds(
    a: int, b: int, kwh_a: Decimal, energy: Decimal, cuts: list[tuple[int, Decimal | None]]
) -> list[tuple[int, Decimal]]:
    """(instant, cumulative kWh) at the period's start, each cut and its end; energy spread evenly in time.

    A kWh-threshold cut carries its exact threshold so the element switch happens at exactly that energy;
    the cumulative values never go down, so slice energies are non-negative and add up to the period's.
    """
    span = b - a
    bounds = [(a, kwh_a)]
    if len(cuts) > 1:
        cuts.sort(key=lambda cut: (cut[0], cut[1] is not None, cut[1] or ZERO))
    for at, kwh in cuts:
        if kwh is None:
            # Interpolated energy is kept to the µWh: exact enough for any meter, and short enough that
            # every product with a price stays exact, so a half cent is still a half cent when rounded.
            kwh = kwh_a + (energy * (at - a) / span).quantize(_KWH_RESOLUTION) if span else kwh_a
        kwh = max(kwh, bounds[-1][1])
        if at == bounds[-1][0]:
            bounds[-1] = (at, kwh)
        else:
            bounds.append((at, kwh))
    end = kwh_a + energy
    if bounds[-1][0] == b and len(bounds) > 1:
        bounds[-1] = (b, end)
    else:
        bounds.append((b, end))
    return bounds


def _round_up(quantity: int, step: int) -> int:
    return -(-quantity // step) * step


def _apply_step_sizes(sums: _Sums) -> StepExtras:
    """Round the session totals up to whole steps (digest §8.5); the extra goes to the last priced slice.

    ENERGY is rounded once with the last ENERGY component's step. Of charging time and parking time only
    the phase the session's priced time ended in is rounded, with its last component's step; reservation
    time is rounded on its own. Returns the extras by recorded slice position.
    """
    extras = StepExtras({}, {})
    if sums.last_energy is not None:
        component, position = sums.last_energy
        total = sums.energy
        step = component.component.step_size
        if step > 0 and total > 0:
            unit = KWH_PER_WH * step
            extra = (total / unit).to_integral_value(ROUND_CEILING) * unit - total
            if extra:
                extras.energy[position] = extra
                sums.add_energy(component, extra)
    for code in (sums.last_session, 2):
        last = sums.last_time[code] if code >= 0 else None
        if last is None:
            continue
        component, position = last
        step_us = component.component.step_size * US_PER_SECOND
        total_us = sums.time[code]
        if step_us > 0 and total_us > 0:
            extra_us = _round_up(total_us, step_us) - total_us
            if extra_us:
                extras.time_us[position] = extra_us
                sums.add_time(code, component, extra_us)
    return extras


def _warn_unpriced(compiled: CompiledTariff, sums: _Sums, warnings: list[PricingWarning]) -> None:
    if not any(sums.unpriced):
        return
    dimensions = (Dimension.TIME, Dimension.PARKING_TIME, Dimension.TIME, Dimension.ENERGY)
    for label, dimension, quantity in zip(_UNPRICED_LABELS, dimensions, sums.unpriced, strict=True):
        if not quantity:
            continue
        unit = "kWh" if dimension is Dimension.ENERGY else "h"
        amount = f"{quantity.quantize(Decimal('0.0001')).normalize():f} {unit} of {label}"
        if not compiled.dimension_masks[dimension]:
            message = f"the tariff has no {dimension.value} price: {amount} cost nothing"
        else:
            message = f"no element with a {dimension.value} price applied to {amount}; it costs nothing"
        warnings.append(PricingWarning("UNPRICED_DIMENSION", message))


def _hours(us: int) -> Decimal:
    """Microseconds as hours; exactly `ZERO` when nothing was used, which needs no division."""
    return us / _US_PER_HOUR if us else ZERO


def _price(excl: Decimal, incl: Decimal) -> Price:
    """A sub-total; the shared empty price when nothing was booked into it (both still the initial ZERO)."""
    return _FREE if excl is ZERO and incl is ZERO else Price(excl, incl)


def _totals(compiled: CompiledTariff, sums: _Sums, total_energy: Decimal) -> tuple[Totals, tuple[str, ...]]:
    energy_excl, energy_incl = sums.energy_excl, sums.energy_incl
    time_excl, parking_excl, reservation_excl = [v / _US_PER_HOUR if v else ZERO for v in sums.time_excl]
    time_incl, parking_incl, reservation_incl = [v / _US_PER_HOUR if v else ZERO for v in sums.time_incl]
    fixed = sums.flat[0]
    fixed_excl, fixed_incl = (fixed.unit_excl, fixed.unit_incl) if fixed is not None else (ZERO, ZERO)
    reservation_flat = sums.flat[1]
    if reservation_flat is not None:
        reservation_excl += reservation_flat.unit_excl
        reservation_incl += reservation_flat.unit_incl
    excl = fixed_excl + energy_excl + time_excl + parking_excl + reservation_excl
    incl = fixed_incl + energy_incl + time_incl + parking_incl + reservation_incl
    clamped: list[str] = []
    tariff = compiled.tariff
    if tariff.min_price is not None:
        excl, incl = _clamp(excl, incl, tariff.min_price, raise_to=True, clamped=clamped)
    if tariff.max_price is not None:
        excl, incl = _clamp(excl, incl, tariff.max_price, raise_to=False, clamped=clamped)
    charging_us, parking_us, reservation_us = sums.used
    return (
        Totals(
            total_cost=Price(excl, incl),
            total_fixed_cost=_price(fixed_excl, fixed_incl),
            total_energy=total_energy,
            total_energy_cost=_price(energy_excl, energy_incl),
            total_time=_hours(charging_us + parking_us),
            total_time_cost=_price(time_excl, time_incl),
            total_parking_time=_hours(parking_us),
            total_parking_cost=_price(parking_excl, parking_incl),
            total_reservation_time=_hours(reservation_us),
            total_reservation_cost=_price(reservation_excl, reservation_incl),
        ),
        tuple(clamped),
    )


def _clamp(
    excl: Decimal, incl: Decimal, bound: Price, *, raise_to: bool, clamped: list[str]
) -> tuple[Decimal, Decimal]:
    """Apply one bound to the excl- and incl-VAT totals independently (an absent incl bound is skipped)."""
    name = "min_price" if raise_to else "max_price"

    def beyond(value: Decimal, limit: Decimal) -> bool:
        return value < limit if raise_to else value > limit

    if beyond(excl, bound.excl_vat):
        excl = bound.excl_vat
        clamped.append(f"{name}.excl_vat")
    if bound.incl_vat is not None and beyond(incl, bound.incl_vat):
        incl = bound.incl_vat
        clamped.append(f"{name}.incl_vat")
    return excl, incl


def _rounded(exact: Totals, rounding: MoneyRounding) -> Totals:
    quantum, mode = rounding.quantum, rounding.mode
    if quantum is None:
        return exact
    zero = _rounded_zero(quantum)

    def money(price: Price) -> Price:
        excl, incl = price
        if not excl and incl is not None and not incl:
            return zero
        return Price(excl.quantize(quantum, mode), None if incl is None else incl.quantize(quantum, mode))

    # In field order; positional because a dozen keyword arguments cost more than the rounding itself.
    return Totals(
        money(exact.total_cost),
        money(exact.total_fixed_cost),
        exact.total_energy,
        money(exact.total_energy_cost),
        exact.total_time,
        money(exact.total_time_cost),
        exact.total_parking_time,
        money(exact.total_parking_cost),
        exact.total_reservation_time,
        money(exact.total_reservation_cost),
    )


@cache
def _rounded_zero(quantum: Decimal) -> Price:
    """Nothing, as a rounded amount: most sessions have several empty sub-totals."""
    return Price(ZERO.quantize(quantum), ZERO.quantize(quantum))
