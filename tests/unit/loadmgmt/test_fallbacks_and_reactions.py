"""Fallbacks engage when signals or meter data stop, and the allocator reacts to events within one step."""

from __future__ import annotations

from datetime import timedelta

from laddhub.loadmgmt.allocator import AllocationRequest, AllocatorSettings, LimitReason, LoadAllocator
from laddhub.loadmgmt.audit import audit
from laddhub.loadmgmt.signals import (
    CapacityBlock,
    CapacityForecast,
    CapacityLimit,
    CapacitySignal,
    CapacitySource,
    MeterReading,
)

from .helpers import NOW, session, single_phase_site


def _signal(received_minutes_ago: int, forecast_kw: float, fallback_kw: float) -> CapacitySignal:
    block = CapacityBlock(
        NOW - timedelta(hours=1), NOW + timedelta(hours=12), CapacityLimit(power_kw=forecast_kw)
    )
    return CapacitySignal(
        fallback=CapacityLimit(power_kw=fallback_kw),
        forecast=CapacityForecast(blocks=(block,), received_at=NOW - timedelta(minutes=received_minutes_ago)),
        stale_after=timedelta(minutes=15),
    )


def test_a_fresh_forecast_sets_the_grid_limit() -> None:
    site = single_phase_site(4, grid_amps=200)
    sessions = [session(f"E{k}") for k in range(4)]
    allocation = LoadAllocator(site).allocate(
        AllocationRequest(now=NOW, sessions=sessions, capacity=_signal(5, forecast_kw=11.0, fallback_kw=4.6))
    )
    assert allocation.capacity_source is CapacitySource.FORECAST
    assert sum(allocation.limits.values()) * 0.23 <= 11.0
    assert sum(allocation.limits.values()) >= 44  # most of the 47.8 A the forecast allows, in whole amps


def test_a_stale_forecast_gives_way_to_the_operators_fallback_capacity() -> None:
    site = single_phase_site(4, grid_amps=200)
    sessions = [session(f"E{k}") for k in range(4)]
    allocation = LoadAllocator(site).allocate(
        AllocationRequest(now=NOW, sessions=sessions, capacity=_signal(16, forecast_kw=11.0, fallback_kw=4.6))
    )
    assert allocation.capacity_source is CapacitySource.FALLBACK
    assert audit(site, allocation.limits, grid_power_kw=4.6) == ()
    assert sum(allocation.limits.values()) == 20  # 4.6 kW at 230 V, in rates the chargers accept


def test_a_charger_that_stops_reporting_runs_on_its_fallback_rate_and_the_rest_share_what_remains() -> None:
    site = single_phase_site(3, grid_amps=40)
    sessions = [session(f"E{k}", arrival=NOW - timedelta(hours=1)) for k in range(3)]
    readings = {
        "E0": MeterReading("E0", NOW - timedelta(minutes=20), rate=13.0, limit_in_force=13.0),
        "E2": MeterReading("E2", NOW - timedelta(minutes=1), rate=13.0, limit_in_force=13.0),
    }
    allocator = LoadAllocator(site, AllocatorSettings(meter_timeout=timedelta(minutes=10)))
    allocation = allocator.allocate(AllocationRequest(now=NOW, sessions=sessions, meter_readings=readings))
    assert allocation.reasons["E0"] is LimitReason.FALLBACK_STALE_METER_DATA
    assert allocation.reasons["E1"] is LimitReason.FALLBACK_NO_METER_DATA
    assert allocation.reasons["E2"] is LimitReason.SCHEDULED
    assert allocation.limits["E0"] == 6 and allocation.limits["E1"] == 6
    assert allocation.limits["E2"] == 28
    assert audit(site, allocation.limits) == ()


def test_a_load_on_an_evse_without_a_session_is_reserved_at_its_fallback_rate() -> None:
    site = single_phase_site(2, grid_amps=32)
    readings = {"E0": MeterReading("E0", NOW, rate=10.0)}
    allocation = LoadAllocator(site).allocate(
        AllocationRequest(now=NOW, sessions=[session("E1")], meter_readings=readings)
    )
    assert allocation.reasons["E0"] is LimitReason.FALLBACK_UNKNOWN_LOAD
    assert allocation.limits == {"E0": 6.0, "E1": 26.0}


def test_a_car_drawing_less_than_its_limit_releases_capacity_in_the_next_step() -> None:
    site = single_phase_site(2, grid_amps=40)
    sessions = [session("E0"), session("E1")]
    allocator = LoadAllocator(site)
    first = allocator.allocate(AllocationRequest(now=NOW, sessions=sessions)).limits
    assert first == {"E0": 20.0, "E1": 20.0}
    readings = {
        "E0": MeterReading("E0", NOW, rate=8.0, limit_in_force=20.0),
        "E1": MeterReading("E1", NOW, rate=20.0, limit_in_force=20.0),
    }
    second = allocator.allocate(
        AllocationRequest(now=NOW + timedelta(minutes=5), sessions=sessions, meter_readings=readings)
    ).limits
    assert second["E0"] < 20 and second["E1"] > 20
    assert second["E0"] + second["E1"] <= 40


def test_an_arrival_and_a_departure_change_the_very_next_allocation() -> None:
    site = single_phase_site(3, grid_amps=48)
    allocator = LoadAllocator(site)
    before = allocator.allocate(AllocationRequest(now=NOW, sessions=[session("E0"), session("E1")])).limits
    assert before["E0"] == 24 and before["E1"] == 24
    arrived = allocator.allocate(
        AllocationRequest(now=NOW, sessions=[session("E0"), session("E1"), session("E2")])
    ).limits
    assert arrived["E0"] == arrived["E1"] == arrived["E2"] == 16
    left = allocator.allocate(AllocationRequest(now=NOW, sessions=[session("E2")])).limits
    assert left == {"E0": 0.0, "E1": 0.0, "E2": 32.0}
