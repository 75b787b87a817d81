"""A site's electrical topology: a tree of constraint nodes with EVSEs at the leaves.

Limits live on nodes (grid connection, transformer, feeder, breaker) as a current per phase (A) and/or a
total active power (kW). EVSEs say how they are wired, because the same amps on a line-to-line charger load
two lines at once and, through phase angles, load them less than the plain sum of currents would suggest.
The dataclasses are frozen: a topology is configuration, shared safely between threads and solves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum


class Phase(StrEnum):
    """A line of a three-phase supply."""

    L1 = "L1"
    L2 = "L2"
    L3 = "L3"


class Wiring(StrEnum):
    """How an EVSE is connected to the three lines of its panel."""

    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    L1_L2 = "L1-L2"
    L2_L3 = "L2-L3"
    L3_L1 = "L3-L1"
    THREE_PHASE = "three-phase"


class CurrentType(StrEnum):
    """AC chargers are controlled in amps per phase, DC chargers in kW (as OCPI's W and A rate units)."""

    AC = "AC"
    DC = "DC"


class TransformerConnection(StrEnum):
    """Winding connection of a transformer, which decides how secondary currents show on the primary."""

    WYE_WYE = "wye-wye"
    DELTA_WYE = "delta-wye"


@dataclass(frozen=True, slots=True)
class Transformer:
    """A transformer between a node (its secondary) and the node's parent (its primary side).

    `ratio` divides currents on the way up: for wye-wye it is the ratio of line-to-neutral voltages, for
    delta-wye the primary line-to-line voltage over the secondary line-to-neutral voltage (480 V / 120 V = 4
    at Caltech), so that a primary line current is (I_a - I_c) / ratio.
    """

    connection: TransformerConnection
    ratio: float


@dataclass(frozen=True, slots=True)
class Evse:
    """One controllable charging point.

    Rates are in the EVSE's native unit: amps per phase for AC, kW for DC. `pilot_steps`, when given, are the
    only rates the charger accepts (besides 0); otherwise any rate in [min_rate, max_rate] is accepted.
    `fallback_rate` is the safe limit the charger applies on its own when it stops hearing from us, so the
    allocator reserves that much for an EVSE it cannot see. `voltage_v` is the voltage across the charger's
    supply: line-to-neutral for single-phase and three-phase (and DC) chargers, line-to-line for chargers
    wired between two lines.
    """

    id: str
    wiring: Wiring
    current_type: CurrentType
    voltage_v: float
    min_rate: float
    max_rate: float
    fallback_rate: float
    pilot_steps: tuple[float, ...] = ()

    @property
    def kw_per_unit(self) -> float:
        """Active power drawn per unit of rate, so schedules in A or kW can be compared in kW."""
        if self.current_type is CurrentType.DC:
            return 1.0
        if self.wiring is Wiring.THREE_PHASE:
            return 3.0 * self.voltage_v / 1000.0
        return self.voltage_v / 1000.0

    @property
    def line_amps_per_unit(self) -> float:
        """Line current magnitude per unit of rate: 1 for AC, the three-phase input current per kW for DC."""
        if self.current_type is CurrentType.AC:
            return 1.0
        return 1000.0 / (3.0 * self.voltage_v)


@dataclass(frozen=True, slots=True)
class PhaseLimits:
    """A current limit per line, in amps; None means that line is not limited at this node."""

    l1: float | None = None
    l2: float | None = None
    l3: float | None = None

    def for_phase(self, phase: Phase) -> float | None:
        """The limit on one line."""
        return {Phase.L1: self.l1, Phase.L2: self.l2, Phase.L3: self.l3}[phase]

    @staticmethod
    def uniform(amps: float) -> PhaseLimits:
        """The same limit on all three lines, the usual rating of a breaker or a transformer."""
        return PhaseLimits(amps, amps, amps)

    def tighter(self, other: PhaseLimits) -> PhaseLimits:
        """The smaller limit per line, for combining a static rating with a grid signal."""
        return PhaseLimits(
            *(_min_optional(a, b) for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True))
        )

    def as_tuple(self) -> tuple[float | None, float | None, float | None]:
        """(L1, L2, L3)."""
        return (self.l1, self.l2, self.l3)


def _min_optional(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


class NodeKind(StrEnum):
    """What a constraint node stands for; only used for reports and validation messages."""

    GRID_CONNECTION = "grid_connection"
    TRANSFORMER = "transformer"
    FEEDER = "feeder"
    BREAKER = "breaker"


@dataclass(frozen=True, slots=True)
class ConstraintNode:
    """A point of the site's supply that must never be overloaded, with what hangs below it."""

    id: str
    kind: NodeKind
    phase_limits: PhaseLimits = field(default_factory=PhaseLimits)
    power_limit_kw: float | None = None
    transformer: Transformer | None = None
    children: tuple[ConstraintNode, ...] = ()
    evses: tuple[Evse, ...] = ()

    def walk(self) -> Iterator[ConstraintNode]:
        """This node and every node below it, parents before children."""
        yield self
        for child in self.children:
            yield from child.walk()

    def all_evses(self) -> Iterator[Evse]:
        """Every EVSE fed through this node."""
        for node in self.walk():
            yield from node.evses


@dataclass(frozen=True, slots=True)
class Site:
    """A charging site: one supply tree, its EVSEs, and the local time zone for reporting."""

    id: str
    root: ConstraintNode
    time_zone: str = "UTC"

    @property
    def evses(self) -> tuple[Evse, ...]:
        """Every EVSE of the site, in tree order (the column order of the allocator's matrices)."""
        return tuple(self.root.all_evses())
