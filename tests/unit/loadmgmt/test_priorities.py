"""Higher classes are served first, guarantees hold, and sessions of one class share fairly."""

from __future__ import annotations

import pytest

from laddhub.loadmgmt.allocator import AllocationRequest, AllocatorSettings, LoadAllocator
from laddhub.loadmgmt.audit import audit
from laddhub.loadmgmt.sessions import PriorityClass, PriorityPolicy

from .helpers import NOW, session, single_phase_site

POLICY = PriorityPolicy.of(
    [PriorityClass("taxi", 0), PriorityClass("fleet", 1, guaranteed_kw=1.38), PriorityClass("public", 2)],
    default_class="public",
)


@pytest.mark.parametrize("look_ahead", [True, False])
def test_taxi_gets_its_full_rate_before_public_gets_anything_beyond_what_is_left(look_ahead: bool) -> None:
    site = single_phase_site(3, grid_amps=40)
    sessions = [
        session("E0", hours=1, kwh=20, priority_class="taxi"),
        session("E1", hours=1, kwh=20, priority_class="public"),
        session("E2", hours=1, kwh=20, priority_class="public"),
    ]
    allocator = LoadAllocator(site, AllocatorSettings(policy=POLICY, use_look_ahead=look_ahead))
    limits = allocator.allocate(AllocationRequest(now=NOW, sessions=sessions)).limits
    assert limits["E0"] == 32
    assert limits["E1"] + limits["E2"] <= 8
    assert audit(site, limits) == ()


@pytest.mark.parametrize("look_ahead", [True, False])
def test_a_guaranteed_minimum_holds_even_when_a_higher_class_wants_everything(look_ahead: bool) -> None:
    site = single_phase_site(2, grid_amps=36)
    sessions = [
        session("E0", hours=1, kwh=30, priority_class="taxi"),
        session("E1", hours=10, kwh=30, priority_class="fleet"),
    ]
    allocator = LoadAllocator(site, AllocatorSettings(policy=POLICY, use_look_ahead=look_ahead))
    limits = allocator.allocate(AllocationRequest(now=NOW, sessions=sessions)).limits
    # 1.38 kW at 230 V is 6 A, the fleet van's guarantee; the taxi gets the other 30 A.
    assert limits["E1"] == 6
    assert limits["E0"] == 30


@pytest.mark.parametrize("look_ahead", [True, False])
def test_equal_sessions_of_one_class_get_equal_shares(look_ahead: bool) -> None:
    site = single_phase_site(4, grid_amps=60)
    sessions = [session(f"E{k}", hours=2, kwh=40) for k in range(4)]
    allocator = LoadAllocator(site, AllocatorSettings(use_look_ahead=look_ahead))
    limits = allocator.allocate(AllocationRequest(now=NOW, sessions=sessions)).limits
    assert sorted(limits.values()) == [15, 15, 15, 15]


def test_look_ahead_serves_the_car_leaving_first_and_the_other_later() -> None:
    site = single_phase_site(2, grid_amps=32)
    # 32 A at 230 V is 7.36 kW: the first car needs its whole hour, the second has four hours for the same.
    sessions = [session("E0", hours=1, kwh=7.3), session("E1", hours=4, kwh=7.3)]
    allocation = LoadAllocator(site).allocate(AllocationRequest(now=NOW, sessions=sessions))
    assert allocation.used_look_ahead
    assert allocation.limits["E0"] == 32 and allocation.limits["E1"] == 0
    later = [slot for slot in allocation.schedules["E1"] if slot.rate > 0]
    assert later and later[0].start >= NOW + (later[0].end - later[0].start)


def test_a_session_that_needs_nothing_more_gets_zero() -> None:
    site = single_phase_site(2, grid_amps=63)
    sessions = [session("E0", kwh=0.0), session("E1", kwh=10)]
    limits = LoadAllocator(site).allocate(AllocationRequest(now=NOW, sessions=sessions)).limits
    assert limits == {"E0": 0.0, "E1": 32.0}


def test_sessions_on_unknown_or_shared_evses_are_refused_with_their_ids() -> None:
    allocator = LoadAllocator(single_phase_site(1, grid_amps=63))
    with pytest.raises(ValueError, match=r"'s-X9'.*'X9'"):
        allocator.allocate(AllocationRequest(now=NOW, sessions=[session("X9")]))
    with pytest.raises(ValueError, match="both on EVSE 'E0'"):
        allocator.allocate(AllocationRequest(now=NOW, sessions=[session("E0"), session("E0")]))
