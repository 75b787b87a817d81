"""The allocator: sessions, signals and meter data in; a safe limit per EVSE for now and a plan for later out.

`LoadAllocator.allocate` is a pure function of its request (it keeps no state between calls and reads no
clock), so the node can call it on every event (arrival, departure, meter reading, new signal) and get an
answer that already reflects the change. Each call:
1. reserves each charger's configured fallback rate where we cannot see it (no or stale meter data, or a
   load with no known session), because such a charger falls back to that rate on its own;
2. takes the grid limit for every planning period from the capacity signal, or from the operator's fallback
   capacity when the signal is stale;
3. solves the look-ahead plan with HiGHS (when enabled), then turns its first period into exactly feasible
   pilot rates with the online step, which also hands capacity released by slow vehicles to others.

Given a `DepartureModel` (the site's completed stays), the plan weighs every kWh by the probability that
the car is still plugged in when it would be delivered, instead of trusting each stated departure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np

from laddhub.loadmgmt.departures import DepartureModel, DepartureOutlook
from laddhub.loadmgmt.linear_model import FloatArray, LinearModel, build_linear_model
from laddhub.loadmgmt.online import StepDemand, online_step
from laddhub.loadmgmt.optimiser import PlanningFailed, PlanningProblem, solve_plan
from laddhub.loadmgmt.planning_periods import Period, planning_periods
from laddhub.loadmgmt.preferences import period_costs
from laddhub.loadmgmt.rate_grid import RateGrid
from laddhub.loadmgmt.sessions import PriorityPolicy, Session
from laddhub.loadmgmt.signals import CapacitySignal, CapacitySource, MeterReading, PriceSeries
from laddhub.loadmgmt.topology import Evse, Site

# A vehicle drawing this share of its limit or less is taking what it can, not what we allow.
_SELF_LIMITED_SHARE = 0.9
# Room left above a self-limited vehicle's draw so it can ramp up again before the next step sees it.
_RAMP_HEADROOM_SHARE = 0.1


class LimitReason(StrEnum):
    """Why an EVSE got its limit; fallbacks are reported so the node can alert an operator."""

    SCHEDULED = "scheduled"
    IDLE = "idle"
    FALLBACK_NO_METER_DATA = "fallback_no_meter_data"
    FALLBACK_STALE_METER_DATA = "fallback_stale_meter_data"
    FALLBACK_UNKNOWN_LOAD = "fallback_unknown_load"


@dataclass(frozen=True, slots=True)
class AllocatorSettings:
    """How a site is run; the defaults suit a public AC site with 5-minute control steps."""

    policy: PriorityPolicy = field(default_factory=PriorityPolicy.single)
    step: timedelta = timedelta(minutes=5)
    horizon: timedelta = timedelta(hours=12)
    use_look_ahead: bool = True
    meter_timeout: timedelta | None = None
    default_dwell: timedelta = timedelta(hours=4)
    planning_time_limit_s: float = 5.0
    facet_spacing_deg: float = 5.0
    overdue_stay: timedelta = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class AllocationRequest:
    """Everything known at `now`: plugged-in sessions, grid and price signals, the latest meter data."""

    now: datetime
    sessions: Sequence[Session]
    capacity: CapacitySignal | None = None
    prices: PriceSeries | None = None
    emissions: PriceSeries | None = None
    meter_readings: Mapping[str, MeterReading] = field(default_factory=dict)
    departure_model: DepartureModel | None = None


@dataclass(frozen=True, slots=True)
class ScheduleSlot:
    """A planned limit for one EVSE over [start, end), in the EVSE's native unit (A for AC, kW for DC)."""

    start: datetime
    end: datetime
    rate: float


@dataclass(frozen=True, slots=True)
class Allocation:
    """The answer of one allocation step."""

    at: datetime
    limits: Mapping[str, float]
    reasons: Mapping[str, LimitReason]
    schedules: Mapping[str, tuple[ScheduleSlot, ...]]
    capacity_source: CapacitySource
    used_look_ahead: bool


