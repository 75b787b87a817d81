"""An EVSE's schedule as an OCPI 2.2.1 ChargingProfile, and when a changed one is worth sending.

Limits go out in A for AC chargers and W for DC chargers, rounded *down* to the one decimal the spec
allows, so the charger never gets more than was allocated. Re-sending every small change would flood the
partner (and the charger behind it) with messages, so `needs_resend` holds back a new profile whose limits
only rise by less than a threshold. It never holds back a lowered limit: the capacity it frees has already
been handed to another EVSE, and the old, higher limit would overload the site.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from laddhub.loadmgmt.allocator import ScheduleSlot
from laddhub.loadmgmt.topology import CurrentType, Evse
from laddhub.ocpi.v2_2_1.chargingprofiles import ChargingProfile, ChargingProfilePeriod, ChargingRateUnit

_ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class ResendPolicy:
    """How large a rise must be before a new profile is sent, and how far ahead profiles are compared."""

    threshold_a: Decimal = Decimal("1.0")
    threshold_w: Decimal = Decimal("500.0")
    horizon: timedelta = timedelta(hours=1)


def schedule_to_profile(evse: Evse, slots: Sequence[ScheduleSlot]) -> ChargingProfile:
    """The OCPI ChargingProfile for an EVSE's schedule, absolute from the first slot's start.

    Adjacent slots with the same (rounded) limit merge into one period; the profile's duration ends with the
    last slot, after which the charger falls back to its other profiles or its own maximum.
    """
    if not slots:
        raise ValueError(f"EVSE {evse.id!r} has an empty schedule; send a clear-profile instead")
    ordered = sorted(slots, key=lambda slot: slot.start)
    start = ordered[0].start
    unit = ChargingRateUnit.W if evse.current_type is CurrentType.DC else ChargingRateUnit.A
    periods: list[ChargingProfilePeriod] = []
    for slot in ordered:
        limit = _limit_in_unit(slot.rate, unit)
        if periods and periods[-1].limit == limit:
            continue
        periods.append(ChargingProfilePeriod(start_period=_seconds(slot.start - start), limit=limit))
    return ChargingProfile(
        start_date_time=start,
        duration=_seconds(ordered[-1].end - start),
        charging_rate_unit=unit,
        charging_profile_period=periods,
    )


def needs_resend(previous: ChargingProfile | None, new: ChargingProfile, policy: ResendPolicy) -> bool:
    """True when `new` must go out: nothing sent yet, another unit, any limit lower, or one higher enough."""
    if previous is None or previous.charging_rate_unit != new.charging_rate_unit:
        return True
    if previous.start_date_time is None or new.start_date_time is None:
        return previous != new
    threshold = policy.threshold_w if new.charging_rate_unit is ChargingRateUnit.W else policy.threshold_a
    begin = new.start_date_time
    end = begin + policy.horizon
    instants = {begin} | _boundaries(previous, begin, end) | _boundaries(new, begin, end)
    for instant in sorted(instants):
        old_limit = _limit_at(previous, instant)
        new_limit = _limit_at(new, instant)
        if new_limit is None:
            continue
        if old_limit is None or new_limit < old_limit or new_limit - old_limit >= threshold:
            return True
    return False


def _limit_in_unit(rate: float, unit: ChargingRateUnit) -> Decimal:
    value = Decimal(repr(max(rate, 0.0)))
    if unit is ChargingRateUnit.W:
        value *= 1000
    return value.quantize(_ONE_DECIMAL, rounding=ROUND_FLOOR)


def _seconds(delta: timedelta) -> int:
    return int(delta.total_seconds())


def _boundaries(profile: ChargingProfile, begin: datetime, end: datetime) -> set[datetime]:
    assert profile.start_date_time is not None
    found = {
        profile.start_date_time + timedelta(seconds=p.start_period) for p in profile.charging_profile_period
    }
    if profile.duration is not None:
        found.add(profile.start_date_time + timedelta(seconds=profile.duration))
    return {instant for instant in found if begin <= instant < end}


def _limit_at(profile: ChargingProfile, instant: datetime) -> Decimal | None:
    """The limit at an absolute instant; None outside the profile, where the charger's own maximum applies."""
    assert profile.start_date_time is not None
    offset = (instant - profile.start_date_time).total_seconds()
    if offset < 0 or (profile.duration is not None and offset >= profile.duration):
        return None
    current: Decimal | None = None
    for period in profile.charging_profile_period:
        if period.start_period <= offset:
            current = Decimal(period.limit)
    return current
