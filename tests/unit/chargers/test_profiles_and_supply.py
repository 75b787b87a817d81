"""Connector capacity and charging profiles as a charger applies them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from laddhub.chargers.electrical import Supply
from laddhub.chargers.profiles import active_profile, anchor_of, limit_at, limit_kw, next_change
from laddhub.ocpi.v2_2_1.chargingprofiles import ChargingProfile, ChargingRateUnit
from laddhub.ocpi.v2_2_1.locations import Connector

T0 = datetime(2026, 5, 4, 18, 0, tzinfo=UTC)
NOW = datetime(2026, 5, 4, 18, 0, tzinfo=UTC)


def connector(power_type: str, volts: int, amps: int, watts: int | None = None) -> Connector:
    data: dict[str, object] = {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": power_type,
        "max_voltage": volts,
        "max_amperage": amps,
        "last_updated": "2026-01-01T00:00:00Z",
    }
    if watts is not None:
        data["max_electric_power"] = watts
    return Connector.model_validate(data)


THREE_PHASE = Supply.of(connector("AC_3_PHASE", 230, 16))


def profile(unit: str, periods: list[tuple[int, str]], **extra: object) -> ChargingProfile:
    return ChargingProfile.model_validate(
        {
            "charging_rate_unit": unit,
            "charging_profile_period": [{"start_period": s, "limit": float(v)} for s, v in periods],
            **extra,
        }
    )


def test_supply_is_voltage_times_current_times_phases_unless_a_lower_power_is_advertised() -> None:
    assert THREE_PHASE.max_power_kw == Decimal("11.04")
    assert Supply.of(connector("AC_1_PHASE", 230, 32)).max_power_kw == Decimal("7.36")
    assert Supply.of(connector("DC", 500, 125, watts=50000)).max_power_kw == Decimal(50)


def test_current_summed_over_phases_and_power_of_a_phase_current() -> None:
    assert THREE_PHASE.current_for(Decimal("11.04")) == Decimal(48)
    assert THREE_PHASE.power_for_phase_current(Decimal(10)) == Decimal("6.9")


def test_a_relative_profile_starts_with_charging_and_an_absolute_one_at_its_own_start() -> None:
    relative = profile("W", [(0, "3000")])
    absolute = profile("W", [(0, "3000")], start_date_time="2026-05-04T19:00:00Z")
    assert anchor_of(relative, T0) == T0
    assert anchor_of(relative, None) is None
    assert anchor_of(absolute, T0) == datetime(2026, 5, 4, 19, tzinfo=UTC)


def test_the_limit_follows_the_periods_until_the_duration_ends() -> None:
    schedule = profile("A", [(0, "16"), (600, "8"), (1200, "0")], duration=1800)
    assert limit_at(schedule, T0, T0 - timedelta(seconds=1)) is None
    assert limit_at(schedule, T0, T0) == 16
    assert limit_at(schedule, T0, T0 + timedelta(seconds=700)) == 8
    assert limit_at(schedule, T0, T0 + timedelta(seconds=1799)) == 0
    assert limit_at(schedule, T0, T0 + timedelta(seconds=1800)) is None
    assert limit_kw(schedule, T0, T0 + timedelta(seconds=700), THREE_PHASE) == Decimal("5.52")


def test_next_change_names_each_period_start_and_the_end() -> None:
    schedule = profile("W", [(0, "7000"), (600, "3000")], duration=900)
    assert next_change(schedule, T0, T0) == T0 + timedelta(seconds=600)
    assert next_change(schedule, T0, T0 + timedelta(seconds=600)) == T0 + timedelta(seconds=900)
    assert next_change(schedule, T0, T0 + timedelta(seconds=900)) is None


def test_without_a_profile_the_active_schedule_is_the_connector_capacity() -> None:
    active = active_profile(None, None, NOW, 3600, THREE_PHASE)
    assert active.start_date_time == NOW
    assert active.charging_profile.charging_rate_unit is ChargingRateUnit.W
    assert [(p.start_period, p.limit) for p in active.charging_profile.charging_profile_period] == [
        (0, Decimal("11040"))
    ]


def test_the_active_schedule_caps_limits_at_capacity_and_falls_back_to_it_after_the_profile() -> None:
    schedule = profile("A", [(0, "32"), (600, "10")], duration=1200)
    active = active_profile(schedule, NOW - timedelta(seconds=300), NOW, 3600, THREE_PHASE)
    periods = [(p.start_period, p.limit) for p in active.charging_profile.charging_profile_period]
    assert periods == [(0, Decimal(16)), (300, Decimal(10)), (900, Decimal(16))]
    assert active.charging_profile.duration == 3600


@settings(max_examples=60, deadline=None)
@given(
    limits=st.lists(st.integers(0, 400), min_size=1, max_size=5),
    step=st.integers(1, 1200),
    elapsed=st.integers(0, 5000),
)
def test_the_active_schedule_never_exceeds_the_profile_or_the_capacity(
    limits: list[int], step: int, elapsed: int
) -> None:
    schedule = profile("A", [(i * step, str(v / 10)) for i, v in enumerate(limits)])
    anchor = NOW - timedelta(seconds=elapsed)
    active = active_profile(schedule, anchor, NOW, 7200, THREE_PHASE)
    periods = active.charging_profile.charging_profile_period
    assert periods[0].start_period == 0
    assert [p.start_period for p in periods] == sorted({p.start_period for p in periods})
    for period in periods:
        moment = NOW + timedelta(seconds=period.start_period)
        allowed = limit_at(schedule, anchor, moment)
        assert period.limit <= THREE_PHASE.amperage_a
        if allowed is not None:
            assert period.limit <= allowed
