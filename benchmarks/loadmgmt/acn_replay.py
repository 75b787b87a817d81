"""Replay recorded sessions inside acnportal's simulator, with its algorithms or ours through an adapter."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
from acnportal import acnsim, algorithms
from acnportal.acnsim.network.sites import caltech_acn, jpl_acn
from sessions_data import RecordedSession
from sites import VOLTAGE, caltech, jpl

from laddhub.loadmgmt.allocator import AllocationRequest, AllocatorSettings, LoadAllocator
from laddhub.loadmgmt.departures import CompletedStay, DepartureModel
from laddhub.loadmgmt.sessions import Session
from laddhub.loadmgmt.topology import Site

PERIOD_MINUTES = 5
MAX_RATE_A = 32.0


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """Figures of one algorithm on one capacity."""

    algorithm: str
    capacity_kw: float
    energy_pct: float
    violations: int
    peak_kw: float
    p50_ms: float
    p99_ms: float
    wall_s: float


def laddhub_site(site: str, capacity_kw: float) -> Site:
    """Our topology of the named ACN site."""
    return caltech(capacity_kw) if site == "caltech" else jpl(capacity_kw)


def acn_network(site: str, capacity_kw: float) -> Any:
    """acnportal's own network model of the named site."""
    if site == "caltech":
        return caltech_acn(basic_evse=False, voltage=VOLTAGE, transformer_cap=capacity_kw)
    return jpl_acn(basic_evse=False, voltage=VOLTAGE, third_fourth_transformer_cap=capacity_kw)


