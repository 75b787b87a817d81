"""How much power a simulated vehicle draws, and the meter readings that follow from it over time.

The vehicle draws the least of the connector's capacity, its own maximum and the charging profile's limit
in force; it requests power until it has taken its `capacity_kwh`, then parks. Power only changes at known
instants (the vehicle is full, a profile period starts or ends), so the charger takes a reading exactly
there and energy is linear in between: the readings are an exact account, not a sampled one.

Power and current are kept to four decimals (rounded down), the precision they are reported with in
charging periods, so that a CDR re-priced from its periods sees exactly the values the session was
priced with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from laddhub.chargers.electrical import Supply
from laddhub.chargers.metering import VOLUME_PLACES, Activity, MeterReading, energy_at, time_to_deliver
from laddhub.chargers.profiles import anchor_of, limit_kw, next_change
from laddhub.ocpi.v2_2_1.chargingprofiles import ChargingProfile

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Conditions:
    """What governs the draw: the connector, the vehicle, and the profile in force (if any)."""

    supply: Supply
    capacity_kwh: Decimal
    vehicle_max_kw: Decimal
    profile: ChargingProfile | None = None
    charging_started: datetime | None = None

    @property
    def profile_anchor(self) -> datetime | None:
        return None if self.profile is None else anchor_of(self.profile, self.charging_started)


def _down(value: Decimal) -> Decimal:
    return value.quantize(VOLUME_PLACES, rounding=ROUND_DOWN)


def draw_kw(moment: datetime, conditions: Conditions) -> Decimal:
    """The power (kW) a vehicle that wants energy draws at `moment`."""
    power = min(conditions.supply.max_power_kw, conditions.vehicle_max_kw)
    anchor = conditions.profile_anchor
    if conditions.profile is not None and anchor is not None:
        limit = limit_kw(conditions.profile, anchor, moment, conditions.supply)
        if limit is not None:
            power = min(power, limit)
    return _down(max(power, _ZERO))


def reading_at(moment: datetime, kwh: Decimal, conditions: Conditions) -> MeterReading:
    """The reading at `moment` with `kwh` delivered so far: charging while the vehicle wants more."""
    if kwh >= conditions.capacity_kwh:
        return MeterReading(moment, conditions.capacity_kwh, _ZERO, _ZERO, Activity.PARKING)
    power = draw_kw(moment, conditions)
    current = _down(conditions.supply.current_for(power))
    return MeterReading(moment, kwh, power, current, Activity.CHARGING)


def next_event(last: MeterReading, conditions: Conditions, after: datetime) -> datetime | None:
    """The first instant after `after` at which the draw can change: the vehicle is full, or the profile's
    limit changes. None when nothing will change by itself (parked, or charging at zero without a profile
    change ahead)."""
    if last.activity is not Activity.CHARGING:
        return None
    candidates: list[datetime] = []
    if last.power_kw > 0:
        needed = time_to_deliver(conditions.capacity_kwh - last.kwh, last.power_kw)
        if needed is not None:
            candidates.append(last.at + needed)
    anchor = conditions.profile_anchor
    if conditions.profile is not None and anchor is not None:
        change = next_change(conditions.profile, anchor, after)
        if change is not None:
            candidates.append(change)
    later = [moment for moment in candidates if moment > after]
    return min(later) if later else None


def _changes(reading: MeterReading, last: MeterReading) -> bool:
    return (reading.power_kw, reading.current_a, reading.activity) != (
        last.power_kw,
        last.current_a,
        last.activity,
    )


def settle(readings: Sequence[MeterReading], moment: datetime, conditions: Conditions) -> list[MeterReading]:
    """The readings with one more at `moment` if the draw is different from then on (e.g. a new profile)."""
    result = list(readings)
    if not result or result[-1].activity is Activity.RESERVED:
        return result
    reading = reading_at(moment, energy_at(result, moment), conditions)
    if _changes(reading, result[-1]) and moment >= result[-1].at:
        if moment == result[-1].at:
            result[-1] = reading
        else:
            result.append(reading)
    return result


def advance(readings: Sequence[MeterReading], conditions: Conditions, until: datetime) -> list[MeterReading]:
    """The readings a charger takes up to `until`: one at every instant the draw changes by itself."""
    result = list(readings)
    if not result:
        return result
    cursor = result[-1].at
    while True:
        moment = next_event(result[-1], conditions, cursor)
        if moment is None or moment > until:
            return result
        result = settle(result, moment, conditions)
        cursor = moment
