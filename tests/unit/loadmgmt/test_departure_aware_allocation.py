"""The allocator with a departure model: capacity to the cars likely to leave, limits kept as before."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from laddhub.loadmgmt.allocator import AllocationRequest, LoadAllocator
from laddhub.loadmgmt.audit import audit
from laddhub.loadmgmt.departures import CompletedStay, DepartureModel
from laddhub.loadmgmt.sessions import Session

from .helpers import NOW, single_phase_site
from .strategies import session_sets, sites


def _history(arrival_hour: float, stated_h: float, actual_h: float, count: int = 15) -> list[CompletedStay]:
    """Past weekday stays arriving at `arrival_hour` (UTC) that said `stated_h` and lasted `actual_h`."""
    day = NOW.replace(hour=0) - timedelta(weeks=1)
    stays = []
    for k in range(count):
        arrival = day - timedelta(weeks=k) + timedelta(hours=arrival_hour)
        stays.append(
            CompletedStay(arrival, arrival + timedelta(hours=stated_h), arrival + timedelta(hours=actual_h))
        )
    return stays


def _car(evse_id: str, arrival_hour: float, stated_h: float, kwh: float) -> Session:
    arrival = NOW.replace(hour=0) + timedelta(hours=arrival_hour)
    return Session(
        id=f"s-{evse_id}",
        evse_id=evse_id,
        arrival=arrival,
        departure=arrival + timedelta(hours=stated_h),
        energy_needed_kwh=kwh,
    )


def test_capacity_goes_to_the_car_history_says_will_leave_first_not_the_one_that_says_so() -> None:
    # Both cars say they stay 6 hours. Drivers arriving at 08:00 have always left after an hour; those
    # arriving at 06:00 stayed ten. Only one car can charge at full rate, and an hour of it is less than
    # either car needs.
    site = single_phase_site(2, grid_amps=32)
    history = _history(8.0, 6.0, 1.0) + _history(6.0, 6.0, 10.0)
    leaves_soon = _car("E0", 8.0, 6.0, kwh=9.0)
    stays_long = _car("E1", 6.0, 6.0, kwh=9.0)
    allocator = LoadAllocator(site)
    sessions = [leaves_soon, stays_long]
    stated = allocator.allocate(AllocationRequest(now=NOW, sessions=sessions))
    learned = allocator.allocate(
        AllocationRequest(now=NOW, sessions=sessions, departure_model=DepartureModel(history))
    )
    assert stated.limits["E0"] <= stated.limits["E1"]
    assert learned.limits["E0"] == 32.0
    assert audit(site, learned.limits) == ()


def test_without_enough_history_the_allocation_is_the_one_from_stated_departures() -> None:
    site = single_phase_site(3, grid_amps=40)
    sessions = [_car("E0", 7.0, 2.0, 20.0), _car("E1", 7.5, 9.0, 30.0), _car("E2", 6.0, 4.0, 10.0)]
    allocator = LoadAllocator(site)
    thin = DepartureModel(_history(7.0, 2.0, 9.0, count=3), min_history=10)
    plain = allocator.allocate(AllocationRequest(now=NOW, sessions=sessions))
    modelled = allocator.allocate(AllocationRequest(now=NOW, sessions=sessions, departure_model=thin))
    assert modelled.limits == plain.limits
    assert modelled.schedules == plain.schedules


def test_a_car_expected_to_stay_past_its_estimate_is_still_planned_for() -> None:
    # History says drivers stating 1 hour stay 8: the plan may spread this car's need over the day.
    site = single_phase_site(1, grid_amps=32)
    car = _car("E0", 8.0, 1.0, kwh=40.0)
    model = DepartureModel(_history(8.0, 1.0, 8.0))
    allocation = LoadAllocator(site).allocate(
        AllocationRequest(now=NOW, sessions=[car], departure_model=model)
    )
    last_slot = allocation.schedules["E0"][-1]
    assert last_slot.end > car.arrival + timedelta(hours=4)


@st.composite
def histories(draw: st.DrawFn) -> list[CompletedStay]:
    stays = []
    for _ in range(draw(st.integers(0, 40))):
        arrival = NOW - timedelta(minutes=draw(st.integers(60, 10 * 24 * 60)))
        stated = draw(st.one_of(st.none(), st.integers(5, 14 * 60)))
        stays.append(
            CompletedStay(
                arrival,
                None if stated is None else arrival + timedelta(minutes=stated),
                arrival + timedelta(minutes=draw(st.integers(5, 14 * 60))),
            )
        )
    return stays


@settings(max_examples=100, deadline=None)
@given(data=st.data(), history=histories())
def test_a_learned_departure_model_never_leads_to_a_broken_limit(
    data: st.DataObject, history: list[CompletedStay]
) -> None:
    site = data.draw(sites())
    sessions = data.draw(session_sets(site))
    model = DepartureModel(history, min_history=1, neighbours=data.draw(st.integers(1, 30)))
    allocation = LoadAllocator(site).allocate(
        AllocationRequest(now=NOW, sessions=sessions, departure_model=model)
    )
    assert audit(site, allocation.limits) == ()
    for slots in allocation.schedules.values():
        assert all(slot.rate >= 0 for slot in slots)
