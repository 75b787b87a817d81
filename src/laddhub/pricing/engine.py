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

from bisect import bisect_right
from decimal import ROUND_CEILING, Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

from laddhub.pricing.compiled import CompiledComponent, CompiledTariff, compile_tariff
from laddhub.pricing.diagnostics import PricingWarning
from laddhub.pricing.result import KWH_PER_WH, PricingResult, SliceRecord, Totals
from laddhub.pricing.rounding import CENTS_HALF_UP, MoneyRounding
from laddhub.pricing.tariff import ZERO, Dimension, Price, Tariff
from laddhub.pricing.timeline import (
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
_KIND_LABEL = {_CHARGING: "charging", _PARKING: "parking", _RESERVATION: "reservation"}


def _first(
    mask: int, priorities: tuple[int, ...], row: tuple[CompiledComponent | None, ...]
) -> CompiledComponent | None:
    """The component of the first element (in priority, then list order) whose bit is set in `mask`."""
    for priority in priorities:
        candidates = mask & priority
        if candidates:
            return row[(candidates & -candidates).bit_length() - 1]
    return None


class _Sums:
    """Priced quantities per element, per cost category, accumulated while walking the slices."""

    __slots__ = (
        "energy",
        "flat",
        "last_energy",
        "last_session_time",
        "last_time",
        "time",
        "unpriced",
        "used",
    )

    def __init__(self) -> None:
        self.energy: dict[int, Decimal] = {}
        self.time: dict[PeriodKind, dict[int, int]] = {_CHARGING: {}, _PARKING: {}, _RESERVATION: {}}
        self.flat: dict[bool, CompiledComponent] = {}
        self.last_energy: SliceRecord | None = None
        self.last_time: dict[PeriodKind, SliceRecord] = {}
        self.last_session_time: SliceRecord | None = None
        self.unpriced: dict[str, Decimal] = {}
        self.used: dict[PeriodKind, int] = {_CHARGING: 0, _PARKING: 0, _RESERVATION: 0}


def price_timeline(
    tariff: Tariff | CompiledTariff,
    timeline: Timeline,
    zone: ZoneInfo,
    *,
    rounding: MoneyRounding = CENTS_HALF_UP,
) -> PricingResult:
    """Price a session under a tariff in the Location's time zone.

    Pass a `CompiledTariff` when pricing many sessions with one tariff: compiling builds the restriction
    masks and caches local days, which is most of the work for short sessions. Suspicious input (periods
    out of order or outside the session, negative energy, unpriced dimensions, DST-affected boundaries) is
    reported in `warnings` and priced as documented, never raised.
    """
    compiled = tariff if isinstance(tariff, CompiledTariff) else compile_tariff(tariff)
    warnings: list[PricingWarning] = []
    items = _ordered_periods(timeline, warnings)
    _check_validity(compiled.tariff, timeline, warnings)

    session_start = to_us(timeline.start)
    charging_origin = next((a for a, _, p, _ in items if p.kind is not _RESERVATION), session_start)
    if items:
        first_us = min(items[0][0], session_start)
        last_us = max(max(b for _, b, _, _ in items), first_us + 1)
    else:
        first_us, last_us = session_start, session_start + 1
    if compiled.has_local_time:
        seg_starts, seg_masks, notes = compiled.segments(zone, first_us, last_us)
        for note in notes:
            resolution = (
                "the restriction boundary takes effect when the clock jumps past it"
                if note.kind == "skipped"
                else "the boundary is crossed at both occurrences of that wall-clock time"
            )
            warnings.append(
                PricingWarning(
                    f"DST_{note.kind.upper()}_TIME",
                    f"local time {note.local:%Y-%m-%d %H:%M} in {zone.key} is {note.kind} by a DST change "
                    f"during the session; {resolution}",
                )
            )
    else:
        seg_starts, seg_masks = [first_us], [compiled.all_mask]

    sums = _Sums()
    records: list[SliceRecord] = []
    components = compiled.components
    energy_row = components[Dimension.ENERGY]
    time_row = components[Dimension.TIME]
    parking_row = components[Dimension.PARKING_TIME]
    flat_row = components[Dimension.FLAT]
    energy_mask = compiled.dimension_masks[Dimension.ENERGY]
    time_mask = compiled.dimension_masks[Dimension.TIME]
    parking_mask = compiled.dimension_masks[Dimension.PARKING_TIME]
    flat_mask = compiled.dimension_masks[Dimension.FLAT]
    expired = timeline.reservation_expired
    has_duration, has_kwh = compiled.has_duration, compiled.has_kwh
    duration_points = [p for p in compiled.duration.breakpoints if p > 0]
    kwh_points = compiled.kwh.breakpoints
    cumulative = ZERO
    total_energy = ZERO

    for index, (a, b, period, _) in enumerate(items):
        kind = period.kind
        energy = period.energy_kwh
        if energy < 0:
            warnings.append(
                PricingWarning(
                    "ENERGY_DECREASING",
                    f"period {index} reports {energy} kWh (energy going down); it is billed as 0 kWh",
                )
            )
            energy = ZERO
        if kind is _RESERVATION:
            origin = session_start
            energy = ZERO
        else:
            origin = charging_origin
            total_energy += energy
        base_mask = compiled.all_mask
        if compiled.has_current:
            current = period.current_a
            base_mask &= compiled.current_unknown if current is None else compiled.current.at(current)
        if compiled.has_power:
            power = period.power_kw
            base_mask &= compiled.power_unknown if power is None else compiled.power.at(power)
        priorities = compiled.priorities[(kind, expired)]

        cuts: list[tuple[int, Decimal | None]] = []
        if len(seg_starts) > 1:
            j = bisect_right(seg_starts, a)
            while j < len(seg_starts) and seg_starts[j] < b:
                cuts.append((seg_starts[j], None))
                j += 1
        if has_duration:
            cuts.extend((origin + point, None) for point in duration_points if a < origin + point < b)
        if has_kwh and energy > 0:
            end_kwh = cumulative + energy
            for threshold in kwh_points:
                if cumulative < threshold < end_kwh:
                    at = a + int((b - a) * (threshold - cumulative) / energy)
                    cuts.append((at, threshold))

        if cuts:
            bounds = _slice_bounds(a, b, cumulative, energy, cuts)
        else:
            bounds = [(a, cumulative), (b, cumulative + energy)]
        for (start, kwh_start), (end, kwh_end) in pairwise(bounds):
            mask = base_mask & seg_masks[bisect_right(seg_starts, start) - 1]
            elapsed = start - origin
            if has_duration:
                mask &= compiled.duration.at(elapsed)
            if has_kwh:
                mask &= compiled.kwh.at(kwh_start)
            slice_energy = kwh_end - kwh_start
            record = SliceRecord(
                index,
                kind,
                start,
                end,
                slice_energy,
                kwh_start,
                elapsed,
                period.current_a,
                period.power_kw,
                mask,
            )
            records.append(record)
            duration = end - start
            sums.used[kind] += duration
            is_reservation = kind is _RESERVATION
            if kind is _PARKING:
                time_comp = _first(mask & parking_mask, priorities, parking_row)
            else:
                time_comp = _first(mask & time_mask, priorities, time_row)
            if time_comp is not None:
                record.time_comp = time_comp
                group = sums.time[kind]
                group[time_comp.element_index] = group.get(time_comp.element_index, 0) + duration
                sums.last_time[kind] = record
                if not is_reservation:
                    sums.last_session_time = record
            elif duration > 0:
                label = _KIND_LABEL[kind]
                sums.unpriced[label] = sums.unpriced.get(label, ZERO) + Decimal(duration) / US_PER_HOUR
            if not is_reservation and (slice_energy or kind is _CHARGING):
                energy_comp = _first(mask & energy_mask, priorities, energy_row)
                if energy_comp is not None:
                    record.energy_comp = energy_comp
                    sums.energy[energy_comp.element_index] = (
                        sums.energy.get(energy_comp.element_index, ZERO) + slice_energy
                    )
                    sums.last_energy = record
                elif slice_energy:
                    sums.unpriced["energy"] = sums.unpriced.get("energy", ZERO) + slice_energy
            if is_reservation not in sums.flat:
                flat_comp = _first(mask & flat_mask, priorities, flat_row)
                if flat_comp is not None:
                    record.flat_comp = flat_comp
                    sums.flat[is_reservation] = flat_comp
        cumulative += energy

    _apply_step_sizes(sums)
    _warn_unpriced(compiled, sums, warnings)
    exact, clamped = _totals(compiled, sums, total_energy)
    return PricingResult(
        tariff_id=compiled.tariff.id,
        currency=compiled.tariff.currency,
        totals=_rounded(exact, rounding),
        exact_totals=exact,
        warnings=tuple(warnings),
        clamped=clamped,
        records=records,
        compiled=compiled,
        zone=zone,
        reservation_expired=expired,
    )


def _ordered_periods(
    timeline: Timeline, warnings: list[PricingWarning]
) -> list[tuple[int, int, Period, int]]:
    """Periods as (start µs, end µs, period, input index), sorted by start, with warnings for oddities."""
    items = [(to_us(p.start), to_us(p.end), p, i) for i, p in enumerate(timeline.periods)]
    if any(later[0] < earlier[0] for earlier, later in pairwise(items)):
        warnings.append(
            PricingWarning(
                "PERIODS_OUT_OF_ORDER", "periods are not in time order; they were priced sorted by start"
            )
        )
        items.sort(key=lambda item: item[0])
    session_start, session_end = to_us(timeline.start), to_us(timeline.end)
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
    for at, kwh in sorted(cuts, key=lambda cut: (cut[0], cut[1] is not None, cut[1] or ZERO)):
        if kwh is None:
            kwh = kwh_a + energy * (at - a) / span if span else kwh_a
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


def _apply_step_sizes(sums: _Sums) -> None:
    """Round the session totals up to whole steps (digest §8.5); the extra goes to the last priced slice."""
    last = sums.last_energy
    if last is not None and last.energy_comp is not None:
        total = sum(sums.energy.values(), ZERO)
        step = last.energy_comp.component.step_size
        if step > 0 and total > 0:
            unit = KWH_PER_WH * step
            extra = (total / unit).to_integral_value(rounding=ROUND_CEILING) * unit - total
            if extra:
                last.energy_extra = extra
                index = last.energy_comp.element_index
                sums.energy[index] += extra
    for record in (sums.last_session_time, sums.last_time.get(_RESERVATION)):
        if record is None or record.time_comp is None:
            continue
        group = sums.time[record.kind]
        step_us = record.time_comp.component.step_size * US_PER_SECOND
        total_us = sum(group.values())
        if step_us > 0 and total_us > 0:
            extra_us = _round_up(total_us, step_us) - total_us
            if extra_us:
                record.time_extra_us = extra_us
                group[record.time_comp.element_index] += extra_us


def _warn_unpriced(compiled: CompiledTariff, sums: _Sums, warnings: list[PricingWarning]) -> None:
    dimension_of = {
        "energy": Dimension.ENERGY,
        "charging": Dimension.TIME,
        "parking": Dimension.PARKING_TIME,
        "reservation": Dimension.TIME,
    }
    for label, quantity in sums.unpriced.items():
        dimension = dimension_of[label]
        unit = "kWh" if label == "energy" else "h"
        amount = f"{quantity.normalize():f} {unit} of {label}"
        if not compiled.dimension_masks[dimension]:
            message = f"the tariff has no {dimension.value} price: {amount} cost nothing"
        else:
            message = f"no element with a {dimension.value} price applied to {amount}; it costs nothing"
        warnings.append(PricingWarning("UNPRICED_DIMENSION", message))


def _time_cost(
    compiled: CompiledTariff, dimension: Dimension, group: dict[int, int]
) -> tuple[Decimal, Decimal]:
    row = compiled.components[dimension]
    excl = incl = ZERO
    for index, us in group.items():
        component = row[index]
        if component is not None:
            excl += us * component.unit_excl
            incl += us * component.unit_incl
    return excl / US_PER_HOUR, incl / US_PER_HOUR


def _totals(compiled: CompiledTariff, sums: _Sums, total_energy: Decimal) -> tuple[Totals, tuple[str, ...]]:
    energy_row = compiled.components[Dimension.ENERGY]
    energy_excl = energy_incl = ZERO
    for index, kwh in sums.energy.items():
        component = energy_row[index]
        if component is not None:
            energy_excl += kwh * component.unit_excl
            energy_incl += kwh * component.unit_incl
    time_excl, time_incl = _time_cost(compiled, Dimension.TIME, sums.time[_CHARGING])
    parking_excl, parking_incl = _time_cost(compiled, Dimension.PARKING_TIME, sums.time[_PARKING])
    reservation_excl, reservation_incl = _time_cost(compiled, Dimension.TIME, sums.time[_RESERVATION])
    fixed = sums.flat.get(False)
    fixed_excl, fixed_incl = (fixed.unit_excl, fixed.unit_incl) if fixed is not None else (ZERO, ZERO)
    reservation_flat = sums.flat.get(True)
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
    return (
        Totals(
            total_cost=Price(excl, incl),
            total_fixed_cost=Price(fixed_excl, fixed_incl),
            total_energy=total_energy,
            total_energy_cost=Price(energy_excl, energy_incl),
            total_time=Decimal(sums.used[_CHARGING] + sums.used[_PARKING]) / US_PER_HOUR,
            total_time_cost=Price(time_excl, time_incl),
            total_parking_time=Decimal(sums.used[_PARKING]) / US_PER_HOUR,
            total_parking_cost=Price(parking_excl, parking_incl),
            total_reservation_time=Decimal(sums.used[_RESERVATION]) / US_PER_HOUR,
            total_reservation_cost=Price(reservation_excl, reservation_incl),
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
    def money(price: Price) -> Price:
        incl = price.incl_vat
        return Price(rounding.apply(price.excl_vat), None if incl is None else rounding.apply(incl))

    return Totals(
        total_cost=money(exact.total_cost),
        total_fixed_cost=money(exact.total_fixed_cost),
        total_energy=exact.total_energy,
        total_energy_cost=money(exact.total_energy_cost),
        total_time=exact.total_time,
        total_time_cost=money(exact.total_time_cost),
        total_parking_time=exact.total_parking_time,
        total_parking_cost=money(exact.total_parking_cost),
        total_reservation_time=exact.total_reservation_time,
        total_reservation_cost=money(exact.total_reservation_cost),
    )
