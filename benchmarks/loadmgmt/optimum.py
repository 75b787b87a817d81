"""The offline perfect-hindsight optimum: one LP over the whole replay, knowing every arrival and departure.

It uses the same site model as the allocator with rates allowed to take any value (no pilot steps) and
fine polygon facets (1 degree, 0.004 % from the exact circles), so it is feasible and, up to that sliver,
an upper bound on what any scheduler can deliver on the same events.
"""

from __future__ import annotations

import time
from datetime import datetime

import numpy as np
from acn_replay import MAX_RATE_A, PERIOD_MINUTES, ReplayResult, laddhub_site, step_of
from sessions_data import RecordedSession

from laddhub.loadmgmt.linear_model import build_linear_model
from laddhub.loadmgmt.optimiser import PlanningProblem, solve_plan

FACET_SPACING_DEG = 1.0


def offline_optimum(
    site_name: str, capacity_kw: float, start: datetime, sessions: list[RecordedSession]
) -> ReplayResult:
    """Maximum deliverable energy on the recorded events, and the peak of that plan."""
    site = laddhub_site(site_name, capacity_kw)
    model = build_linear_model(site, FACET_SPACING_DEG)
    index = {evse_id: i for i, evse_id in enumerate(model.evse_ids)}
    arrivals = np.array([step_of(start, s.arrival) for s in sessions])
    departures = np.array([step_of(start, s.departure) for s in sessions])
    periods = int(departures.max())
    steps = np.arange(periods)
    availability = ((steps[None, :] >= arrivals[:, None]) & (steps[None, :] < departures[:, None])).astype(
        float
    )
    columns = np.array([index[s.station_id] for s in sessions])
    problem = PlanningProblem(
        matrix=model.matrix[:, columns],
        row_limits=np.repeat(model.static_limits[:, None], periods, axis=1),
        period_hours=np.full(periods, PERIOD_MINUTES / 60),
        availability=availability,
        cap=np.full(len(sessions), MAX_RATE_A),
        kw_per_unit=model.kw_per_unit[columns],
        energy_kwh=np.array([s.requested_kwh for s in sessions]),
        rank=np.zeros(len(sessions), dtype=np.int64),
        period_cost=np.zeros((len(sessions), periods)),
    )
    began = time.perf_counter()
    rates = solve_plan(problem, time_limit_s=3600.0, fair=False)
    wall = time.perf_counter() - began
    delivered = float((rates * problem.kw_per_unit[:, None] * problem.period_hours[None, :]).sum())
    requested = float(problem.energy_kwh.sum())
    power = (rates * problem.kw_per_unit[:, None]).sum(axis=0)
    return ReplayResult(
        algorithm="optimum",
        capacity_kw=capacity_kw,
        energy_pct=100.0 * delivered / requested,
        violations=0,
        peak_kw=float(power.max()),
        p50_ms=1000 * wall,
        p99_ms=1000 * wall,
        wall_s=wall,
    )