class LoadAllocator:
    """Allocates one site's capacity; build once per topology, call `allocate` at every event or step."""

    def __init__(self, site: Site, settings: AllocatorSettings | None = None) -> None:
        self.site = site
        self.settings = settings or AllocatorSettings()
        self.model: LinearModel = build_linear_model(site, self.settings.facet_spacing_deg)
        self._evses = site.evses
        self._index = {evse.id: i for i, evse in enumerate(self._evses)}
        self._grid = RateGrid(self._evses)

    def allocate(self, request: AllocationRequest) -> Allocation:
        """Per-EVSE limits for the next step and a schedule for the coming hours, never over any limit."""
        now = request.now
        settings = self.settings
        by_evse = self._sessions_by_evse(request.sessions)
        reasons = self._fallback_reasons(request, by_evse)
        fixed = np.zeros(len(self._evses))
        for evse_id in reasons:
            fixed[self._index[evse_id]] = self._evses[self._index[evse_id]].fallback_rate
        controlled = [s for evse_id, s in by_evse.items() if evse_id not in reasons]
        controlled.sort(key=lambda s: self._index[s.evse_id])
        outlooks = self._departure_outlooks(request, controlled)
        # The typical departure judges urgency; the latest possible one bounds what a plan may count on.
        departures = [now + timedelta(hours=o.median_hours) for o in outlooks]
        latest = [now + timedelta(hours=o.latest_hours) for o in outlooks]
        last_departure = max(latest, default=now + settings.step)
        periods = planning_periods(now, settings.step, min(now + settings.horizon, last_departure))
        limits_by_period, source = self._row_limits(request, periods, fixed)

        columns = np.array([self._index[s.evse_id] for s in controlled], dtype=np.int64)
        evses = tuple(self._evses[i] for i in columns)
        grid = self._grid.subset(columns)
        kwu = self.model.kw_per_unit[columns]
        step_hours = settings.step.total_seconds() / 3600.0
        energy = np.array(
            [math.inf if (e := s.remaining_energy_kwh()) is None else e for s in controlled], dtype=np.float64
        )
        cap = np.array(
            [
                self._rate_cap(s, evse, request.meter_readings.get(evse.id))
                for s, evse in zip(controlled, evses, strict=True)
            ],
            dtype=np.float64,
        )
        cap = np.where(energy <= 1e-9, 0.0, cap)
        # A limit below the charger's minimum would stop the car; one above its need is harmless: round up.
        step_cap = grid.at_least(np.minimum(cap, energy / np.maximum(kwu * step_hours, 1e-12)))
        classes = [settings.policy.class_of(s.priority_class) for s in controlled]
        rank = np.array([c.rank for c in classes], dtype=np.int64)
        guaranteed = np.array([c.guaranteed_kw for c in classes], dtype=np.float64) / np.maximum(kwu, 1e-12)
        hours_left = np.array([max((d - now).total_seconds() / 3600.0, step_hours) for d in departures])
        required = np.minimum(step_cap, energy / np.maximum(kwu * hours_left, 1e-12))
        # Laxity: hours to spare if charged flat out from now on; the least spare time is the most urgent.
        laxity = hours_left - np.where(np.isfinite(energy), energy, 0.0) / np.maximum(cap * kwu, 1e-12)

        plan: FloatArray | None = None
        if settings.use_look_ahead and controlled:
            availability = np.array([[p.share_before(d) for p in periods] for d in latest])
            problem = PlanningProblem(
                matrix=self.model.matrix[:, columns],
                row_limits=limits_by_period,
                period_hours=np.array([p.hours for p in periods]),
                availability=availability,
                presence=_presence(outlooks, periods, now, availability),
                cap=cap,
                kw_per_unit=kwu,
                energy_kwh=np.where(np.isfinite(energy), energy, cap * kwu * hours_left),
                rank=rank,
                period_cost=period_costs(
                    controlled, periods, now, request.prices, request.emissions, departures
                ),
            )
            plan = self._solve(problem)
        if plan is not None:
            target = np.minimum(plan[:, 0], step_cap)
            fill_beyond = target > 1e-6
        else:
            # A charger cannot run below its minimum rate, so a session needing less runs at the lowest
            # accepted rate for part of the time instead: round the required rate up to an accepted one.
            target = np.minimum(grid.at_least(required), step_cap)
            fill_beyond = np.ones(len(controlled), dtype=bool)
        demand = StepDemand(
            grid=grid,
            matrix=self.model.matrix[:, columns],
            slack=limits_by_period[:, 0],
            guaranteed=np.minimum(guaranteed, step_cap),
            target=target,
            cap=step_cap,
            rank=rank,
            fill_beyond_target=fill_beyond,
            urgency=laxity,
        )
        rates = online_step(demand)
        planned = None if plan is None else grid.at_most(plan)
        return self._answer(now, controlled, rates, planned, periods, reasons, fixed, source)

    def _departure_outlooks(
        self, request: AllocationRequest, controlled: Sequence[Session]
    ) -> list[DepartureOutlook]:
        """When each car may leave: the model's outlook where it has one, else the stated departure."""
        now, settings = request.now, self.settings
        outlooks = []
        for session in controlled:
            outlook = None
            if request.departure_model is not None:
                outlook = request.departure_model.outlook(session.arrival, session.stated_departure, now)
            if outlook is None:
                departure = session.expected_departure(now, settings.default_dwell, settings.overdue_stay)
                outlook = DepartureOutlook.certain(max((departure - now).total_seconds() / 3600.0, 1e-9))
            outlooks.append(outlook)
        return outlooks

    def _solve(self, problem: PlanningProblem) -> FloatArray | None:
        """The look-ahead plan, or None when HiGHS gives none in time (the online step then plans alone)."""
        try:
            return solve_plan(problem, self.settings.planning_time_limit_s)
        except PlanningFailed:
            return None

    def _sessions_by_evse(self, sessions: Sequence[Session]) -> dict[str, Session]:
        by_evse: dict[str, Session] = {}
        for session in sessions:
            if session.evse_id not in self._index:
                raise ValueError(
                    f"session {session.id!r} is on EVSE {session.evse_id!r}, "
                    f"which is not part of site {self.site.id!r}"
                )
            if session.evse_id in by_evse:
                raise ValueError(
                    f"sessions {by_evse[session.evse_id].id!r} and {session.id!r} "
                    f"are both on EVSE {session.evse_id!r}"
                )
            by_evse[session.evse_id] = session
        return by_evse

    def _fallback_reasons(
        self, request: AllocationRequest, by_evse: Mapping[str, Session]
    ) -> dict[str, LimitReason]:
        """EVSEs we cannot see or control reliably, which therefore run on their fallback rate."""
        timeout = self.settings.meter_timeout
        reasons: dict[str, LimitReason] = {}
        for evse in self._evses:
            reading = request.meter_readings.get(evse.id)
            fresh = reading is not None and (timeout is None or request.now - reading.measured_at <= timeout)
            session = by_evse.get(evse.id)
            if session is None:
                if fresh and reading is not None and reading.rate > 1e-6:
                    reasons[evse.id] = LimitReason.FALLBACK_UNKNOWN_LOAD
                continue
            if timeout is None or fresh:
                continue
            if reading is None:
                if request.now - session.arrival > timeout:
                    reasons[evse.id] = LimitReason.FALLBACK_NO_METER_DATA
            else:
                reasons[evse.id] = LimitReason.FALLBACK_STALE_METER_DATA
        return reasons

    def _rate_cap(self, session: Session, evse: Evse, reading: MeterReading | None) -> float:
        """The most this session can use: the charger, the vehicle, and what the vehicle showed it takes."""
        cap = evse.max_rate
        if session.vehicle_max_kw is not None:
            cap = min(cap, session.vehicle_max_kw / evse.kw_per_unit)
        limit_in_force = None if reading is None else reading.limit_in_force
        if reading is not None and limit_in_force and reading.rate < _SELF_LIMITED_SHARE * limit_in_force:
            cap = min(cap, reading.rate + _RAMP_HEADROOM_SHARE * evse.max_rate)
        return max(cap, 0.0)

    def _row_limits(
        self, request: AllocationRequest, periods: Sequence[Period], fixed: FloatArray
    ) -> tuple[FloatArray, CapacitySource]:
        """Row bounds for every planning period (rows x periods), after the loads we do not control."""
        uncontrolled = self.model.matrix @ fixed
        signal = request.capacity
        columns: list[FloatArray] = []
        for period in periods:
            if signal is None:
                limits = self.model.static_limits
            else:
                capacity = signal.tightest_between(period.start, period.end, request.now)
                limits = self.model.limits_with(self.site.root.id, capacity.phase_limits, capacity.power_kw)
            columns.append(limits - uncontrolled)
        source = CapacitySource.NONE if signal is None else signal.limit_at(request.now, request.now)[1]
        return np.column_stack(columns), source

    def _answer(
        self,
        now: datetime,
        controlled: Sequence[Session],
        rates: FloatArray,
        plan: FloatArray | None,
        periods: Sequence[Period],
        reasons: Mapping[str, LimitReason],
        fixed: FloatArray,
        source: CapacitySource,
    ) -> Allocation:
        limits: dict[str, float] = {}
        all_reasons: dict[str, LimitReason] = {}
        schedules: dict[str, tuple[ScheduleSlot, ...]] = {}
        first = periods[0]
        for evse in self._evses:
            limits[evse.id] = 0.0
            all_reasons[evse.id] = LimitReason.IDLE
        for evse_id, reason in reasons.items():
            limits[evse_id] = float(fixed[self._index[evse_id]])
            all_reasons[evse_id] = reason
            schedules[evse_id] = (ScheduleSlot(first.start, first.end, limits[evse_id]),)
        for i, session in enumerate(controlled):
            evse = self._evses[self._index[session.evse_id]]
            limits[evse.id] = float(rates[i])
            all_reasons[evse.id] = LimitReason.SCHEDULED
            slots = [ScheduleSlot(first.start, first.end, float(rates[i]))]
            if plan is not None:
                for t, period in enumerate(periods[1:], start=1):
                    if plan[i, t] > 1e-9 or slots[-1].rate > 0:
                        slots.append(ScheduleSlot(period.start, period.end, float(plan[i, t])))
            schedules[evse.id] = tuple(slots)
        return Allocation(
            at=now,
            limits=limits,
            reasons=all_reasons,
            schedules=schedules,
            capacity_source=source,
            used_look_ahead=plan is not None,
        )


def _presence(
    outlooks: Sequence[DepartureOutlook], periods: Sequence[Period], now: datetime, availability: FloatArray
) -> FloatArray | None:
    """Probability that each car is still plugged in during each period it may use (sessions x periods).

    It is the expected share of the period the car is present, relative to the share the plan may use
    (up to its latest possible departure). None when every departure is certain: each weight would be 1.
    """
    if all(o.is_certain for o in outlooks):
        return None
    starts = np.array([(p.start - now).total_seconds() / 3600.0 for p in periods])
    ends = np.array([(p.end - now).total_seconds() / 3600.0 for p in periods])
    expected = np.array([o.expected_presence(starts, ends) for o in outlooks])
    ratio: FloatArray = np.where(availability > 1e-12, expected / np.maximum(availability, 1e-12), 0.0)
    return np.clip(ratio, 0.0, 1.0)
