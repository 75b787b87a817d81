"""The site's limits as linear inequalities `A @ rates <= b`, the form both schedulers work with.

A line current is the magnitude of a sum of phasors, |sum_i c_i r_i| <= L, which is convex but not linear.
Because rates are never negative, the sum always lies in the cone spanned by the coefficients' angles, and
the disc can be replaced by an inscribed polygon over that cone only: facets at angles spread no more than
`max_facet_spacing_deg` apart, each `Re(c e^{-j theta}) <= L cos(spacing / 2)`. Every point the polygon allows
is inside the disc (the guarantee), and it gives up at most 1 - cos(spacing / 2) of the limit (0.1 % at the
default 5 degrees). Where all coefficients share one angle, as for single-phase or balanced three-phase loads
on their own line, the single facet is the exact limit.
"""

from __future__ import annotations

import cmath
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from laddhub.loadmgmt.topology import (
    ConstraintNode,
    CurrentType,
    Evse,
    Phase,
    PhaseLimits,
    Site,
    TransformerConnection,
    Wiring,
)

FloatArray = npt.NDArray[np.float64]
ComplexArray = npt.NDArray[np.complex128]

_PHASES = (Phase.L1, Phase.L2, Phase.L3)
_DEFAULT_FACET_SPACING_DEG = 5.0


@dataclass(frozen=True, slots=True)
class RowSource:
    """Which limit a row enforces: a node's line (phase set) or its total power (phase None)."""

    node_id: str
    phase: Phase | None
    scale: float


@dataclass(frozen=True, slots=True)
class LinearModel:
    """`matrix @ rates <= limits` over the site's EVSEs in `Site.evses` order.

    `matrix` has one row per facet or power limit; `sources[k]` says which node limit row k encodes, so a
    grid signal that tightens a node's limit can be applied by recomputing `b` without rebuilding `matrix`.
    """

    matrix: FloatArray
    sources: tuple[RowSource, ...]
    static_limits: FloatArray
    kw_per_unit: FloatArray
    evse_ids: tuple[str, ...]

    def limits_with(
        self, node_id: str, phase_limits: PhaseLimits | None, power_kw: float | None
    ) -> FloatArray:
        """Row bounds when one node (usually the grid connection) is further limited by a signal."""
        limits = self.static_limits.copy()
        for k, source in enumerate(self.sources):
            if source.node_id != node_id:
                continue
            if source.phase is None:
                extra = power_kw
            else:
                extra = None if phase_limits is None else phase_limits.for_phase(source.phase)
            if extra is not None:
                limits[k] = min(limits[k], source.scale * extra)
        return limits


def phasor_per_unit(evse: Evse) -> dict[Phase, complex]:
    """Line-current phasor each line carries per unit of the EVSE's rate (L1 voltage at angle 0)."""
    amps = evse.line_amps_per_unit
    if evse.current_type is CurrentType.DC or evse.wiring is Wiring.THREE_PHASE:
        return {p: amps * _unit(angle) for p, angle in zip(_PHASES, (0.0, -120.0, 120.0), strict=True)}
    single = {Wiring.L1: (Phase.L1, 0.0), Wiring.L2: (Phase.L2, -120.0), Wiring.L3: (Phase.L3, 120.0)}
    if evse.wiring in single:
        phase, angle = single[evse.wiring]
        return {phase: amps * _unit(angle)}
    # A line-to-line load draws its current out of the first line and back through the second, in phase
    # with the line-to-line voltage (V12 at +30 degrees, V23 at -90, V31 at +150).
    pairs = {
        Wiring.L1_L2: (Phase.L1, Phase.L2, 30.0),
        Wiring.L2_L3: (Phase.L2, Phase.L3, -90.0),
        Wiring.L3_L1: (Phase.L3, Phase.L1, 150.0),
    }
    out_line, back_line, angle = pairs[evse.wiring]
    return {out_line: amps * _unit(angle), back_line: -amps * _unit(angle)}


