"""Hypothesis strategies for random sites and session sets, shared by the property tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from laddhub.loadmgmt.sessions import Session
from laddhub.loadmgmt.topology import Site
from laddhub.loadmgmt.topology_loading import site_from_mapping

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
WIRINGS = ["L1", "L2", "L3", "L1-L2", "L2-L3", "L3-L1", "three-phase"]


@st.composite
def evse_specs(draw: st.DrawFn, evse_id: str) -> dict[str, Any]:
    dc = draw(st.booleans()) and draw(st.booleans())
    if dc:
        return {
            "id": evse_id,
            "wiring": "three-phase",
            "current_type": "DC",
            "voltage_v": 230.0,
            "min_rate": 0.0,
            "max_rate": float(draw(st.sampled_from([25, 50, 150]))),
            "fallback_rate": 10.0,
        }
    wiring = draw(st.sampled_from(WIRINGS))
    stepped = draw(st.booleans())
    voltage = 208.0 if wiring in ("L1-L2", "L2-L3", "L3-L1") else 230.0
    spec: dict[str, Any] = {
        "id": evse_id,
        "wiring": wiring,
        "voltage_v": voltage,
        "min_rate": 6.0,
        "max_rate": 32.0,
        "fallback_rate": 6.0,
    }
    if stepped:
        spec["min_rate"] = 8.0
        spec["fallback_rate"] = 8.0
        spec["pilot_steps"] = [8.0, 16.0, 24.0, 32.0]
    return spec


@st.composite
def node_specs(draw: st.DrawFn, prefix: str, depth: int, counter: list[int]) -> dict[str, Any]:
    node: dict[str, Any] = {"id": prefix, "kind": "breaker"}
    if draw(st.booleans()):
        node["phase_limit_a"] = float(draw(st.integers(10, 250)))
    if draw(st.booleans()):
        node["phase_limit_a"] = {p: float(draw(st.integers(10, 250))) for p in ("L1", "L2", "L3")}
    if draw(st.booleans()):
        node["power_limit_kw"] = float(draw(st.integers(5, 150)))
    if draw(st.integers(0, 4)) == 0:
        node["transformer"] = {"connection": draw(st.sampled_from(["delta-wye", "wye-wye"])), "ratio": 2.0}
    evses = []
    for _ in range(draw(st.integers(0 if depth < 2 else 1, 5))):
        counter[0] += 1
        evses.append(draw(evse_specs(f"E{counter[0]}")))
    node["evses"] = evses
    if depth < 2:
        node["children"] = [
            draw(node_specs(f"{prefix}.{k}", depth + 1, counter)) for k in range(draw(st.integers(0, 3)))
        ]
    return node


@st.composite
def sites(draw: st.DrawFn) -> Site:
    """Random trees up to three levels deep, mixing wirings, transformers, kW and per-phase limits."""
    counter = [0]
    root = draw(node_specs("grid", 0, counter))
    root["kind"] = "grid_connection"
    if counter[0] == 0:
        root["evses"] = [draw(evse_specs("E0"))]
    return site_from_mapping({"id": "random", "root": root})


@st.composite
def session_sets(draw: st.DrawFn, site: Site) -> list[Session]:
    """Sessions on a random subset of the site's EVSEs, with or without known needs and departures."""
    sessions = []
    for evse in site.evses:
        if not draw(st.booleans()):
            continue
        energy = draw(st.one_of(st.none(), st.floats(0.0, 80.0)))
        stay = draw(st.integers(5, 14 * 60))
        sessions.append(
            Session(
                id=f"s-{evse.id}",
                evse_id=evse.id,
                arrival=NOW - timedelta(minutes=draw(st.integers(0, 300))),
                departure=draw(st.one_of(st.none(), st.just(NOW + timedelta(minutes=stay)))),
                energy_needed_kwh=energy,
                vehicle_max_kw=draw(st.one_of(st.none(), st.floats(1.0, 150.0))),
                priority_class=draw(st.sampled_from(["taxi", "fleet", "public", None])),
            )
        )
    return sessions
