"""The look-ahead (model-predictive) plan: a linear programme over the coming hours, solved with HiGHS.

Variables are the average rate r[i, t] of session i in planning period t and, per session, three energy
segments y[i, s] of a third of its remaining need each. The constraints are the site's linear rows in every
period, each session's rate cap scaled by the share of the period it is still plugged in, and
sum_t r[i, t] * kW/unit_i * hours_t = sum_s y[i, s]. The objective is lexicographic over priority classes:
class by class, in rank order, maximise sum_s w_s y[i, s] with w = (1.02, 1.01, 1.00) (a kWh that brings a
session to a third of its need is worth slightly more than one that completes it, which spreads energy
fairly within the class without giving up total energy), minus a small per-kWh cost for the hour used (its
price and lateness, weighted by the driver's profile). After each class is solved its weighted energy is
fixed by a constraint so that lower classes cannot take from it. Only the first period is executed; the plan
is solved again at the next step with fresh data.

When departures are uncertain, `presence[i, t]` is the probability that session i is still plugged in during
period t. The segments then count expected energy, sum_t presence * kW/unit * hours * r, while a separate row
keeps the planned energy within the need: a kWh planned for late in a stay is worth only as much as the chance
the car is still there to take it, so capacity goes first to the cars most likely to leave.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SEGMENT_WEIGHTS = (1.02, 1.01, 1.00)
_LOCK_RELATIVE_TOLERANCE = 1e-7
_LOCK_ABSOLUTE_TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class PlanningProblem:
    """Arrays describing one look-ahead problem; sessions index the rows of the per-session arrays.

    `matrix` is rows x sessions (the linear model restricted to the sessions' EVSEs) and `row_limits` is
    rows x periods (limits after uncontrolled loads). `period_cost` is sessions x periods, a small cost per
    kWh (well below the 0.01 fairness steps) expressing price and lateness preferences. `presence`
    (sessions x periods, in [0, 1]) weighs each period's energy by the probability the car is still there;
    None means every departure is certain.
    """

    matrix: FloatArray
    row_limits: FloatArray
    period_hours: FloatArray
    availability: FloatArray
    cap: FloatArray
    kw_per_unit: FloatArray
    energy_kwh: FloatArray
    rank: IntArray
    period_cost: FloatArray
    presence: FloatArray | None = None


class PlanningFailed(RuntimeError):
    """HiGHS returned no optimal plan (time limit, numerical trouble); the caller plans without look-ahead."""


def solve_plan(problem: PlanningProblem, time_limit_s: float = 5.0, fair: bool = True) -> FloatArray:
    """Optimal average rates per session and period (sessions x periods), in each EVSE's native unit.

    With `fair=False` every kWh weighs the same: the plain energy maximum, used as a benchmark bound.
    """
    sessions, periods = problem.availability.shape
    if sessions == 0 or periods == 0:
        return np.zeros((sessions, periods))
    layout = _Layout(problem)
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(time_limit_s))
    highs.passModel(layout.lp())
    weights = np.array(SEGMENT_WEIGHTS) if fair else np.ones(len(SEGMENT_WEIGHTS))
    segment_weights = np.tile(weights, sessions)
    for rank in sorted(set(int(r) for r in problem.rank)):
        in_class = np.repeat(problem.rank == rank, len(SEGMENT_WEIGHTS))
        costs = np.concatenate([layout.rate_cost, np.where(in_class, -segment_weights, 0.0)])
        highs.changeColsCost(layout.num_cols, np.arange(layout.num_cols, dtype=np.int32), costs)
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise PlanningFailed(f"HiGHS stopped with {highs.modelStatusToString(highs.getModelStatus())}")
        values = np.array(highs.getSolution().col_value)
        segment_values = values[layout.num_rate_cols :]
        achieved = float(np.sum(np.where(in_class, segment_weights, 0.0) * segment_values))
        floor = achieved - max(_LOCK_ABSOLUTE_TOLERANCE, _LOCK_RELATIVE_TOLERANCE * abs(achieved))
        lock_columns = np.flatnonzero(in_class) + layout.num_rate_cols
        highs.addRow(
            floor,
            highspy.kHighsInf,
            len(lock_columns),
            lock_columns.astype(np.int32),
            segment_weights[in_class],
        )
    if fair:
        values = _even_out_first_period(highs, layout, values)
    rates = np.zeros((sessions, periods))
    rates[layout.rate_session, layout.rate_period] = values[: layout.num_rate_cols]
    return np.maximum(rates, 0.0)


def _even_out_first_period(highs: highspy.Highs, layout: _Layout, values: FloatArray) -> FloatArray:
    """Among equally good plans, pick the one whose first period is shared most evenly within each class.

    The energy objective leaves it open *when* equally placed sessions charge, so a solver may run one car
    flat out now and its twin later. Only the first period is executed, so that arbitrary choice would be
    what the chargers get. A last stage keeps each class's locked energy and its first-period total and
    minimises, per class, the largest share of its cap that any session uses now.
    """
    problem = layout.problem
    first = np.flatnonzero(layout.rate_period == 0)
    if first.size == 0:
        return values
    ranks = sorted(set(int(r) for r in problem.rank[layout.rate_session[first]]))
    level_columns = {rank: highs.getNumCol() + k for k, rank in enumerate(ranks)}
    for _ in ranks:
        highs.addCol(1.0, 0.0, 1.0, 0, np.array([], dtype=np.int32), np.array([], dtype=np.float64))
    zero_costs = np.zeros(layout.num_cols)
    highs.changeColsCost(layout.num_cols, np.arange(layout.num_cols, dtype=np.int32), zero_costs)
    for rank in ranks:
        members = first[problem.rank[layout.rate_session[first]] == rank]
        kw = layout.kwh_per_unit[members] / problem.period_hours[0]
        total = float(np.sum(values[members] * kw))
        floor = total - max(_LOCK_ABSOLUTE_TOLERANCE, _LOCK_RELATIVE_TOLERANCE * abs(total))
        highs.addRow(floor, highspy.kHighsInf, len(members), members.astype(np.int32), kw)
        sessions = layout.rate_session[members]
        upper = problem.cap[sessions] * problem.availability[sessions, 0]
        bounded = members[upper > 1e-9]
        upper = upper[upper > 1e-9]
        # One row per session: rate_now - upper * level <= 0.
        indices = np.column_stack([bounded, np.full(len(bounded), level_columns[rank])]).reshape(-1)
        coefficients = np.column_stack([np.ones(len(bounded)), -upper]).reshape(-1)
        highs.addRows(
            len(bounded),
            np.full(len(bounded), -highspy.kHighsInf),
            np.zeros(len(bounded)),
            len(indices),
            np.arange(0, len(indices), 2, dtype=np.int32),
            indices.astype(np.int32),
            coefficients,
        )
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return values
    return np.array(highs.getSolution().col_value)[: layout.num_cols]


class _Layout:
    """Column and row numbering of the LP, built once per solve with numpy (no per-entry Python loops)."""

    def __init__(self, problem: PlanningProblem) -> None:
        self.problem = problem
        sessions, _periods = problem.availability.shape
        available = problem.availability > 1e-9
        self.rate_session, self.rate_period = np.nonzero(available)
        self.num_rate_cols = len(self.rate_session)
        self.num_cols = self.num_rate_cols + sessions * len(SEGMENT_WEIGHTS)
        kwh_per_unit = problem.kw_per_unit[self.rate_session] * problem.period_hours[self.rate_period]
        self.kwh_per_unit = kwh_per_unit
        self.rate_cost = problem.period_cost[self.rate_session, self.rate_period] * kwh_per_unit

    def lp(self) -> highspy.HighsLp:
        problem = self.problem
        sessions, periods = problem.availability.shape
        segments = len(SEGMENT_WEIGHTS)
        finite_rows = np.flatnonzero(np.isfinite(problem.row_limits).all(axis=1))
        used = np.abs(problem.matrix[finite_rows]) > 1e-12
        network_rows = finite_rows[used.any(axis=1)]
        # Row numbering: network rows (row k of the model in period t) first, then one energy row per session.
        network_index = -np.ones((problem.matrix.shape[0], periods), dtype=np.int64)
        network_index[network_rows, :] = np.arange(len(network_rows) * periods).reshape(
            len(network_rows), periods
        )
        num_network = len(network_rows) * periods
        entries_rows: list[IntArray] = []
        entries_cols: list[IntArray] = []
        entries_vals: list[FloatArray] = []
        columns = np.arange(self.num_rate_cols)
        for k in network_rows:
            coefficients = problem.matrix[k, self.rate_session]
            nonzero = np.abs(coefficients) > 1e-12
            entries_rows.append(network_index[k, self.rate_period[nonzero]])
            entries_cols.append(columns[nonzero])
            entries_vals.append(coefficients[nonzero])
        entries_rows.append(num_network + self.rate_session)
        entries_cols.append(columns)
        # With uncertain departures the segments count expected energy, and one more row per session keeps
        # the energy actually planned within its need.
        uncertain = problem.presence is not None
        if problem.presence is None:
            entries_vals.append(self.kwh_per_unit)
        else:
            entries_vals.append(self.kwh_per_unit * problem.presence[self.rate_session, self.rate_period])
            entries_rows.append(num_network + sessions + self.rate_session)
            entries_cols.append(columns)
            entries_vals.append(self.kwh_per_unit)
        need_rows = sessions if uncertain else 0
        segment_cols = self.num_rate_cols + np.arange(sessions * segments)
        entries_rows.append(num_network + np.repeat(np.arange(sessions), segments))
        entries_cols.append(segment_cols)
        entries_vals.append(-np.ones(sessions * segments))
        rows = np.concatenate(entries_rows)
        cols = np.concatenate(entries_cols)
        vals = np.concatenate(entries_vals)
        order = np.lexsort((rows, cols))
        rows, cols, vals = rows[order], cols[order], vals[order]
        starts = np.searchsorted(cols, np.arange(self.num_cols + 1))

        lp = highspy.HighsLp()
        lp.num_col_ = self.num_cols
        lp.num_row_ = num_network + sessions + need_rows
        lp.col_cost_ = np.zeros(self.num_cols)
        rate_upper = (
            problem.cap[self.rate_session] * problem.availability[self.rate_session, self.rate_period]
        )
        segment_upper = np.repeat(np.maximum(problem.energy_kwh, 0.0) / segments, segments)
        lp.col_lower_ = np.zeros(self.num_cols)
        lp.col_upper_ = np.concatenate([rate_upper, segment_upper])
        network_upper = np.maximum(problem.row_limits[network_rows, :], 0.0).reshape(-1)
        need = np.maximum(problem.energy_kwh, 0.0)[:need_rows]
        lp.row_lower_ = np.concatenate(
            [
                np.full(num_network, -highspy.kHighsInf),
                np.zeros(sessions),
                np.full(need_rows, -highspy.kHighsInf),
            ]
        )
        lp.row_upper_ = np.concatenate([network_upper, np.zeros(sessions), need])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = starts.astype(np.int32)
        lp.a_matrix_.index_ = rows.astype(np.int32)
        lp.a_matrix_.value_ = vals
        return lp
