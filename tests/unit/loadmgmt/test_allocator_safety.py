"""The hard guarantee: whatever the topology and sessions, the allocation passes the independent audit."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from laddhub.loadmgmt.allocator import AllocationRequest, AllocatorSettings, LoadAllocator
from laddhub.loadmgmt.audit import audit
from laddhub.loadmgmt.sessions import PriorityClass, PriorityPolicy
from laddhub.loadmgmt.signals import CapacityLimit, CapacitySignal

from .strategies import NOW, session_sets, sites

POLICY = PriorityPolicy.of(
    [PriorityClass("taxi", 0, guaranteed_kw=3.0), PriorityClass("fleet", 1, 1.0), PriorityClass("public", 2)],
    default_class="public",
)


@settings(max_examples=1500, deadline=None)
@given(data=st.data())
def test_online_step_never_breaks_a_limit_on_random_sites(data: st.DataObject) -> None:
    site = data.draw(sites())
    sessions = data.draw(session_sets(site))
    allocator = LoadAllocator(site, AllocatorSettings(policy=POLICY, use_look_ahead=False))
    allocation = allocator.allocate(AllocationRequest(now=NOW, sessions=sessions))
    assert audit(site, allocation.limits) == ()


@settings(max_examples=150, deadline=None)
@given(data=st.data(), grid_kw=st.floats(1.0, 200.0))
def test_look_ahead_allocation_never_breaks_a_limit_or_the_grid_signal(
    data: st.DataObject, grid_kw: float
) -> None:
    site = data.draw(sites())
    sessions = data.draw(session_sets(site))
    signal = CapacitySignal(fallback=CapacityLimit(power_kw=grid_kw))
    allocator = LoadAllocator(site, AllocatorSettings(policy=POLICY))
    allocation = allocator.allocate(AllocationRequest(now=NOW, sessions=sessions, capacity=signal))
    assert audit(site, allocation.limits, grid_power_kw=grid_kw) == ()
    for slots in allocation.schedules.values():
        assert all(slot.rate >= 0 for slot in slots)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_every_idle_evse_gets_zero_and_every_session_at_most_its_caps(data: st.DataObject) -> None:
    site = data.draw(sites())
    sessions = data.draw(session_sets(site))
    allocation = LoadAllocator(site, AllocatorSettings(use_look_ahead=False)).allocate(
        AllocationRequest(now=NOW, sessions=sessions)
    )
    occupied = {s.evse_id: s for s in sessions}
    for evse in site.evses:
        limit = allocation.limits[evse.id]
        if evse.id not in occupied:
            assert limit == 0.0
            continue
        session = occupied[evse.id]
        if session.vehicle_max_kw is not None:
            vehicle_rate = session.vehicle_max_kw / evse.kw_per_unit
            if evse.pilot_steps:
                bound = min((s for s in evse.pilot_steps if s >= vehicle_rate - 1e-9), default=evse.max_rate)
            else:
                # Continuous chargers take limits on the one-decimal grid of OCPI.
                bound = max(math.ceil(vehicle_rate * 10 - 1e-6) / 10, evse.min_rate)
            # The smallest rate the charger accepts at or above what the vehicle takes, never more.
            assert limit <= bound + 1e-9
        if session.energy_needed_kwh == 0.0:
            assert limit == 0.0
