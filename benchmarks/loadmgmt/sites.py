"""The ACN sites (Caltech garage, JPL) as Laddhub topologies, matching acnportal's own network models.

Station ids, wiring and ratings follow the site descriptions in ACN-Data and acnportal: line-to-line
chargers on a 120/208 V secondary behind delta-wye transformers (480 V to 120 V, ratio 4), AeroVironment
chargers accepting 6..32 A in 1 A steps and ClipperCreek chargers accepting 8, 16, 24 or 32 A.
"""

from __future__ import annotations

from typing import Any

from laddhub.loadmgmt.topology import Site
from laddhub.loadmgmt.topology_loading import site_from_mapping

AV_STEPS = [float(a) for a in range(6, 33)]
CC_STEPS = [8.0, 16.0, 24.0, 32.0]
VOLTAGE = 208.0

CALTECH_CC_POD = ["CA-322", "CA-493", "CA-496", "CA-320", "CA-495", "CA-321", "CA-323", "CA-494"]
CALTECH_AV_POD = ["CA-324", "CA-325", "CA-326", "CA-327", "CA-489", "CA-490", "CA-491", "CA-492"]
CALTECH_AB = [f"CA-{i}" for i in (308, 508, 303, 513, 310, 506, 316, 500, 318, 498)]
CALTECH_BC = [f"CA-{i}" for i in (304, 512, 305, 511, 313, 503, 311, 505, 317, 499, 148, 149, 212, 213)]
CALTECH_CA = [f"CA-{i}" for i in (307, 509, 309, 507, 306, 510, 315, 501, 319, 497, 312, 504, 314, 502)]


def _evse(evse_id: str, wiring: str, steps: list[float]) -> dict[str, Any]:
    return {
        "id": evse_id,
        "wiring": wiring,
        "voltage_v": VOLTAGE,
        "min_rate": steps[0],
        "max_rate": 32.0,
        "fallback_rate": steps[0],
        "pilot_steps": steps,
    }


def _line_to_line(ab: list[str], bc: list[str], ca: list[str]) -> list[dict[str, Any]]:
    return (
        [_evse(e, "L1-L2", AV_STEPS) for e in ab]
        + [_evse(e, "L2-L3", AV_STEPS) for e in bc]
        + [_evse(e, "L3-L1", AV_STEPS) for e in ca]
    )


def caltech(transformer_kw: float) -> Site:
    """The Caltech garage: 54 EVSEs behind one transformer of `transformer_kw`, plus two 80 A pods."""
    return site_from_mapping(
        {
            "id": f"caltech-{transformer_kw:g}kW",
            "time_zone": "America/Los_Angeles",
            "root": {
                "id": "primary",
                "kind": "grid_connection",
                "phase_limit_a": transformer_kw * 1000 / 3 / 277,
                "children": [
                    {
                        "id": "transformer",
                        "kind": "transformer",
                        "transformer": {"connection": "delta-wye", "ratio": 4},
                        "phase_limit_a": transformer_kw * 1000 / 3 / 120,
                        "children": [
                            {
                                "id": "cc-pod",
                                "kind": "breaker",
                                "phase_limit_a": 80,
                                "evses": [_evse(e, "L1-L2", CC_STEPS) for e in CALTECH_CC_POD],
                            },
                            {
                                "id": "av-pod",
                                "kind": "breaker",
                                "phase_limit_a": 80,
                                "evses": [_evse(e, "L1-L2", AV_STEPS) for e in CALTECH_AV_POD],
                            },
                        ],
                        "evses": _line_to_line(CALTECH_AB, CALTECH_BC, CALTECH_CA),
                    }
                ],
            },
        }
    )


def _panel(node_id: str, amps: float, ab: list[str], bc: list[str], ca: list[str]) -> dict[str, Any]:
    return {"id": node_id, "kind": "breaker", "phase_limit_a": amps, "evses": _line_to_line(ab, bc, ca)}


def _transformer(
    node_id: str, kw: float, children: list[dict[str, Any]], evses: list[dict[str, Any]]
) -> dict[str, Any]:
    # acnportal rates the JPL primaries at sqrt(3) times the secondary's per-phase current over the ratio.
    secondary = kw * 1000 / 3 / 120
    return {
        "id": f"{node_id}-primary",
        "kind": "feeder",
        "phase_limit_a": secondary * 3**0.5,
        "children": [
            {
                "id": node_id,
                "kind": "transformer",
                "transformer": {"connection": "delta-wye", "ratio": 4},
                "phase_limit_a": secondary,
                "children": children,
                "evses": evses,
            }
        ],
    }


def jpl(transformer_kw: float) -> Site:
    """The JPL garage: a 45 kW first-floor transformer, and one of `transformer_kw` for floors 3 and 4."""
    first = [
        _panel("1f-sp1", 100, ["AG-1F12", "AG-1F14"], [], ["AG-1F11", "AG-1F13"]),
        _panel("1f-sp2", 100, ["AG-1F03", "AG-1F06"], ["AG-1F01", "AG-1F04"], ["AG-1F02", "AG-1F05"]),
    ]
    first_main = _line_to_line(["AG-1F10"], ["AG-1F07", "AG-1F09"], ["AG-1F08"])
    third = _panel(
        "3f-panel",
        225,
        ["AG-3F16", "AG-3F17", "AG-3F20", "AG-3F23", "AG-3F25", "AG-3F26", "AG-3F29", "AG-3F33"],
        ["AG-3F18", "AG-3F21", "AG-3F27", "AG-3F30", "AG-3F31"],
        ["AG-3F15", "AG-3F19", "AG-3F22", "AG-3F24", "AG-3F28", "AG-3F32"],
    )
    fourth = _panel(
        "4f-panel",
        225,
        ["AG-4F35", "AG-4F36", "AG-4F39", "AG-4F42", "AG-4F44", "AG-4F45", "AG-4F48", "AG-4F52"],
        ["AG-4F37", "AG-4F40", "AG-4F46", "AG-4F49", "AG-4F50"],
        ["AG-4F34", "AG-4F38", "AG-4F41", "AG-4F43", "AG-4F47", "AG-4F51"],
    )
    return site_from_mapping(
        {
            "id": f"jpl-{transformer_kw:g}kW",
            "time_zone": "America/Los_Angeles",
            "root": {
                "id": "grid",
                "kind": "grid_connection",
                "children": [
                    _transformer("1f-transformer", 45, first, first_main),
                    _transformer("3f4f-transformer", transformer_kw, [third, fourth], []),
                ],
            },
        }
    )
