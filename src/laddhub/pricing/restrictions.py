"""Restriction predicates, one per OCPI restriction field, and the reasons an element does not apply.

These are the readable definitions of each restriction. `compile_tariff` evaluates exactly these functions
once per threshold interval to build its bit masks, and the explanation calls them again to say *why* an
element was passed over, so the fast path and the audit trail cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from laddhub.pricing.tariff import ReservationKind, Restrictions
from laddhub.pricing.timeline import US_PER_SECOND, PeriodKind

US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_DAY = 1440 * US_PER_MINUTE


def time_of_day_us(moment: time) -> int:
    """Microseconds since local midnight of a wall-clock time."""
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * US_PER_SECOND + moment.microsecond


def end_of_window_us(end: time) -> int:
    """An `end_time` as microseconds of day; 00:00 means the end of the day (the spec's advice)."""
    value = time_of_day_us(end)
    return value if value else US_PER_DAY


def time_of_day_ok(r: Restrictions, of_day_us: int) -> bool:
    """start_time/end_time: [start, end) in local time, wrapping past midnight when end < start.

    Only a start means "until midnight"; only an end means "from midnight". Equal non-midnight start and
    end describe an empty window (the linter warns about it).
    """
    if r.start_time is None and r.end_time is None:
        return True
    start = time_of_day_us(r.start_time) if r.start_time is not None else 0
    end = end_of_window_us(r.end_time) if r.end_time is not None else US_PER_DAY
    if start < end:
        return start <= of_day_us < end
    if start > end:
        return of_day_us >= start or of_day_us < end
    return False


def date_ok(r: Restrictions, local_date: date) -> bool:
    """start_date inclusive, end_date exclusive, both local dates."""
    if r.start_date is not None and local_date < r.start_date:
        return False
    return r.end_date is None or local_date < r.end_date


def weekday_ok(r: Restrictions, local_date: date) -> bool:
    """day_of_week: the local day of the moment being priced (not of the session start)."""
    return not r.day_of_week or local_date.weekday() in r.day_of_week


def kwh_ok(r: Restrictions, kwh: Decimal) -> bool:
    """min_kwh inclusive, max_kwh exclusive, on the energy consumed so far in the session."""
    if r.min_kwh is not None and kwh < r.min_kwh:
        return False
    return r.max_kwh is None or kwh < r.max_kwh


def current_ok(r: Restrictions, current: Decimal | None) -> bool:
    """min_current inclusive, max_current exclusive, on the present current; unknown fails both."""
    if r.min_current is None and r.max_current is None:
        return True
    if current is None:
        return False
    if r.min_current is not None and current < r.min_current:
        return False
    return r.max_current is None or current < r.max_current


def power_ok(r: Restrictions, power: Decimal | None) -> bool:
    """min_power inclusive, max_power exclusive, on the present power; unknown fails both."""
    if r.min_power is None and r.max_power is None:
        return True
    if power is None:
        return False
    if r.min_power is not None and power < r.min_power:
        return False
    return r.max_power is None or power < r.max_power


def duration_ok(r: Restrictions, elapsed_us: int) -> bool:
    """min_duration inclusive, max_duration exclusive, on the time since the session started."""
    if r.min_duration is not None and elapsed_us < r.min_duration * US_PER_SECOND:
        return False
    return r.max_duration is None or elapsed_us < r.max_duration * US_PER_SECOND


def reservation_ok(r: Restrictions, kind: PeriodKind, expired: bool) -> bool:
    """Reservation elements price only reservation time; the others never do (see docs/pricing.md).

    An expired reservation is still a reservation, so RESERVATION elements apply to it as well; the
    matcher tries the RESERVATION_EXPIRES elements first.
    """
    if kind is not PeriodKind.RESERVATION:
        return r.reservation is None
    if r.reservation is ReservationKind.RESERVATION:
        return True
    return expired and r.reservation is ReservationKind.RESERVATION_EXPIRES


@dataclass(frozen=True, slots=True)
class MatchContext:
    """Everything a restriction can look at, for one moment of a session."""

    local: datetime
    elapsed_us: int
    kwh: Decimal
    current_a: Decimal | None
    power_kw: Decimal | None
    kind: PeriodKind
    reservation_expired: bool = False


def _hhmm(moment: time | None) -> str:
    return moment.strftime("%H:%M") if moment is not None else "--:--"


def _bound_reasons(
    name: str, minimum: Decimal | None, maximum: Decimal | None, value: Decimal | None, what: str, unit: str
) -> list[str]:
    """Reasons a min (inclusive) / max (exclusive) pair fails for `value`, naming the bound that failed."""
    if minimum is None and maximum is None:
        return []
    if value is None:
        return [f"min_{name}/max_{name}: {what} is unknown"]
    reasons = []
    if minimum is not None and value < minimum:
        reasons.append(f"min_{name} {minimum}: {what} {value.normalize():f} {unit} is below it")
    if maximum is not None and value >= maximum:
        reasons.append(f"max_{name} {maximum}: {what} {value.normalize():f} {unit} is not below it")
    return reasons


def failed_restrictions(r: Restrictions, ctx: MatchContext) -> list[str]:
    """Why `r` does not hold in `ctx`, one readable reason per failing restriction; empty when it holds."""
    reasons: list[str] = []
    local_date = ctx.local.date()
    of_day = time_of_day_us(ctx.local.time())
    if not reservation_ok(r, ctx.kind, ctx.reservation_expired):
        wanted = r.reservation.value if r.reservation is not None else "no reservation"
        reasons.append(f"reservation: element is for {wanted}, period is {ctx.kind.value.lower()}")
    if not time_of_day_ok(r, of_day):
        reasons.append(
            f"start_time/end_time {_hhmm(r.start_time)}-{_hhmm(r.end_time)}: local time is "
            f"{ctx.local.strftime('%H:%M:%S')}"
        )
    if not date_ok(r, local_date):
        reasons.append(
            f"start_date/end_date {r.start_date or '-'}..{r.end_date or '-'}: local date is {local_date}"
        )
    if not weekday_ok(r, local_date):
        days = ",".join(day.name for day in sorted(r.day_of_week))
        reasons.append(f"day_of_week {days}: local day is {local_date.strftime('%A').upper()}")
    reasons.extend(_bound_reasons("kwh", r.min_kwh, r.max_kwh, ctx.kwh, "energy so far", "kWh"))
    reasons.extend(_bound_reasons("current", r.min_current, r.max_current, ctx.current_a, "current", "A"))
    reasons.extend(_bound_reasons("power", r.min_power, r.max_power, ctx.power_kw, "power", "kW"))
    elapsed = Decimal(ctx.elapsed_us) / US_PER_SECOND
    minimum = None if r.min_duration is None else Decimal(r.min_duration)
    maximum = None if r.max_duration is None else Decimal(r.max_duration)
    reasons.extend(_bound_reasons("duration", minimum, maximum, elapsed, "session duration", "s"))
    return reasons
