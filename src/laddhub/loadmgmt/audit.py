"""An independent check that a set of EVSE rates keeps every limit of a site: the allocator's referee.

It deliberately shares no code with the allocator: it does not use the linear model, its polygon facets or
the EVSE helper methods, but computes each line's current as an exact complex sum from the voltages of the
lines a charger is connected to, maps currents through transformers with its own table, and compares
magnitudes with the limits. A bug in the allocator's model therefore shows up here instead of hiding twice.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Mapping
from dataclasses import dataclass

from laddhub.loadmgmt.topology import ConstraintNode, CurrentType, Evse, Site, TransformerConnection, Wiring

# Voltage phasor of each line (unit magnitude, L1 as reference), positive sequence.
_LINE_VOLTAGE = {
    "L1": cmath.rect(1.0, 0.0),
    "L2": cmath.rect(1.0, -2 * math.pi / 3),
    "L3": cmath.rect(1.0, 2 * math.pi / 3),
}
_ENDPOINTS = {
    Wiring.L1: ("L1", None),
    Wiring.L2: ("L2", None),
    Wiring.L3: ("L3", None),
    Wiring.L1_L2: ("L1", "L2"),
    Wiring.L2_L3: ("L2", "L3"),
    Wiring.L3_L1: ("L3", "L1"),
}
_DEFAULT_TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class Violation:
    """One limit broken: where, which quantity, how much flows and what was allowed."""

    where: str
    quantity: str
    value: float
    limit: float

    def __str__(self) -> str:
        return f"{self.where}: {self.quantity} {self.value:.3f} exceeds {self.limit:.3f}"


def audit(
    site: Site,
    rates: Mapping[str, float],
    grid_power_kw: float | None = None,
    grid_phase_amps: Mapping[str, float] | None = None,
    tolerance: float = _DEFAULT_TOLERANCE,
) -> tuple[Violation, ...]:
    """Every limit that `rates` (EVSE id -> A for AC, kW for DC) would break, empty when all hold.

    `grid_power_kw` and `grid_phase_amps` ("L1".."L3") are extra limits on the grid connection from a grid
    signal, checked on top of the static ratings. Rates for unknown EVSEs are violations too: the caller
    would be steering a charger the topology does not account for.
    """
    violations: list[Violation] = []
    known = {evse.id for node in _nodes(site.root) for evse in node.evses}
    for evse_id in rates:
        if evse_id not in known:
            violations.append(Violation(evse_id, "unknown EVSE", float(rates[evse_id]), 0.0))
    for node in _nodes(site.root):
        for evse in node.evses:
            violations.extend(_rate_violations(evse, float(rates.get(evse.id, 0.0)), tolerance))

    def walk(node: ConstraintNode) -> tuple[dict[str, complex], float]:
        lines = {"L1": 0j, "L2": 0j, "L3": 0j}
        power = 0.0
        for evse in node.evses:
            rate = float(rates.get(evse.id, 0.0))
            for line, current in _evse_line_currents(evse, rate).items():
                lines[line] += current
            power += _evse_power_kw(evse, rate)
        for child in node.children:
            child_lines, child_power = walk(child)
            for line in lines:
                lines[line] += child_lines[line]
            power += child_power
        limits = {"L1": node.phase_limits.l1, "L2": node.phase_limits.l2, "L3": node.phase_limits.l3}
        power_limit = node.power_limit_kw
        if node is site.root:
            if grid_phase_amps is not None:
                for line, extra in grid_phase_amps.items():
                    current_limit = limits[line]
                    limits[line] = extra if current_limit is None else min(current_limit, extra)
            if grid_power_kw is not None:
                power_limit = grid_power_kw if power_limit is None else min(power_limit, grid_power_kw)
        for line, limit in limits.items():
            magnitude = abs(lines[line])
            if limit is not None and magnitude > limit + tolerance * max(1.0, limit):
                violations.append(Violation(node.id, f"{line} current (A)", magnitude, limit))
        if power_limit is not None and power > power_limit + tolerance * max(1.0, power_limit):
            violations.append(Violation(node.id, "power (kW)", power, power_limit))
        return _seen_from_primary(node, lines), power

    walk(site.root)
    return tuple(violations)


def _nodes(node: ConstraintNode) -> list[ConstraintNode]:
    result = [node]
    for child in node.children:
        result.extend(_nodes(child))
    return result


def _rate_violations(evse: Evse, rate: float, tolerance: float) -> list[Violation]:
    found: list[Violation] = []
    if rate < -tolerance:
        found.append(Violation(evse.id, "negative rate", rate, 0.0))
    if rate > evse.max_rate + tolerance:
        found.append(Violation(evse.id, "rate above the charger's maximum", rate, evse.max_rate))
    if rate > tolerance and rate < evse.min_rate - tolerance:
        found.append(Violation(evse.id, "rate below the charger's minimum", rate, evse.min_rate))
    if rate > tolerance and evse.pilot_steps and all(abs(rate - s) > tolerance for s in evse.pilot_steps):
        found.append(Violation(evse.id, "rate that is not a pilot step", rate, max(evse.pilot_steps)))
    return found


def _evse_line_currents(evse: Evse, rate: float) -> dict[str, complex]:
    """Current phasor into the EVSE on each line it is connected to, at unity power factor."""
    if evse.current_type is CurrentType.DC or evse.wiring is Wiring.THREE_PHASE:
        # Balanced draw on all three lines; a DC rate is kW, drawn at the supply's line-to-neutral voltage.
        amps = rate if evse.current_type is CurrentType.AC else rate * 1000.0 / (3.0 * evse.voltage_v)
        return {line: amps * voltage for line, voltage in _LINE_VOLTAGE.items()}
    first, second = _ENDPOINTS[evse.wiring]
    if second is None:
        return {first: rate * _LINE_VOLTAGE[first]}
    across = _LINE_VOLTAGE[first] - _LINE_VOLTAGE[second]
    current = rate * across / abs(across)
    return {first: current, second: -current}


def _evse_power_kw(evse: Evse, rate: float) -> float:
    if evse.current_type is CurrentType.DC:
        return rate
    if evse.wiring is Wiring.THREE_PHASE:
        return 3.0 * evse.voltage_v * rate / 1000.0
    return evse.voltage_v * rate / 1000.0


def _seen_from_primary(node: ConstraintNode, lines: dict[str, complex]) -> dict[str, complex]:
    transformer = node.transformer
    if transformer is None:
        return lines
    ratio = transformer.ratio
    if transformer.connection is TransformerConnection.WYE_WYE:
        return {line: current / ratio for line, current in lines.items()}
    # Delta primary: each primary line carries the difference of two secondary winding currents.
    return {
        "L1": (lines["L1"] - lines["L3"]) / ratio,
        "L2": (lines["L2"] - lines["L1"]) / ratio,
        "L3": (lines["L3"] - lines["L2"]) / ratio,
    }
