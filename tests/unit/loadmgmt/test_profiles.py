"""Schedules become OCPI ChargingProfiles, and small rises are not re-sent while every fall is."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from laddhub.loadmgmt.allocator import ScheduleSlot
from laddhub.loadmgmt.profiles import ResendPolicy, needs_resend, schedule_to_profile
from laddhub.loadmgmt.topology import CurrentType, Evse, Wiring
from laddhub.ocpi.v2_2_1.chargingprofiles import ChargingRateUnit

from .helpers import NOW

AC = Evse("AC1", Wiring.L1, CurrentType.AC, 230.0, 6.0, 32.0, 6.0)
DC = Evse("DC1", Wiring.THREE_PHASE, CurrentType.DC, 230.0, 0.0, 50.0, 10.0)
FIVE = timedelta(minutes=5)


def _slots(*rates: float) -> list[ScheduleSlot]:
    return [ScheduleSlot(NOW + k * FIVE, NOW + (k + 1) * FIVE, rate) for k, rate in enumerate(rates)]


def test_ac_schedule_becomes_amps_with_merged_periods_rounded_down() -> None:
    profile = schedule_to_profile(AC, _slots(16.06, 16.0, 9.99, 0.0))
    assert profile.charging_rate_unit is ChargingRateUnit.A
    assert profile.start_date_time == NOW
    assert profile.duration == 20 * 60
    assert [(p.start_period, p.limit) for p in profile.charging_profile_period] == [
        (0, Decimal("16.0")),
        (600, Decimal("9.9")),
        (900, Decimal("0.0")),
    ]


def test_dc_schedule_becomes_watts() -> None:
    profile = schedule_to_profile(DC, _slots(22.05))
    assert profile.charging_rate_unit is ChargingRateUnit.W
    assert profile.charging_profile_period[0].limit == Decimal("22050.0")


def test_an_empty_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="empty schedule"):
        schedule_to_profile(AC, [])


def test_small_rises_are_held_back_but_large_rises_and_any_fall_go_out() -> None:
    policy = ResendPolicy(threshold_a=Decimal("2.0"))
    sent = schedule_to_profile(AC, _slots(16, 16, 16))
    assert needs_resend(None, sent, policy)
    assert not needs_resend(sent, schedule_to_profile(AC, _slots(17, 17, 16)), policy)
    assert needs_resend(sent, schedule_to_profile(AC, _slots(16, 18, 16)), policy)
    assert needs_resend(sent, schedule_to_profile(AC, _slots(16, 15.9, 16)), policy)


def test_differences_beyond_the_comparison_horizon_do_not_trigger_a_resend() -> None:
    policy = ResendPolicy(threshold_a=Decimal("1.0"), horizon=timedelta(minutes=10))
    sent = schedule_to_profile(AC, _slots(16, 16, 16))
    assert not needs_resend(sent, schedule_to_profile(AC, _slots(16, 16, 30)), policy)


def test_a_change_of_unit_is_always_sent() -> None:
    sent = schedule_to_profile(AC, _slots(16))
    assert needs_resend(sent, schedule_to_profile(DC, _slots(16)), ResendPolicy())
