"""The online step: exactly feasible per-EVSE rates for the next interval, fast enough for large sites.

It fills rates in passes, each pass in priority-class order: first every class's guaranteed minimum, then
each session's target (the look-ahead plan's rate, or without a plan the rate that finishes the session by
its departure), then whatever is left up to what each vehicle can take. Within a pass, members of a class
rise together in proportion to what they still lack (so they reach their goals at the same moment: fair),
and when a limit binds, the sessions that load it stop rising while the others go on. Rates are then rounded
down to the charger's pilot steps, any limit a rounding may have upset (possible when phase angles make a
reduction raise another line's current) is repaired, and leftovers go out step by step in priority order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from laddhub.loadmgmt.rate_grid import RateGrid

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class StepDemand:
    """What the controllable sessions want for one interval, one entry per session (native units).

    `matrix` holds the linear model's columns for these sessions' EVSEs, `slack` the room each row has after
    loads the allocator does not control (EVSEs on their fallback limit). `urgency` orders sessions within a
    class when whole pilot steps are handed out: lower is more urgent (the allocator passes the laxity).
    """

    grid: RateGrid
    matrix: FloatArray
    slack: FloatArray
    guaranteed: FloatArray
    target: FloatArray
    cap: FloatArray
    rank: IntArray
    fill_beyond_target: BoolArray
    urgency: FloatArray


def online_step(demand: StepDemand) -> FloatArray:
    """Rates (one per session) that respect every row of the linear model and every charger's pilot steps."""
    count = len(demand.cap)
    rates = np.zeros(count, dtype=np.float64)
    if count == 0:
        return rates
    matrix = demand.matrix
    # Leave a hair of room so that floating-point sums never end up above a limit.
    finite = np.isfinite(demand.slack)
    slack = np.where(
        finite, demand.slack - _EPS * np.maximum(1.0, np.abs(np.where(finite, demand.slack, 0.0))), np.inf
    )
    ranks = sorted(set(int(r) for r in demand.rank))
    cap = np.maximum(demand.cap, 0.0)
    guaranteed = np.minimum(demand.guaranteed, cap)
    target = np.minimum(np.maximum(demand.target, guaranteed), cap)
    beyond_goal = np.where(demand.fill_beyond_target, cap, target)
    for goal in (guaranteed, target, beyond_goal):
        for rank in ranks:
            members = demand.rank == rank
            slack = _fill(matrix, slack, rates, members, goal)
    continuous = rates.copy()
    rates[:] = demand.grid.at_most(rates)
    slack = demand.slack - matrix @ rates
    _repair(demand, rates, slack)
    # Rounding down lost what lay between pilot steps (everything, for shares below a charger's minimum):
    # give it back as whole steps, first up to each fair share, then up to targets, then beyond.
    fair_share = np.minimum(_up_to_next_step(demand.grid, continuous, continuous), cap)
    last_goal = np.minimum(_up_to_next_step(demand.grid, target, beyond_goal), cap)
    for goal in (fair_share, target, last_goal):
        slack = _hand_out_leftovers(demand, rates, slack, goal)
    return rates


def _fill(
    matrix: FloatArray, slack: FloatArray, rates: FloatArray, members: BoolArray, goal: FloatArray
) -> FloatArray:
    """Raise `members` towards `goal` together; returns the remaining slack and updates `rates` in place."""
    active = members & (goal > rates + _EPS)
    while active.any():
        direction = np.where(active, goal - rates, 0.0)
        load = matrix @ direction
        rising = load > _EPS
        fraction = 1.0
        if rising.any():
            fraction = min(1.0, float(np.min(np.maximum(slack[rising], 0.0) / load[rising])))
        rates += fraction * direction
        slack = slack - fraction * load
        if fraction >= 1.0:
            break
        bound = rising & (slack <= _EPS * np.maximum(1.0, load))
        blocked = (matrix[bound] > _EPS).any(axis=0)
        if not blocked.any():
            break
        active &= ~blocked
        active &= goal > rates + _EPS
    return slack


def _repair(demand: StepDemand, rates: FloatArray, slack: FloatArray) -> None:
    """Lower the least-prioritised contributors of any overloaded row until no row is overloaded."""
    matrix = demand.matrix
    while True:
        worst = int(np.argmin(slack))
        if slack.size == 0 or slack[worst] >= -_EPS:
            return
        contributing = (matrix[worst] > _EPS) & (rates > 0)
        if not contributing.any():
            # Only uncontrolled loads overload this row; nothing the allocator sets can help further.
            return
        candidates = np.flatnonzero(contributing)
        order = sorted(candidates, key=lambda i: (-int(demand.rank[i]), -matrix[worst, i] * rates[i]))
        chosen = int(order[0])
        grid = demand.grid.subset(np.array([chosen]))
        wanted = rates[chosen] + slack[worst] / matrix[worst, chosen]
        lowered = float(grid.at_most(np.array([max(0.0, wanted - _EPS)]))[0])
        if lowered >= rates[chosen]:
            lowered = float(grid.at_most(np.array([rates[chosen] - 1e-6]))[0])
        slack -= matrix[:, chosen] * (lowered - rates[chosen])
        rates[chosen] = lowered


def _hand_out_leftovers(
    demand: StepDemand, rates: FloatArray, slack: FloatArray, goal: FloatArray
) -> FloatArray:
    """Give each session, by priority and most urgent first, the highest accepted rate up to `goal`.

    Raises are worked out for every waiting session at once from the current room; the longest run of them,
    in priority order, that fits together is applied, and the rest are worked out again from what is left.
    """
    matrix = demand.matrix
    wanting = np.flatnonzero(goal > rates + 1e-6)
    order = wanting[np.lexsort((demand.urgency[wanting], demand.rank[wanting]))]
    while order.size:
        columns = matrix[:, order]
        loaded = columns > _EPS
        room = np.where(loaded, np.maximum(slack, 0.0)[:, None] / np.where(loaded, columns, 1.0), np.inf).min(
            axis=0
        )
        proposal = demand.grid.subset(order).at_most(np.minimum(goal[order], rates[order] + room))
        gain = proposal - rates[order]
        rising = gain > 1e-9
        order, gain, columns = order[rising], gain[rising], columns[:, rising]
        if not order.size:
            break
        used = np.cumsum(columns * gain, axis=1)
        fits = (used <= slack[:, None] + _EPS).all(axis=0)
        count = len(order) if fits.all() else int(np.argmin(fits))
        if count:
            rates[order[:count]] += gain[:count]
            slack = slack - used[:, count - 1]
        # The first raise that did not fit is reconsidered with the room now left; if it was first in line
        # (its rounding did not fit), it is dropped so that the loop always moves on.
        order = order[count:] if count else order[1:]
    return slack


def _up_to_next_step(grid: RateGrid, target: FloatArray, beyond: FloatArray) -> FloatArray:
    """Goals for the last pass: the next accepted rate above a positive target, so rounding loses nothing."""
    exact = grid.at_most(target)
    above = grid.next_above(exact)
    rounded_off = (target > _EPS) & (beyond <= target + _EPS) & (exact + _EPS < target)
    raised = np.where(np.isnan(above), target, np.minimum(above, grid.max_rate))
    return np.where(rounded_off, raised, beyond)