def step_of(start: datetime, at: datetime) -> int:
    """The simulator step an instant falls into."""
    return int((at - start).total_seconds() // (PERIOD_MINUTES * 60))


def replayable(
    sessions: list[RecordedSession], start: datetime, station_ids: set[str]
) -> list[RecordedSession]:
    """Sessions the simulator can replay: on a known station, lasting a step, not overlapping on a station."""
    kept: list[RecordedSession] = []
    busy_until: dict[str, int] = {}
    for s in sessions:
        arrival, departure = step_of(start, s.arrival), step_of(start, s.departure)
        if s.station_id not in station_ids or departure <= arrival or s.requested_kwh <= 0:
            continue
        if busy_until.get(s.station_id, -1) > arrival:
            continue
        busy_until[s.station_id] = departure
        kept.append(s)
    return kept


class Departures(StrEnum):
    """What our allocator is told about when cars leave."""

    # The drivers' estimates plus a model learned from the stays that have ended so far, as in production.
    LEARNED = "learned"
    # The drivers' estimates alone, as acnportal's schedulers get them.
    STATED = "stated"
    # The true departures: a diagnostic of what the estimates' errors cost, never a result.
    KNOWN = "known"


class LaddhubScheduler(algorithms.BaseAlgorithm):  # type: ignore[misc]
    """Our allocator entering acnportal's simulator: SessionInfo in, one-step pilot signals out.

    It plans with the drivers' estimated departures, as acnportal's own schedulers do, and with `LEARNED`
    also with a `DepartureModel` of the stays completed so far: the adapter reads each unplug from the
    simulator's event history once the simulator has processed it, i.e. once the car has left, as the CPO
    node learns it from the session's end. `KNOWN` hands it the true departures instead.
    """

    def __init__(
        self, site: Site, start: datetime, settings: AllocatorSettings, departures: Departures
    ) -> None:
        super().__init__()
        self.departures = departures
        self.allocator = LoadAllocator(site, settings)
        self.time_zone = site.time_zone
        self.start = start
        self.max_recompute = 1
        self.completed: list[CompletedStay] = []
        self._events_read = 0

    def _at(self, step: float) -> datetime:
        return self.start + timedelta(minutes=PERIOD_MINUTES * float(step))

    def _departure_model(self) -> DepartureModel:
        """The model of every stay that has ended by now, read from the unplugs processed so far."""
        history = self.interface._simulator.event_history
        for event in history[self._events_read :]:
            if event.event_type == "Unplug":
                ev = event.ev
                # The unplug's own time, not the EV's recorded departure: what the node sees happen.
                self.completed.append(
                    CompletedStay(
                        self._at(ev.arrival), self._at(ev.estimated_departure), self._at(event.timestamp)
                    )
                )
        self._events_read = len(history)
        return DepartureModel(self.completed, time_zone=self.time_zone)

    def schedule(self, active_sessions: list[Any]) -> dict[str, list[float]]:
        now = self._at(self.interface.current_time)
        known = self.departures is Departures.KNOWN
        model = self._departure_model() if self.departures is Departures.LEARNED else None
        sessions = [
            Session(
                id=info.session_id,
                evse_id=info.station_id,
                arrival=self._at(info.arrival),
                departure=self._at(info.departure if known else info.estimated_departure),
                energy_needed_kwh=max(0.0, info.remaining_demand),
                energy_delivered_kwh=info.energy_delivered,
            )
            for info in active_sessions
        ]
        request = AllocationRequest(now=now, sessions=sessions, departure_model=model)
        allocation = self.allocator.allocate(request)
        return {info.station_id: [allocation.limits[info.station_id]] for info in active_sessions}


def acnportal_algorithm(name: str) -> Any:
    """acnportal's baseline schedulers by our short names."""
    if name == "uncontrolled":
        return algorithms.UncontrolledCharging()
    if name == "fcfs":
        return algorithms.SortedSchedulingAlgo(algorithms.first_come_first_served)
    if name == "edf":
        return algorithms.SortedSchedulingAlgo(algorithms.earliest_deadline_first)
    if name == "llf":
        return algorithms.SortedSchedulingAlgo(algorithms.least_laxity_first)
    if name == "round_robin":
        return algorithms.RoundRobin(algorithms.first_come_first_served)
    raise ValueError(f"unknown algorithm {name!r}")


def run_in_simulator(
    site_name: str,
    capacity_kw: float,
    algorithm: str,
    start: datetime,
    sessions: list[RecordedSession],
    departures: Departures = Departures.LEARNED,
) -> ReplayResult:
    """Replay `sessions` with one algorithm and measure delivery, violations, peak and scheduler time."""
    network = acn_network(site_name, capacity_kw)
    events = []
    for s in sessions:
        arrival, departure = step_of(start, s.arrival), step_of(start, s.departure)
        estimated = min(max(step_of(start, s.estimated_departure), arrival + 1), 10**7)
        battery = acnsim.Battery(
            capacity=s.requested_kwh, init_charge=0, max_power=MAX_RATE_A * VOLTAGE / 1000
        )
        ev = acnsim.EV(arrival, departure, s.requested_kwh, s.station_id, s.session_id, battery, estimated)
        events.append(acnsim.PluginEvent(arrival, ev))
    if algorithm == "laddhub":
        site = laddhub_site(site_name, capacity_kw)
        scheduler = LaddhubScheduler(site, start, AllocatorSettings(), departures)
    else:
        scheduler = acnportal_algorithm(algorithm)
    simulator = acnsim.Simulator(
        network, scheduler, acnsim.EventQueue(events), start, period=PERIOD_MINUTES, verbose=False
    )
    began = time.perf_counter()
    simulator.run()
    wall = time.perf_counter() - began
    requested = sum(ev.requested_energy for ev in simulator.ev_history.values())
    delivered = sum(ev.energy_delivered for ev in simulator.ev_history.values())
    rates = np.asarray(simulator.charging_rates)
    currents = np.abs(np.asarray(network.constraint_current(rates)))
    magnitudes = np.asarray(network.magnitudes)[:, None]
    over = currents > magnitudes * (1 + 1e-6) + 1e-4
    times = [1000 * s["solve_time"] for s in scheduler.solve_stats] or [math.nan]
    return ReplayResult(
        algorithm=algorithm,
        capacity_kw=capacity_kw,
        energy_pct=100.0 * delivered / requested,
        violations=int(over.any(axis=0).sum()),
        peak_kw=float(rates.sum(axis=0).max() * VOLTAGE / 1000) if rates.size else 0.0,
        p50_ms=float(np.percentile(times, 50)),
        p99_ms=float(np.percentile(times, 99)),
        wall_s=wall,
    )
