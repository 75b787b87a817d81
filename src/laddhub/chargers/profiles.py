"""Charging profiles as a charger applies them: the limit in force at a moment, and the active schedule.

A profile (spec §11) is a list of limits from `start_period` seconds after its start, either from an
absolute `start_date_time` or, when that is absent, from the moment charging started. It lasts `duration`
seconds, or until the session ends when there is none. Outside its span and before its first period it
limits nothing. A limit is a maximum: the charger never exceeds its own capacity either.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from laddhub.chargers.electrical import Supply
from laddhub.ocpi.v2_2_1.chargingprofiles import (
    ActiveChargingProfile,
    ChargingProfile,
    ChargingProfilePeriod,
    ChargingRateUnit,
)

_ONE_DECIMAL = Decimal("0.1")
_KILO = Decimal(1000)


def anchor_of(profile: ChargingProfile, charging_started: datetime | None) -> datetime | None:
    """When the profile's relative times begin: its own start, else the start of charging (if known yet)."""
    return profile.start_date_time or charging_started


def _periods(profile: ChargingProfile) -> list[ChargingProfilePeriod]:
    return sorted(profile.charging_profile_period, key=lambda p: p.start_period)


def _end(profile: ChargingProfile, anchor: datetime) -> datetime | None:
    return None if profile.duration is None else anchor + timedelta(seconds=profile.duration)


def limit_at(profile: ChargingProfile, anchor: datetime, moment: datetime) -> Decimal | None:
    """The limit (in the profile's unit) in force at `moment`, or None when the profile limits nothing."""
    end = _end(profile, anchor)
    if moment < anchor or (end is not None and moment >= end):
        return None
    offset = (moment - anchor).total_seconds()
    limit: Decimal | None = None
    for period in _periods(profile):
        if period.start_period > offset:
            break
        limit = period.limit
    return limit


def boundaries(profile: ChargingProfile, anchor: datetime) -> Iterator[datetime]:
    """Every instant at which the profile's limit can change, in time order."""
    end = _end(profile, anchor)
    for period in _periods(profile):
        moment = anchor + timedelta(seconds=period.start_period)
        if end is not None and moment >= end:
            break
        yield moment
    if end is not None:
        yield end


def next_change(profile: ChargingProfile, anchor: datetime, after: datetime) -> datetime | None:
    """The first instant after `after` at which the limit changes, so a charger can re-read it then."""
    return next((moment for moment in boundaries(profile, anchor) if moment > after), None)


def to_kw(limit: Decimal, unit: ChargingRateUnit, supply: Supply) -> Decimal:
    """A profile limit as the power it allows: W as is, A per phase through the connector's voltage."""
    if unit is ChargingRateUnit.W:
        return limit / _KILO
    return supply.power_for_phase_current(limit)


def limit_kw(profile: ChargingProfile, anchor: datetime, moment: datetime, supply: Supply) -> Decimal | None:
    """The power (kW) the profile allows at `moment`; None when it limits nothing then."""
    limit = limit_at(profile, anchor, moment)
    return None if limit is None else to_kw(limit, profile.charging_rate_unit, supply)


def capacity_in(unit: ChargingRateUnit, supply: Supply) -> Decimal:
    """The connector's own maximum in a profile unit: watts, or amperes per phase."""
    if unit is ChargingRateUnit.W:
        return supply.max_power_kw * _KILO
    if supply.voltage_v <= 0:
        return Decimal(0)
    return min(supply.amperage_a, supply.max_power_kw * _KILO / (supply.voltage_v * supply.phases))


@dataclass(frozen=True, slots=True)
class _Step:
    start: datetime
    limit: Decimal


def active_profile(
    profile: ChargingProfile | None,
    anchor: datetime | None,
    now: datetime,
    duration_s: int,
    supply: Supply,
) -> ActiveChargingProfile:
    """The schedule the charger will follow for the next `duration_s` seconds, as OCPI reports it.

    Where the profile sets no limit (before it starts, after it ends, or with no profile at all) the
    connector's capacity is the limit: the spec asks for the EVSE's maximum when no profile remains.
    Limits are capped at that capacity and written with one decimal, rounded down so the reported maximum
    is never above what the charger allows. Offsets are whole seconds from the (whole-second) start.
    """
    start = now.replace(microsecond=0)
    unit = profile.charging_rate_unit if profile is not None else ChargingRateUnit.W
    capacity = capacity_in(unit, supply)
    horizon = start + timedelta(seconds=duration_s)
    cuts = [start]
    if profile is not None and anchor is not None:
        cuts.extend(moment for moment in boundaries(profile, anchor) if start < moment < horizon)
    steps: list[_Step] = []
    for cut in cuts:
        limit = capacity
        if profile is not None and anchor is not None:
            found = limit_at(profile, anchor, cut)
            if found is not None:
                limit = min(found, capacity)
        limit = limit.quantize(_ONE_DECIMAL, rounding=ROUND_DOWN)
        if not steps or steps[-1].limit != limit:
            steps.append(_Step(cut, limit))
    periods = [
        ChargingProfilePeriod(start_period=math.ceil((step.start - start).total_seconds()), limit=step.limit)
        for step in steps
    ]
    schedule = ChargingProfile(
        charging_rate_unit=unit,
        duration=duration_s,
        min_charging_rate=profile.min_charging_rate if profile is not None else None,
        charging_profile_period=periods,
    )
    return ActiveChargingProfile(start_date_time=start, charging_profile=schedule)