def build_linear_model(site: Site, max_facet_spacing_deg: float = _DEFAULT_FACET_SPACING_DEG) -> LinearModel:
    """Compile a site into linear rows once; the result is reused for every allocation step."""
    evses = site.evses
    index = {evse.id: i for i, evse in enumerate(evses)}
    n = len(evses)
    rows: list[FloatArray] = []
    limits: list[float] = []
    sources: list[RowSource] = []
    kw = np.array([evse.kw_per_unit for evse in evses], dtype=np.float64)

    def visit(node: ConstraintNode) -> tuple[ComplexArray, ComplexArray, ComplexArray]:
        lines = [np.zeros(n, dtype=np.complex128) for _ in _PHASES]
        power = np.zeros(n, dtype=np.float64)
        for evse in node.evses:
            for phase, phasor in phasor_per_unit(evse).items():
                lines[_PHASES.index(phase)][index[evse.id]] += phasor
        for child in node.children:
            for line, upstream in zip(lines, visit(child), strict=True):
                line += upstream
        for evse in node.all_evses():
            power[index[evse.id]] = kw[index[evse.id]]
        # Unlimited lines of inner nodes need no rows; the grid connection keeps all of its rows because a
        # grid signal may limit it later.
        is_root = node is site.root
        for phase, line in zip(_PHASES, lines, strict=True):
            limit = node.phase_limits.for_phase(phase)
            if limit is None and not is_root:
                continue
            for facet, scale in _facets(line, max_facet_spacing_deg):
                rows.append(facet)
                limits.append(math.inf if limit is None else limit * scale)
                sources.append(RowSource(node.id, phase, scale))
        if node.power_limit_kw is not None or is_root:
            rows.append(power)
            limits.append(math.inf if node.power_limit_kw is None else node.power_limit_kw)
            sources.append(RowSource(node.id, None, 1.0))
        return _to_primary(node, lines)

    visit(site.root)
    matrix = np.vstack(rows) if rows else np.zeros((0, n))
    return LinearModel(
        matrix=matrix,
        sources=tuple(sources),
        static_limits=np.array(limits, dtype=np.float64),
        kw_per_unit=kw,
        evse_ids=tuple(evse.id for evse in evses),
    )


def _to_primary(
    node: ConstraintNode, lines: list[ComplexArray]
) -> tuple[ComplexArray, ComplexArray, ComplexArray]:
    a, b, c = lines
    if node.transformer is None:
        return a, b, c
    n = node.transformer.ratio
    if node.transformer.connection is TransformerConnection.WYE_WYE:
        return a / n, b / n, c / n
    return (a - c) / n, (b - a) / n, (c - b) / n


def _facets(coefficients: ComplexArray, max_spacing_deg: float) -> list[tuple[FloatArray, float]]:
    """Facet rows (projections of the coefficients) with the share of the limit each may use."""
    magnitudes = np.abs(coefficients)
    present = magnitudes > 1e-12
    if not present.any():
        return []
    angles = np.sort(np.degrees(np.angle(coefficients[present])) % 360.0)
    gaps = np.diff(np.concatenate([angles, angles[:1] + 360.0]))
    widest = int(np.argmax(gaps))
    arc = 360.0 - float(gaps[widest])
    if arc >= 179.0:
        count = math.ceil(360.0 / max_spacing_deg)
        spacing = 360.0 / count
        directions = [k * spacing for k in range(count)]
    elif arc <= 1e-9:
        spacing = 0.0
        directions = [float(angles[(widest + 1) % len(angles)])]
    else:
        start = float(angles[(widest + 1) % len(angles)])
        intervals = math.ceil(arc / max_spacing_deg)
        spacing = arc / intervals
        directions = [start + k * spacing for k in range(intervals + 1)]
    scale = math.cos(math.radians(spacing / 2.0))
    return [(np.real(coefficients * _unit(-direction)).astype(np.float64), scale) for direction in directions]


def _unit(angle_deg: float) -> complex:
    return cmath.rect(1.0, math.radians(angle_deg))
