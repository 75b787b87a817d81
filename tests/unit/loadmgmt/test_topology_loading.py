"""Site descriptions load from YAML and JSON, and bad ones fail with errors naming the node and field."""

from __future__ import annotations

import json

import pytest

from laddhub.loadmgmt.topology import CurrentType, NodeKind, PhaseLimits, TransformerConnection, Wiring
from laddhub.loadmgmt.topology_loading import TopologyError, site_from_json, site_from_mapping, site_from_yaml

SITE_YAML = """
id: depot
time_zone: Europe/Stockholm
evse_defaults: {voltage_v: 230, min_rate: 6, max_rate: 32, fallback_rate: 6}
root:
  id: grid
  kind: grid_connection
  power_limit_kw: 100
  phase_limit_a: {L1: 160, L2: 160, L3: 125}
  children:
    - id: feeder-a
      kind: feeder
      phase_limit_a: 63
      evses:
        - {id: A1, wiring: L1}
        - {id: A2, wiring: three-phase, pilot_steps: [6, 10, 16, 32]}
    - id: dc
      kind: transformer
      transformer: {connection: wye-wye, ratio: 1}
      evses:
        - {id: D1, wiring: three-phase, current_type: DC, max_rate: 50, min_rate: 0, fallback_rate: 10}
"""


def test_yaml_site_loads_with_defaults_limits_and_wiring() -> None:
    site = site_from_yaml(SITE_YAML)
    assert site.id == "depot" and site.time_zone == "Europe/Stockholm"
    assert site.root.kind is NodeKind.GRID_CONNECTION
    assert site.root.phase_limits == PhaseLimits(160.0, 160.0, 125.0)
    assert [e.id for e in site.evses] == ["A1", "A2", "D1"]
    a2 = site.evses[1]
    assert a2.wiring is Wiring.THREE_PHASE and a2.pilot_steps == (6.0, 10.0, 16.0, 32.0)
    assert a2.kw_per_unit == pytest.approx(3 * 230 / 1000)
    dc = site.evses[2]
    assert dc.current_type is CurrentType.DC and dc.max_rate == 50.0
    assert site.root.children[1].transformer is not None
    assert site.root.children[1].transformer.connection is TransformerConnection.WYE_WYE


def test_json_and_yaml_descriptions_give_the_same_site() -> None:
    import yaml

    assert site_from_json(json.dumps(yaml.safe_load(SITE_YAML))) == site_from_yaml(SITE_YAML)


def _issues(data: object) -> list[str]:
    with pytest.raises(TopologyError) as caught:
        site_from_mapping(data)
    return [str(issue) for issue in caught.value.issues]


def test_every_fault_is_reported_with_its_node_path_and_field() -> None:
    issues = _issues(
        {
            "id": "s",
            "root": {
                "id": "grid",
                "phase_limit_a": -5,
                "children": [
                    {
                        "id": "pod",
                        "evses": [
                            {"id": "E1", "wiring": "L4", "voltage_v": 230, "max_rate": 32},
                            {"id": "E2", "wiring": "L1", "voltage_v": 230, "max_rate": 16, "min_rate": 20},
                        ],
                    }
                ],
            },
        }
    )
    assert "grid: phase_limit_a: (-5.0) must be greater than 0" in issues
    assert any(i.startswith("grid > pod > E1: wiring: 'L4' is not one of") for i in issues)
    assert "grid > pod > E2: min_rate: (20.0) must not exceed max_rate (16.0)" in issues


def test_duplicate_ids_unknown_fields_and_missing_values_are_named() -> None:
    evse = {"id": "E1", "wiring": "L1", "voltage_v": 230, "max_rate": 32}
    issues = _issues(
        {
            "id": "s",
            "root": {
                "id": "grid",
                "colour": "red",
                "children": [{"id": "grid", "evses": [evse]}],
                "evses": [evse, {"id": "E3", "wiring": "L2", "max_rate": "lots"}],
            },
        }
    )
    assert "grid: colour: unknown field" in issues
    assert "grid > grid: id: node id 'grid' is used twice" in issues
    assert "grid > E1: id: EVSE id 'E1' is used twice" in issues
    assert "grid > E3: voltage_v: is required" in issues
    assert "grid > E3: max_rate: 'lots' is not a number" in issues


def test_dc_chargers_must_be_three_phase_and_steps_must_fit_the_maximum() -> None:
    issues = _issues(
        {
            "id": "s",
            "root": {
                "id": "grid",
                "evses": [
                    {"id": "D", "wiring": "L1", "current_type": "DC", "voltage_v": 230, "max_rate": 50},
                    {"id": "P", "wiring": "L1", "voltage_v": 230, "max_rate": 16, "pilot_steps": [6, 32]},
                    {
                        "id": "F",
                        "wiring": "L1",
                        "voltage_v": 230,
                        "max_rate": 16,
                        "pilot_steps": [6, 16],
                        "fallback_rate": 10,
                    },
                ],
            },
        }
    )
    assert "grid > D: wiring: a DC charger draws from all three lines: use 'three-phase'" in issues
    assert "grid > P: pilot_steps: the largest step (32.0) exceeds max_rate (16.0)" in issues
    assert "grid > F: fallback_rate: (10.0) is not a rate this charger accepts" in issues


def test_a_site_without_any_evse_or_root_is_rejected() -> None:
    assert _issues({"id": "s", "root": {"id": "grid"}}) == [
        "grid: evses: the site has no EVSE anywhere in its tree"
    ]
    assert _issues({"id": "s"}) == ["site: root: is required: the grid connection node"]
    assert _issues([1, 2]) == ["site: document: must be a mapping with 'id' and 'root'"]


def test_broken_yaml_and_json_are_topology_errors() -> None:
    with pytest.raises(TopologyError, match="yaml"):
        site_from_yaml("id: [unclosed")
    with pytest.raises(TopologyError, match="json"):
        site_from_json("{")
