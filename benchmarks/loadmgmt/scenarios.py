"""Synthetic runs the ACN data cannot show: priority classes under a grid forecast, and a 10,000-EVSE fleet.

Both are seeded, so every run replays the same day. Vehicles are ideal: each draws the smaller of its limit,
its own maximum and what it still needs.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from laddhub.loadmgmt.allocator import AllocationRequest, AllocatorSettings, LoadAllocator
from laddhub.loadmgmt.audit import audit
from laddhub.loadmgmt.sessions import ChargingPreferences, PriorityClass, PriorityPolicy, ProfileType, Session
from laddhub.loadmgmt.signals import (
    CapacityBlock,
    CapacityForecast,
    CapacityLimit,
    CapacitySignal,
    PricePoint,
    PriceSeries,
)
from laddhub.loadmgmt.topology import Site
from laddhub.loadmgmt.topology_loading import site_from_mapping

STEP = timedelta(minutes=5)
CONGESTION_KW = 80.0
FALLBACK_KW = 100.0
DAY = datetime(2026, 11, 24, tzinfo=UTC)


def depot_site() -> Site:
    """Two 50 kW taxi bays, ten 11 kW fleet chargers and sixteen 7.4 kW public chargers on one connection."""
    public = [
        {
            "id": f"public-{k}",
            "wiring": ("L1", "L2", "L3")[k % 3],
            "max_rate": 32,
            "min_rate": 6,
            "fallback_rate": 6,
        }
        for k in range(16)
    ]
    fleet = [
        {"id": f"fleet-{k}", "wiring": "three-phase", "max_rate": 16, "min_rate": 6, "fallback_rate": 6}
        for k in range(10)
    ]
    taxi = [
        {
            "id": f"taxi-{k}",
            "wiring": "three-phase",
            "current_type": "DC",
            "max_rate": 50,
            "fallback_rate": 10,
        }
        for k in range(2)
    ]
    return site_from_mapping(
        {
            "id": "depot",
            "evse_defaults": {"voltage_v": 230},
            "root": {
                "id": "grid",
                "kind": "grid_connection",
                "phase_limit_a": 250,
                "power_limit_kw": 160,
                "children": [
                    {"id": "taxi-bays", "kind": "feeder", "power_limit_kw": 100, "evses": taxi},
                    {"id": "fleet-yard", "kind": "feeder", "phase_limit_a": 125, "evses": fleet},
                    {"id": "public-row", "kind": "feeder", "phase_limit_a": 160, "evses": public},
                ],
            },
        }
    )


@dataclass
class _Car:
    session: Session
    departure: datetime
    requested: float
    delivered: float = 0.0
    max_kw: float = 0.0


def _depot_cars(rng: random.Random) -> list[_Car]:
    cars: list[_Car] = []
    for bay in range(2):
        cursor = DAY + timedelta(hours=6, minutes=rng.randint(0, 20))
        while cursor < DAY + timedelta(hours=23):
            stay = timedelta(minutes=rng.randint(30, 50))
            need = rng.uniform(10, 20)
            cars.append(_car(f"taxi-{bay}", "taxi", cursor, cursor + stay, need, 50.0, None))
            cursor += stay + timedelta(minutes=rng.randint(5, 30))
    for van in range(10):
        arrival = DAY + timedelta(hours=17, minutes=rng.randint(0, 150))
        departure = DAY + timedelta(days=1, hours=5, minutes=rng.randint(30, 90))
        cars.append(_car(f"fleet-{van}", "fleet", arrival, departure, rng.uniform(30, 60), 11.0, None))
    for charger in range(16):
        cursor = DAY + timedelta(hours=7, minutes=rng.randint(0, 120))
        while cursor < DAY + timedelta(hours=20):
            stay = timedelta(minutes=rng.randint(60, 360))
            profile = rng.choice([ProfileType.REGULAR, ProfileType.CHEAP, ProfileType.FAST])
            cars.append(
                _car(f"public-{charger}", "public", cursor, cursor + stay, rng.uniform(5, 30), 7.4, profile)
            )
            cursor += stay + timedelta(minutes=rng.randint(10, 90))
    return cars


def _car(
    evse_id: str, kind: str, arrival: datetime, departure: datetime, need: float, max_kw: float, profile: Any
) -> _Car:
    preferences = None if profile is None else ChargingPreferences(profile, departure, need)
    session = Session(
        id=f"{evse_id}@{arrival:%H%M}",
        evse_id=evse_id,
        arrival=arrival,
        departure=departure,
        energy_needed_kwh=need,
        vehicle_max_kw=max_kw,
        priority_class=kind,
        preferences=preferences,
    )
    return _Car(session=session, departure=departure, requested=need, max_kw=max_kw)


def _prices() -> PriceSeries:
    """Hourly prices with a morning and an evening peak."""
    points = []
    for hour in range(48):
        local = hour % 24
        price = Decimal("0.30") if 7 <= local < 9 or 17 <= local < 21 else Decimal("0.12")
        if local < 6:
            price = Decimal("0.08")
        points.append(PricePoint(DAY + timedelta(hours=hour), price))
    return PriceSeries(tuple(points))


def _capacity_at(now: datetime, outage: tuple[datetime, datetime]) -> CapacitySignal:
    """The operator re-sends its forecast every hour, except during `outage`, when the forecast goes stale."""
    congestion = (DAY + timedelta(hours=16), DAY + timedelta(hours=20))
    blocks = (
        CapacityBlock(DAY, congestion[0], CapacityLimit(power_kw=150)),
        CapacityBlock(congestion[0], congestion[1], CapacityLimit(power_kw=CONGESTION_KW)),
        CapacityBlock(congestion[1], DAY + timedelta(days=2), CapacityLimit(power_kw=150)),
    )
    hour = now.replace(minute=0, second=0, microsecond=0)
    received = outage[0] if outage[0] <= now < outage[1] else hour
    return CapacitySignal(
        fallback=CapacityLimit(power_kw=FALLBACK_KW),
        forecast=CapacityForecast(blocks=blocks, received_at=received),
        stale_after=timedelta(minutes=75),
    )


def priority_scenario() -> dict[str, Any]:
    """One day at a depot with taxis, overnight fleet vans and public cars under a congestion window."""
    site = depot_site()
    policy = PriorityPolicy.of(
        [
            PriorityClass("taxi", 0, guaranteed_kw=11.0),
            PriorityClass("fleet", 1, 4.0),
            PriorityClass("public", 2),
        ],
        default_class="public",
    )
    allocator = LoadAllocator(site, AllocatorSettings(policy=policy))
    cars = _depot_cars(random.Random(5))
    prices = _prices()
    outage = (DAY + timedelta(hours=10), DAY + timedelta(hours=13))
    evses = {evse.id: evse for evse in site.evses}
    violations = 0
    peak = 0.0
    congestion_peak = 0.0
    fallback_steps = 0
    planned = 0
    timings: list[float] = []
    now = DAY
    end = DAY + timedelta(days=1, hours=8)
    while now < end:
        present = [c for c in cars if c.session.arrival <= now < c.departure]
        sessions = [_with_progress(c.session, c.requested - c.delivered, c.delivered) for c in present]
        signal = _capacity_at(now, outage)
        began = time.perf_counter()
        allocation = allocator.allocate(
            AllocationRequest(now=now, sessions=sessions, capacity=signal, prices=prices)
        )
        timings.append(1000 * (time.perf_counter() - began))
        grid_limit, _ = signal.limit_at(now, now)
        violations += len(audit(site, allocation.limits, grid_power_kw=grid_limit.power_kw))
        fallback_steps += allocation.capacity_source.value == "fallback"
        planned += allocation.used_look_ahead
        load = 0.0
        for car in present:
            evse = evses[car.session.evse_id]
            kw = min(allocation.limits[evse.id] * evse.kw_per_unit, car.max_kw)
            kw = min(kw, (car.requested - car.delivered) / (STEP.total_seconds() / 3600))
            car.delivered += kw * STEP.total_seconds() / 3600
            load += kw
        peak = max(peak, load)
        if DAY + timedelta(hours=16) <= now < DAY + timedelta(hours=20):
            congestion_peak = max(congestion_peak, load)
        now += STEP
    served = {}
    for kind in ("taxi", "fleet", "public"):
        group = [c for c in cars if c.session.priority_class == kind]
        served[kind] = round(100 * sum(c.delivered for c in group) / sum(c.requested for c in group), 2)
    return {
        "served_pct": served,
        "sessions": {kind: sum(c.session.priority_class == kind for c in cars) for kind in served},
        "violations": violations,
        "peak_kw": round(peak, 1),
        "congestion_window_peak_kw": round(congestion_peak, 1),
        "congestion_window_limit_kw": CONGESTION_KW,
        "steps_with_look_ahead": planned,
        "steps_on_fallback_capacity": fallback_steps,
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(_percentile(timings, 99), 2),
    }


def _with_progress(session: Session, needed: float, delivered: float) -> Session:
    return Session(
        id=session.id,
        evse_id=session.evse_id,
        arrival=session.arrival,
        departure=session.departure,
        energy_needed_kwh=max(0.0, needed),
        energy_delivered_kwh=delivered,
        vehicle_max_kw=session.vehicle_max_kw,
        priority_class=session.priority_class,
        preferences=session.preferences,
    )


def _scale_site(index: int) -> Site:
    feeders = []
    for f in range(4):
        evses = [
            {"id": f"s{index}-f{f}-e{k}", "wiring": ("L1", "L2", "L3", "three-phase")[k % 4]}
            for k in range(25)
        ]
        feeders.append({"id": f"s{index}-f{f}", "kind": "feeder", "phase_limit_a": 125, "evses": evses})
    return site_from_mapping(
        {
            "id": f"site-{index}",
            "evse_defaults": {"voltage_v": 230, "min_rate": 6, "max_rate": 32, "fallback_rate": 6},
            "root": {
                "id": f"s{index}-grid",
                "kind": "grid_connection",
                "phase_limit_a": 315,
                "power_limit_kw": 200,
                "children": feeders,
            },
        }
    )


def scale_run(sites: int = 100, steps: int = 100) -> dict[str, Any]:
    """The online step for 100 sites of 100 EVSEs each, timed per step over all 10,000 EVSEs."""
    rng = random.Random(11)
    allocators = [
        LoadAllocator(_scale_site(i), AllocatorSettings(use_look_ahead=False)) for i in range(sites)
    ]
    occupancy: list[dict[str, Session]] = [{} for _ in allocators]
    totals: list[float] = []
    cpu_totals: list[float] = []
    per_site: list[float] = []
    violations = 0
    now = DAY + timedelta(hours=8)
    for _ in range(steps):
        for allocator, occupied in zip(allocators, occupancy, strict=True):
            for evse in allocator.site.evses:
                if evse.id in occupied and rng.random() < 0.03:
                    del occupied[evse.id]
                elif evse.id not in occupied and rng.random() < 0.05:
                    occupied[evse.id] = Session(
                        id=f"{evse.id}@{now:%H%M}",
                        evse_id=evse.id,
                        arrival=now,
                        departure=now + timedelta(minutes=rng.randint(30, 600)),
                        energy_needed_kwh=rng.uniform(2, 60),
                        priority_class=None,
                    )
        cpu = 0.0
        for allocator, occupied in zip(allocators, occupancy, strict=True):
            began, began_cpu = time.perf_counter(), time.thread_time()
            allocation = allocator.allocate(AllocationRequest(now=now, sessions=list(occupied.values())))
            per_site.append(1000 * (time.perf_counter() - began))
            cpu += 1000 * (time.thread_time() - began_cpu)
            violations += len(audit(allocator.site, allocation.limits))
        # The audit is not part of the step, so the step's time is the sum of the allocations alone. CPU
        # time is reported beside wall time because the machine is shared and preemption shows in the tail.
        totals.append(sum(per_site[-sites:]))
        cpu_totals.append(cpu)
        now += STEP
    return {
        "evses": sum(len(a.site.evses) for a in allocators),
        "sites": sites,
        "steps": steps,
        "occupied_at_end": sum(len(o) for o in occupancy),
        "violations": violations,
        "p50_ms": round(statistics.median(totals), 1),
        "p99_ms": round(_percentile(totals, 99), 1),
        "cpu_p50_ms": round(statistics.median(cpu_totals), 1),
        "cpu_p99_ms": round(_percentile(cpu_totals, 99), 1),
        "per_site_p50_ms": round(statistics.median(per_site), 3),
        "per_site_p99_ms": round(_percentile(per_site, 99), 3),
    }


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    position = min(len(ordered) - 1, max(0, round(share / 100 * (len(ordered) - 1))))
    return ordered[position]
