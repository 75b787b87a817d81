"""A simulated vehicle draws the least of connector, vehicle and profile limits, and parks when full."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from laddhub.chargers.charging_model import Conditions, advance, reading_at, settle
from laddhub.chargers.electrical import Supply
from laddhub.chargers.metering import Activity, energy_at
from laddhub.chargers.profiles import limit_kw
from laddhub.ocpi.v2_2_1.chargingprofiles import ChargingProfile

T0 = datetime(2026, 11, 24, 8, tzinfo=UTC)
SUPPLY = Supply(phases=3, voltage_v=Decimal(230), amperage_a=Decimal(32), max_power_kw=Decimal("22.08"))


def conditions(
    capacity: str = "10", vehicle_kw: str = "11", profile: ChargingProfile | None = None
) -> Conditions:
    return Conditions(SUPPLY, Decimal(capacity), Decimal(vehicle_kw), profile, T0)


def test_the_vehicle_charges_at_its_own_maximum_and_parks_once_full() -> None:
    start = reading_at(T0, Decimal(0), conditions())
    assert (start.power_kw, start.activity) == (Decimal(11), Activity.CHARGING)
    readings = advance([start], conditions(), T0 + timedelta(hours=2))
    full = T0 + timedelta(hours=10) / 11
    assert [r.activity for r in readings] == [Activity.CHARGING, Activity.PARKING]
    assert abs(readings[1].at - full) <= timedelta(microseconds=1)
    assert readings[1].kwh == Decimal(10)
    assert energy_at(readings, T0 + timedelta(hours=2)) == Decimal(10)


def test_a_profile_lowers_the_draw_at_its_period_starts() -> None:
    profile = ChargingProfile.model_validate(
        {
            "charging_rate_unit": "A",
            "charging_profile_period": [{"start_period": 0, "limit": 16}, {"start_period": 600, "limit": 6}],
        }
    )
    first = reading_at(T0, Decimal(0), conditions("50", "22", profile))
    assert first.power_kw == Decimal("11.04")
    readings = advance([first], conditions("50", "22", profile), T0 + timedelta(hours=1))
    assert [(r.at - T0, r.power_kw) for r in readings] == [
        (timedelta(0), Decimal("11.04")),
        (timedelta(seconds=600), Decimal("4.14")),
    ]


def test_settling_on_a_new_profile_takes_a_reading_only_when_the_draw_changes() -> None:
    first = reading_at(T0, Decimal(0), conditions())
    same = settle([first], T0 + timedelta(minutes=5), conditions())
    assert same == [first]
    limited = ChargingProfile.model_validate(
        {"charging_rate_unit": "W", "charging_profile_period": [{"start_period": 0, "limit": 3000}]}
    )
    changed = settle([first], T0 + timedelta(minutes=5), conditions(profile=limited))
    assert [r.power_kw for r in changed] == [Decimal(11), Decimal(3)]
    assert changed[1].kwh == Decimal(11) * 5 / 60


@settings(max_examples=60, deadline=None)
@given(
    capacity=st.integers(1, 80),
    vehicle_kw=st.integers(1, 50),
    limits=st.lists(st.integers(0, 320), min_size=1, max_size=5),
    step=st.integers(60, 3600),
    hours=st.integers(1, 12),
)
def test_energy_never_exceeds_what_the_vehicle_takes_nor_power_any_limit(
    capacity: int, vehicle_kw: int, limits: list[int], step: int, hours: int
) -> None:
    profile = ChargingProfile.model_validate(
        {
            "charging_rate_unit": "A",
            "charging_profile_period": [
                {"start_period": i * step, "limit": v / 10} for i, v in enumerate(limits)
            ],
        }
    )
    given_conditions = conditions(str(capacity), str(vehicle_kw), profile)
    readings = advance(
        [reading_at(T0, Decimal(0), given_conditions)], given_conditions, T0 + timedelta(hours=hours)
    )
    assert [r.at for r in readings] == sorted(r.at for r in readings)
    assert energy_at(readings, T0 + timedelta(hours=hours)) <= capacity
    for reading in readings:
        allowed = min(SUPPLY.max_power_kw, Decimal(vehicle_kw))
        profile_limit = limit_kw(profile, T0, reading.at, SUPPLY)
        if profile_limit is not None:
            allowed = min(allowed, profile_limit)
        assert reading.power_kw <= allowed
        assert (reading.activity is Activity.PARKING) == (reading.kwh >= capacity)
