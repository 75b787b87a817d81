"""Build a `Site` from YAML, JSON or plain mappings, with errors that name the bad node and field.

A site file is written by people: every problem found is reported at once, each with the path of ids that
leads to it (`grid > secondary > CA-322: max_rate: ...`), so a single run shows everything to fix.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

import numpy as np
import yaml

from laddhub.loadmgmt.rate_grid import RateGrid
from laddhub.loadmgmt.topology import (
    ConstraintNode,
    CurrentType,
    Evse,
    NodeKind,
    PhaseLimits,
    Site,
    Transformer,
    TransformerConnection,
    Wiring,
)

_EnumT = TypeVar("_EnumT", bound=Enum)

_NODE_FIELDS = frozenset(
    {"id", "kind", "phase_limit_a", "power_limit_kw", "transformer", "children", "evses"}
)
_EVSE_FIELDS = frozenset(
    {"id", "wiring", "current_type", "voltage_v", "min_rate", "max_rate", "fallback_rate", "pilot_steps"}
)


@dataclass(frozen=True, slots=True)
class TopologyIssue:
    """One problem in a site description: where it is and what is wrong."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.message}"


class TopologyError(ValueError):
    """A site description that cannot be used; `issues` lists every problem found."""

    def __init__(self, issues: Sequence[TopologyIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__("invalid site topology:\n" + "\n".join(f"  - {issue}" for issue in self.issues))


def site_from_yaml(text: str) -> Site:
    """Parse a YAML site description (the format operators edit by hand)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TopologyError([TopologyIssue("document", "yaml", str(exc))]) from exc
    return site_from_mapping(data)


def site_from_json(text: str) -> Site:
    """Parse a JSON site description (the format an API would send)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TopologyError([TopologyIssue("document", "json", str(exc))]) from exc
    return site_from_mapping(data)


def site_from_mapping(data: Any) -> Site:
    """Validate a decoded site description into a `Site`, or raise `TopologyError` naming every fault."""
    builder = _Builder()
    site = builder.site(data)
    if builder.issues or site is None:
        raise TopologyError(builder.issues)
    return site


class _Builder:
    def __init__(self) -> None:
        self.issues: list[TopologyIssue] = []
        self._seen_node_ids: set[str] = set()
        self._seen_evse_ids: set[str] = set()

    def fail(self, where: str, field: str, message: str) -> None:
        self.issues.append(TopologyIssue(where, field, message))

    def site(self, data: Any) -> Site | None:
        if not isinstance(data, Mapping):
            self.fail("site", "document", "must be a mapping with 'id' and 'root'")
            return None
        site_id = data.get("id")
        if not isinstance(site_id, str) or not site_id:
            self.fail("site", "id", "must be a non-empty string")
        time_zone = data.get("time_zone", "UTC")
        if not isinstance(time_zone, str):
            self.fail("site", "time_zone", "must be an IANA time zone name such as 'Europe/Stockholm'")
            time_zone = "UTC"
        defaults = data.get("evse_defaults", {})
        if not isinstance(defaults, Mapping):
            self.fail("site", "evse_defaults", "must be a mapping of EVSE fields")
            defaults = {}
        unknown = set(data) - {"id", "time_zone", "root", "evse_defaults"}
        for name in sorted(unknown):
            self.fail("site", name, "unknown field")
        root_data = data.get("root")
        if root_data is None:
            self.fail("site", "root", "is required: the grid connection node")
            return None
        root = self.node(root_data, "", defaults)
        if root is None or not isinstance(site_id, str):
            return None
        if not any(True for _ in root.all_evses()):
            self.fail(root.id, "evses", "the site has no EVSE anywhere in its tree")
        return Site(id=site_id, root=root, time_zone=time_zone)

    def node(self, data: Any, parent_path: str, defaults: Mapping[str, Any]) -> ConstraintNode | None:
        if not isinstance(data, Mapping):
            self.fail(parent_path or "root", "node", "must be a mapping")
            return None
        node_id = data.get("id")
        where = _join(parent_path, node_id if isinstance(node_id, str) else "?")
        if not isinstance(node_id, str) or not node_id:
            self.fail(where, "id", "must be a non-empty string")
            node_id = "?"
        elif node_id in self._seen_node_ids:
            self.fail(where, "id", f"node id {node_id!r} is used twice")
        self._seen_node_ids.add(node_id)
        for name in sorted(set(data) - _NODE_FIELDS):
            self.fail(where, name, "unknown field")
        kind = self.enum(NodeKind, data.get("kind", NodeKind.BREAKER.value), where, "kind")
        phase_limits = self.phase_limits(data.get("phase_limit_a"), where)
        power_limit = self.optional_positive(data.get("power_limit_kw"), where, "power_limit_kw")
        transformer = self.transformer(data.get("transformer"), where)
        children_data = data.get("children", [])
        evses_data = data.get("evses", [])
        children: list[ConstraintNode] = []
        evses: list[Evse] = []
        if not isinstance(children_data, list):
            self.fail(where, "children", "must be a list of nodes")
        else:
            for child_data in children_data:
                child = self.node(child_data, where, defaults)
                if child is not None:
                    children.append(child)
        if not isinstance(evses_data, list):
            self.fail(where, "evses", "must be a list of EVSEs")
        else:
            for evse_data in evses_data:
                evse = self.evse(evse_data, where, defaults)
                if evse is not None:
                    evses.append(evse)
        if kind is None:
            return None
        return ConstraintNode(
            id=node_id,
            kind=kind,
            phase_limits=phase_limits,
            power_limit_kw=power_limit,
            transformer=transformer,
            children=tuple(children),
            evses=tuple(evses),
        )

    def evse(self, data: Any, node_path: str, defaults: Mapping[str, Any]) -> Evse | None:
        if not isinstance(data, Mapping):
            self.fail(node_path, "evses", "each EVSE must be a mapping")
            return None
        merged = {**defaults, **data}
        evse_id = merged.get("id")
        where = _join(node_path, evse_id if isinstance(evse_id, str) else "?")
        if not isinstance(evse_id, str) or not evse_id:
            self.fail(where, "id", "must be a non-empty string")
            return None
        if evse_id in self._seen_evse_ids:
            self.fail(where, "id", f"EVSE id {evse_id!r} is used twice")
        self._seen_evse_ids.add(evse_id)
        for name in sorted(set(merged) - _EVSE_FIELDS):
            self.fail(where, name, "unknown field")
        wiring = self.enum(Wiring, merged.get("wiring"), where, "wiring")
        current_type = self.enum(CurrentType, merged.get("current_type", "AC"), where, "current_type")
        voltage = self.positive(merged.get("voltage_v"), where, "voltage_v")
        max_rate = self.positive(merged.get("max_rate"), where, "max_rate")
        min_rate = self.non_negative(merged.get("min_rate", 0), where, "min_rate")
        fallback = self.non_negative(merged.get("fallback_rate", 0), where, "fallback_rate")
        steps = self.pilot_steps(merged.get("pilot_steps", []), where)
        if None in (wiring, current_type, voltage, max_rate, min_rate, fallback) or steps is None:
            return None
        assert wiring is not None and current_type is not None
        assert voltage is not None and max_rate is not None and min_rate is not None and fallback is not None
        ok = True
        if min_rate > max_rate:
            self.fail(where, "min_rate", f"({min_rate}) must not exceed max_rate ({max_rate})")
            ok = False
        if fallback > max_rate:
            self.fail(where, "fallback_rate", f"({fallback}) must not exceed max_rate ({max_rate})")
            ok = False
        if current_type is CurrentType.DC and wiring is not Wiring.THREE_PHASE:
            self.fail(where, "wiring", "a DC charger draws from all three lines: use 'three-phase'")
            ok = False
        if steps and max(steps) > max_rate:
            self.fail(where, "pilot_steps", f"the largest step ({max(steps)}) exceeds max_rate ({max_rate})")
            ok = False
        if not ok:
            return None
        evse = Evse(
            id=evse_id,
            wiring=wiring,
            current_type=current_type,
            voltage_v=voltage,
            min_rate=min_rate,
            max_rate=max_rate,
            fallback_rate=fallback,
            pilot_steps=steps,
        )
        if fallback > 0 and RateGrid([evse]).at_most(np.array([fallback]))[0] != fallback:
            self.fail(where, "fallback_rate", f"({fallback}) is not a rate this charger accepts")
            return None
        return evse

    def phase_limits(self, value: Any, where: str) -> PhaseLimits:
        if value is None:
            return PhaseLimits()
        if isinstance(value, Mapping):
            unknown = set(value) - {"L1", "L2", "L3"}
            for name in sorted(unknown):
                self.fail(where, f"phase_limit_a.{name}", "unknown phase (use L1, L2, L3)")
            limits = [
                self.optional_positive(value.get(p), where, f"phase_limit_a.{p}") for p in ("L1", "L2", "L3")
            ]
            return PhaseLimits(*limits)
        amps = self.positive(value, where, "phase_limit_a")
        return PhaseLimits() if amps is None else PhaseLimits.uniform(amps)

    def transformer(self, value: Any, where: str) -> Transformer | None:
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.fail(where, "transformer", "must be a mapping with 'connection' and 'ratio'")
            return None
        connection = self.enum(
            TransformerConnection, value.get("connection"), where, "transformer.connection"
        )
        ratio = self.positive(value.get("ratio"), where, "transformer.ratio")
        if connection is None or ratio is None:
            return None
        return Transformer(connection=connection, ratio=ratio)

    def pilot_steps(self, value: Any, where: str) -> tuple[float, ...] | None:
        if not isinstance(value, list):
            self.fail(where, "pilot_steps", "must be a list of rates")
            return None
        steps: list[float] = []
        for position, item in enumerate(value):
            step = self.non_negative(item, where, f"pilot_steps[{position}]")
            if step is None:
                return None
            steps.append(step)
        return tuple(sorted(set(steps)))

    def enum(self, cls: type[_EnumT], value: Any, where: str, field: str) -> _EnumT | None:
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(repr(member.value) for member in cls)
            self.fail(where, field, f"{value!r} is not one of {allowed}")
            return None

    def positive(self, value: Any, where: str, field: str) -> float | None:
        number = self.number(value, where, field)
        if number is not None and number <= 0:
            self.fail(where, field, f"({number}) must be greater than 0")
            return None
        return number

    def optional_positive(self, value: Any, where: str, field: str) -> float | None:
        return None if value is None else self.positive(value, where, field)

    def non_negative(self, value: Any, where: str, field: str) -> float | None:
        number = self.number(value, where, field)
        if number is not None and number < 0:
            self.fail(where, field, f"({number}) must not be negative")
            return None
        return number

    def number(self, value: Any, where: str, field: str) -> float | None:
        if value is None:
            self.fail(where, field, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(where, field, f"{value!r} is not a number")
            return None
        number = float(value)
        if not math.isfinite(number):
            self.fail(where, field, f"({value}) must be a finite number")
            return None
        return number


def _join(parent: str, name: str) -> str:
    return f"{parent} > {name}" if parent else name
