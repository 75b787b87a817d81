"""Rounding to the rates chargers accept, for many chargers at once."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from laddhub.loadmgmt.rate_grid import RateGrid
from laddhub.loadmgmt.topology import CurrentType, Evse, Wiring

CONTINUOUS = Evse("C", Wiring.L1, CurrentType.AC, 230.0, 6.0, 32.0, 6.0)
STEPPED = Evse("S", Wiring.L1, CurrentType.AC, 230.0, 8.0, 32.0, 8.0, (8.0, 16.0, 24.0, 32.0))
GRID = RateGrid([CONTINUOUS, STEPPED])


def _accepted(evse: Evse, rate: float) -> bool:
    if rate == 0:
        return True
    if evse.pilot_steps:
        return rate in evse.pilot_steps
    return evse.min_rate <= rate <= evse.max_rate and abs(rate * 10 - round(rate * 10)) < 1e-6


def test_examples_of_rounding_down_up_and_to_the_next_step() -> None:
    assert GRID.at_most(np.array([20.07, 20.07])).tolist() == [20.0, 16.0]
    assert GRID.at_most(np.array([5.9, 7.9])).tolist() == [0.0, 0.0]
    assert GRID.at_least(np.array([20.07, 17.0])).tolist() == [20.1, 24.0]
    assert GRID.at_least(np.array([2.0, 40.0])).tolist() == [6.0, 32.0]
    above = GRID.next_above(np.array([32.0, 32.0]))
    assert np.isnan(above).all()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0.0, 40.0), min_size=2, max_size=2))
def test_rounded_rates_are_accepted_and_on_the_right_side(values: list[float]) -> None:
    array = np.array(values)
    down, up = GRID.at_most(array), GRID.at_least(array)
    for evse, value, low, high in zip((CONTINUOUS, STEPPED), values, down, up, strict=True):
        assert _accepted(evse, float(low)) and _accepted(evse, float(high))
        assert low <= value + 1e-6
        assert high >= min(value, evse.max_rate) - 1e-6


def test_a_grid_works_on_plans_with_one_column_per_period() -> None:
    plan = np.array([[3.0, 12.34, 40.0], [9.0, 23.9, 0.0]])
    assert GRID.at_most(plan).tolist() == [[0.0, 12.3, 32.0], [8.0, 16.0, 0.0]]
    assert GRID.subset(np.array([1])).at_most(np.array([25.0])).tolist() == [24.0]
