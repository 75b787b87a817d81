"""A tariff compiled once into bit masks, so that matching a moment costs a few integer operations.

Element *i* is bit *i*. For every restriction family the compiled tariff knows the thresholds where any
element's truth value can change, and the mask of elements that hold between two thresholds; matching a
moment ANDs one mask per family and takes the lowest set bit among the elements that have the wanted
dimension (the spec's first-match rule). Local-time restrictions become, per local day and time zone, a short
list of UTC instants with masks, computed with the zone's real offsets (DST-aware) and cached.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from laddhub.pricing.restrictions import (
    US_PER_DAY,
    current_ok,
    date_ok,
    duration_ok,
    end_of_window_us,
    kwh_ok,
    power_ok,
    time_of_day_ok,
    time_of_day_us,
    weekday_ok,
)
from laddhub.pricing.tariff import (
    HUNDRED,
    Dimension,
    PriceComponent,
    ReservationKind,
    Restrictions,
    Tariff,
    TaxIncluded,
)
from laddhub.pricing.timeline import US_PER_SECOND, PeriodKind, from_us, to_us

T = TypeVar("T", int, Decimal)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class CompiledComponent:
    """A price component with its per-unit prices excl. and incl. VAT worked out once."""

    element_index: int
    component: PriceComponent
    unit_excl: Decimal
    unit_incl: Decimal


Match = tuple[CompiledComponent | None, CompiledComponent | None, CompiledComponent | None]


@dataclass(frozen=True, slots=True)
class ThresholdMasks(Generic[T]):
    """Masks of the elements that hold on each interval between sorted thresholds of one quantity."""

    breakpoints: tuple[T, ...]
    masks: tuple[int, ...]

    def at(self, value: T) -> int:
        """Mask of the elements whose restriction of this family holds at `value`."""
        return self.masks[bisect_right(self.breakpoints, value)]


@dataclass(frozen=True, slots=True)
class DstNote:
    """A restriction boundary that a DST change made skipped or ambiguous on one local day."""

    kind: str
    local: datetime
    transition_us: int


@dataclass(frozen=True, slots=True)
class DaySegments:
    """Local-time masks of one local day: `masks[i]` holds from `starts[i]` (UTC µs) to the next start."""

    day_start_us: int
    day_end_us: int
    starts: tuple[int, ...]
    masks: tuple[int, ...]
    notes: tuple[DstNote, ...]


def _mask(flags: Iterable[bool]) -> int:
    """Bit i set where the i-th flag is true."""
    return sum(1 << i for i, flag in enumerate(flags) if flag)


def _threshold_masks(
    restrictions: tuple[Restrictions, ...],
    points: list[T],
    lowest: T,
    holds: Callable[[Restrictions, T], bool],
) -> ThresholdMasks[T]:
    """Masks per interval of sorted `points`; `lowest` is any value under them (the first interval)."""
    representatives = [lowest]
    representatives.extend(points)
    masks = tuple(_mask(holds(r, value) for r in restrictions) for value in representatives)
    return ThresholdMasks(tuple(points), masks)


def _decimal_masks(
    restrictions: tuple[Restrictions, ...],
    thresholds: Iterable[Decimal | None],
    holds: Callable[[Restrictions, Decimal], bool],
) -> ThresholdMasks[Decimal]:
    points = sorted({value for value in thresholds if value is not None})
    return _threshold_masks(restrictions, points, points[0] - _ONE if points else _ONE, holds)


def _unit_prices(component: PriceComponent, tax_included: TaxIncluded) -> tuple[Decimal, Decimal]:
    factor = _ONE + component.vat / HUNDRED if component.vat is not None else _ONE
    if tax_included is TaxIncluded.YES:
        return component.price / factor, component.price
    if tax_included is TaxIncluded.NOT_APPLICABLE:
        return component.price, component.price
    return component.price, component.price * factor


def _offset_us(zone: ZoneInfo, instant_us: int) -> int:
    offset = from_us(instant_us).astimezone(zone).utcoffset()
    return 0 if offset is None else offset // timedelta(microseconds=1)


class CompiledTariff:
    """A tariff prepared for pricing many sessions: masks per restriction family, cached local days."""

    def __init__(self, tariff: Tariff) -> None:
        self.tariff = tariff
        elements = tariff.elements
        restrictions = tuple(element.restrictions for element in elements)
        self.restrictions = restrictions
        self.all_mask = (1 << len(elements)) - 1
        self.components: dict[Dimension, tuple[CompiledComponent | None, ...]] = {}
        self.dimension_masks: dict[Dimension, int] = {}
        for dimension in Dimension:
            row: list[CompiledComponent | None] = []
            for index, element in enumerate(elements):
                component = element.component(dimension)
                if component is None:
                    row.append(None)
                    continue
                excl, incl = _unit_prices(component, tariff.tax_included)
                row.append(CompiledComponent(index, component, excl, incl))
            self.components[dimension] = tuple(row)
            self.dimension_masks[dimension] = sum(1 << i for i, c in enumerate(row) if c is not None)

        plain = sum(1 << i for i, r in enumerate(restrictions) if r.reservation is None)
        booked = sum(
            1 << i for i, r in enumerate(restrictions) if r.reservation is ReservationKind.RESERVATION
        )
        expires = sum(
            1 << i for i, r in enumerate(restrictions) if r.reservation is ReservationKind.RESERVATION_EXPIRES
        )
        # Priority masks per activity: an expired reservation tries RESERVATION_EXPIRES elements first (the
        # spec says their TIME prices an expired reservation) and falls back to RESERVATION elements.
        self.priorities: dict[tuple[PeriodKind, bool], tuple[int, ...]] = {
            (PeriodKind.CHARGING, False): (plain,),
            (PeriodKind.CHARGING, True): (plain,),
            (PeriodKind.PARKING, False): (plain,),
            (PeriodKind.PARKING, True): (plain,),
            (PeriodKind.RESERVATION, False): (booked,),
            (PeriodKind.RESERVATION, True): (expires, booked),
        }

        self.kwh = _decimal_masks(
            restrictions, (v for r in restrictions for v in (r.min_kwh, r.max_kwh)), kwh_ok
        )
        self.current = _decimal_masks(
            restrictions, (v for r in restrictions for v in (r.min_current, r.max_current)), current_ok
        )
        self.power = _decimal_masks(
            restrictions, (v for r in restrictions for v in (r.min_power, r.max_power)), power_ok
        )
        seconds = {v for r in restrictions for v in (r.min_duration, r.max_duration) if v is not None}
        duration_points = sorted(v * US_PER_SECOND for v in seconds)
        self.duration = _threshold_masks(
            restrictions, duration_points, duration_points[0] - 1 if duration_points else 0, duration_ok
        )
        self.current_unknown = sum(1 << i for i, r in enumerate(restrictions) if current_ok(r, None))
        self.power_unknown = sum(1 << i for i, r in enumerate(restrictions) if power_ok(r, None))
        self.has_kwh = bool(self.kwh.breakpoints)
        self.has_duration = bool(self.duration.breakpoints)
        self.has_current = bool(self.current.breakpoints)
        self.has_power = bool(self.power.breakpoints)

        self.has_local_time = any(r.has_local_time for r in restrictions)
        bounds = {0}
        for r in restrictions:
            if r.start_time is not None:
                bounds.add(time_of_day_us(r.start_time))
            if r.end_time is not None:
                bounds.add(end_of_window_us(r.end_time) % US_PER_DAY)
        self._bounds = tuple(sorted(bounds))
        self._days: dict[tuple[ZoneInfo, int], DaySegments] = {}
        self._joined: dict[tuple[ZoneInfo, int, int], tuple[list[int], list[int], list[DstNote]]] = {}
        # (mask << 3 | activity << 1 | expired) -> (time-like, energy, flat) components; see `resolve`.
        self.matches: dict[int, Match] = {}

    def resolve(self, mask: int, kind: PeriodKind, expired: bool) -> Match:
        """The TIME (or PARKING_TIME), ENERGY and FLAT components that apply under `mask`, memoised.

        For each dimension this is the first element, in priority then list order, whose bit is set: the
        spec's first-match rule. Few distinct masks occur, so after warm-up this is one dict lookup.
        """
        priorities = self.priorities[(kind, expired)]
        time_dimension = Dimension.PARKING_TIME if kind is PeriodKind.PARKING else Dimension.TIME
        found = (
            self._first(mask, priorities, time_dimension),
            self._first(mask, priorities, Dimension.ENERGY),
            self._first(mask, priorities, Dimension.FLAT),
        )
        code = 0 if kind is PeriodKind.CHARGING else 1 if kind is PeriodKind.PARKING else 2
        self.matches[mask << 3 | code << 1 | expired] = found
        return found

    def _first(
        self, mask: int, priorities: tuple[int, ...], dimension: Dimension
    ) -> CompiledComponent | None:
        row = self.components[dimension]
        for priority in priorities:
            candidates = mask & priority & self.dimension_masks[dimension]
            if candidates:
                return row[(candidates & -candidates).bit_length() - 1]
        return None

    def local_mask(self, local_date: date, of_day_us: int) -> int:
        """Mask of the elements whose time, date and weekday restrictions hold at this wall-clock moment."""
        return sum(
            1 << i
            for i, r in enumerate(self.restrictions)
            if time_of_day_ok(r, of_day_us) and date_ok(r, local_date) and weekday_ok(r, local_date)
        )

    def day(self, zone: ZoneInfo, ordinal: int) -> DaySegments:
        """The local-time segments of local day `ordinal` in `zone`, computed once and then cached."""
        key = (zone, ordinal)
        cached = self._days.get(key)
        if cached is None:
            cached = self._build_day(zone, ordinal)
            self._days[key] = cached
        return cached

    def _build_day(self, zone: ZoneInfo, ordinal: int) -> DaySegments:
        local_date = date.fromordinal(ordinal)
        day_start = to_us(datetime.combine(local_date, time(0), tzinfo=zone))
        day_end = to_us(datetime.combine(date.fromordinal(ordinal + 1), time(0), tzinfo=zone))
        naive_midnight = (ordinal - _EPOCH_ORDINAL) * US_PER_DAY
        before = _offset_us(zone, day_start)
        after = _offset_us(zone, day_end - 1)
        notes: list[DstNote] = []
        if before == after:
            transition = day_end
            instants = {naive_midnight + bound - before for bound in self._bounds}
        else:
            transition = self._find_transition(zone, day_start, day_end, after)
            instants = {transition}
            for bound in self._bounds:
                first = naive_midnight + bound - before
                second = naive_midnight + bound - after
                # A wall-clock time exists before the change with the old offset, after it with the new.
                valid = [i for i in (first,) if day_start <= i < transition]
                valid += [i for i in (second,) if transition <= i < day_end]
                instants.update(valid)
                local = datetime.combine(local_date, time(0)) + timedelta(microseconds=bound)
                if not valid:
                    notes.append(DstNote("skipped", local, transition))
                elif len(valid) == 2:
                    notes.append(DstNote("ambiguous", local, transition))
        starts: list[int] = []
        masks: list[int] = []
        for instant in sorted(i for i in instants if day_start <= i < day_end) or [day_start]:
            wall = instant + (before if instant < transition else after)
            mask = self.local_mask(date.fromordinal(wall // US_PER_DAY + _EPOCH_ORDINAL), wall % US_PER_DAY)
            if masks and masks[-1] == mask:
                continue
            starts.append(instant)
            masks.append(mask)
        if starts[0] != day_start:
            starts[0] = day_start
        return DaySegments(day_start, day_end, tuple(starts), tuple(masks), tuple(notes))

    @staticmethod
    def _find_transition(zone: ZoneInfo, low: int, high: int, after: int) -> int:
        """The first instant in [low, high) whose UTC offset is `after` (bisection to the microsecond)."""
        while high - low > 1:
            middle = (low + high) // 2
            if _offset_us(zone, middle) == after:
                high = middle
            else:
                low = middle
        return high

    def local_ordinal(self, zone: ZoneInfo, instant_us: int) -> int:
        """The local date (ordinal) of an instant, from the cached day bounds instead of a zone lookup."""
        ordinal = instant_us // US_PER_DAY + _EPOCH_ORDINAL
        while True:
            day = self.day(zone, ordinal)
            if instant_us < day.day_start_us:
                ordinal -= 1
            elif instant_us >= day.day_end_us:
                ordinal += 1
            else:
                return ordinal

    def segments(
        self, zone: ZoneInfo, start_us: int, end_us: int
    ) -> tuple[list[int], list[int], list[DstNote]]:
        """Local-time masks over at least [start_us, end_us]: UTC start instants, masks, and the DST notes of
        transitions in [start_us, end_us).

        `end_us` itself is covered because a period of no duration at the very end is priced at that
        instant. The masks are joined for whole UTC days, so that the cache key is two integer divisions
        away and the local days are found without a zone or day lookup. Covering more than the session
        changes nothing for it, since a mask holds from its start instant whatever comes before.
        """
        first_day = start_us // US_PER_DAY
        last_day = max(end_us, start_us) // US_PER_DAY
        key = (zone, first_day, last_day)
        joined = self._joined.get(key)
        if joined is None:
            joined = self._join_days(
                zone,
                self.local_ordinal(zone, first_day * US_PER_DAY),
                self.local_ordinal(zone, (last_day + 1) * US_PER_DAY - 1),
            )
            self._joined[key] = joined
        starts, masks, all_notes = joined
        notes = [n for n in all_notes if start_us <= n.transition_us < end_us] if all_notes else []
        return starts, masks, notes

    def _join_days(self, zone: ZoneInfo, first: int, last: int) -> tuple[list[int], list[int], list[DstNote]]:
        """The segments of local days `first` to `last` in one list, equal neighbouring masks merged."""
        starts: list[int] = []
        masks: list[int] = []
        notes: list[DstNote] = []
        for ordinal in range(first, last + 1):
            day = self.day(zone, ordinal)
            for instant, mask in zip(day.starts, day.masks, strict=True):
                if masks and masks[-1] == mask:
                    continue
                starts.append(instant)
                masks.append(mask)
            notes.extend(day.notes)
        return starts, masks, notes


def compile_tariff(tariff: Tariff) -> CompiledTariff:
    """Prepare `tariff` for pricing; do it once per tariff and reuse the result for every session."""
    return CompiledTariff(tariff)
