"""The departure model: learned only from stays that had ended, conditioned on the time a car has spent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from laddhub.loadmgmt.departures import CompletedStay, DepartureModel, DepartureOutlook

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)


def _stays(count: int, arrival_hour: float, stated_h: float, actual_h: float) -> list[CompletedStay]:
    """`count` weekday stays, one per week, arriving at the same hour with the same stated and real length."""
    stays = []
    for week in range(count):
        arrival = MONDAY - timedelta(weeks=week + 1) + timedelta(hours=arrival_hour)
        stays.append(
            CompletedStay(arrival, arrival + timedelta(hours=stated_h), arrival + timedelta(hours=actual_h))
        )
    return stays


@st.composite
def completed_stays(draw: st.DrawFn) -> CompletedStay:
    arrival = MONDAY + timedelta(minutes=draw(st.integers(-3 * 24 * 60, 3 * 24 * 60)))
    stated = draw(st.one_of(st.none(), st.integers(5, 14 * 60)))
    stay = draw(st.integers(5, 14 * 60))
    return CompletedStay(
        arrival,
        None if stated is None else arrival + timedelta(minutes=stated),
        arrival + timedelta(minutes=stay),
    )


@settings(max_examples=200, deadline=None)
@given(
    history=st.lists(completed_stays(), max_size=60),
    own_stay_min=st.integers(5, 14 * 60),
    elapsed_min=st.integers(0, 14 * 60),
    stated_min=st.integers(5, 14 * 60),
    neighbours=st.integers(1, 30),
)
def test_an_outlook_never_uses_a_departure_that_had_not_happened_yet(
    history: list[CompletedStay], own_stay_min: int, elapsed_min: int, stated_min: int, neighbours: int
) -> None:
    arrival = MONDAY
    now = arrival + timedelta(minutes=elapsed_min)
    stated = arrival + timedelta(minutes=stated_min)
    # The car asking is still plugged in at `now`; its own real departure lies in the future.
    own = CompletedStay(arrival, stated, now + timedelta(minutes=own_stay_min))
    past = [s for s in history if s.departed <= now]
    with_future = DepartureModel([*history, own], neighbours=neighbours, min_history=3)
    past_only = DepartureModel(past, neighbours=neighbours, min_history=3)
    assert with_future.outlook(arrival, stated, now) == past_only.outlook(arrival, stated, now)


@settings(max_examples=200, deadline=None)
@given(history=st.lists(completed_stays(), min_size=10, max_size=60), elapsed_min=st.integers(0, 14 * 60))
def test_every_possible_departure_lies_after_now_and_comes_from_a_longer_stay(
    history: list[CompletedStay], elapsed_min: int
) -> None:
    arrival = MONDAY + timedelta(days=4)
    now = arrival + timedelta(minutes=elapsed_min)
    outlook = DepartureModel(history, min_history=1).outlook(arrival, None, now)
    if outlook is None:
        return
    assert all(h > 0 for h in outlook.remaining_hours)
    elapsed_h = elapsed_min / 60
    lengths = {round((s.departed - s.arrival).total_seconds() / 3600, 9) for s in history}
    assert all(round(h + elapsed_h, 9) in lengths for h in outlook.remaining_hours)


def test_too_little_history_gives_no_outlook_so_the_stated_departure_stands() -> None:
    model = DepartureModel(_stays(5, 8.0, 2.0, 9.0), min_history=10)
    assert (
        model.outlook(MONDAY + timedelta(hours=8), MONDAY + timedelta(hours=10), MONDAY + timedelta(hours=8))
        is None
    )


def test_morning_drivers_who_stay_all_day_are_expected_to_despite_a_short_estimate() -> None:
    history = _stays(12, 8.0, 2.0, 9.0) + _stays(12, 16.0, 2.0, 1.5)
    model = DepartureModel(history, neighbours=10)
    morning = MONDAY + timedelta(hours=8)
    evening = MONDAY + timedelta(hours=16)
    morning_outlook = model.outlook(morning, morning + timedelta(hours=2), morning)
    evening_outlook = model.outlook(evening, evening + timedelta(hours=2), evening)
    assert morning_outlook is not None and evening_outlook is not None
    assert morning_outlook.median_hours == pytest.approx(9.0)
    assert evening_outlook.median_hours == pytest.approx(1.5)


def test_a_car_still_here_is_judged_only_by_stays_that_lasted_as_long() -> None:
    history = _stays(10, 8.0, 4.0, 2.0) + _stays(10, 8.0, 4.0, 10.0)
    model = DepartureModel(history, neighbours=20)
    arrival = MONDAY + timedelta(hours=8)
    fresh = model.outlook(arrival, arrival + timedelta(hours=4), arrival)
    after_three_hours = model.outlook(arrival, arrival + timedelta(hours=4), arrival + timedelta(hours=3))
    assert fresh is not None and after_three_hours is not None
    assert sorted(set(fresh.remaining_hours)) == [2.0, 10.0]
    assert set(after_three_hours.remaining_hours) == {7.0}


def test_time_of_day_is_read_in_the_sites_time_zone() -> None:
    # 08:00 in Los Angeles is 16:00 UTC (standard time): local morning drivers stay all day.
    morning_local = _stays(10, 16.0, 2.0, 9.0)
    afternoon_local = _stays(10, 8.0 + 24.0, 2.0, 1.0)
    model = DepartureModel(morning_local + afternoon_local, time_zone="America/Los_Angeles", neighbours=10)
    arrival = MONDAY + timedelta(hours=16)
    outlook = model.outlook(arrival, arrival + timedelta(hours=2), arrival)
    assert outlook is not None
    assert outlook.median_hours == pytest.approx(9.0)


def test_a_stay_cannot_end_before_it_began() -> None:
    with pytest.raises(ValueError, match="before it began"):
        CompletedStay(MONDAY, None, MONDAY - timedelta(minutes=1))


def test_expected_presence_is_the_average_share_of_each_period_before_departure() -> None:
    outlook = DepartureOutlook((0.5, 1.5))
    presence = outlook.expected_presence(np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0]))
    assert presence == pytest.approx([0.75, 0.25, 0.0])
    assert DepartureOutlook.certain(2.0).expected_presence(np.array([1.5]), np.array([2.5])) == pytest.approx(
        [0.5]
    )


def test_an_outlook_rejects_departures_at_or_before_now_and_unsorted_ones() -> None:
    with pytest.raises(ValueError, match="after now"):
        DepartureOutlook((0.0, 1.0))
    with pytest.raises(ValueError, match="sorted"):
        DepartureOutlook((2.0, 1.0))
