"""The audit computes exact line currents on its own and reports every broken limit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from laddhub.loadmgmt.audit import audit
from laddhub.loadmgmt.linear_model import build_linear_model
from laddhub.loadmgmt.topology_loading import site_from_mapping

from .helpers import single_phase_site
from .strategies import sites


def _line_to_line_site(limit: float, primary_limit: float | None = None) -> object:
    root: dict[str, object] = {
        "id": "secondary",
        "kind": "transformer",
        "phase_limit_a": limit,
        "transformer": {"connection": "delta-wye", "ratio": 4},
        "evses": [
            {"id": "AB", "wiring": "L1-L2", "voltage_v": 208, "max_rate": 80},
            {"id": "BC", "wiring": "L2-L3", "voltage_v": 208, "max_rate": 80},
            {"id": "CA", "wiring": "L3-L1", "voltage_v": 208, "max_rate": 80},
        ],
    }
    if primary_limit is not None:
        root = {
            "id": "primary",
            "kind": "grid_connection",
            "phase_limit_a": primary_limit,
            "children": [root],
        }
    return site_from_mapping({"id": "ll", "root": root})


def test_two_line_to_line_loads_sharing_a_line_add_up_to_sqrt3_not_double() -> None:
    site = _line_to_line_site(limit=1000)
    # L1 carries AB at +30 degrees and CA at -30 degrees: |10 e^{j30} + 10 e^{-j30}| = 10 sqrt(3).
    found = audit(site, {"AB": 10, "CA": 10}, grid_phase_amps={"L1": 17.0})
    assert [(v.where, v.quantity) for v in found] == [("secondary", "L1 current (A)")]
    assert found[0].value == pytest.approx(10 * math.sqrt(3))
    assert audit(site, {"AB": 10, "CA": 10}, grid_phase_amps={"L1": 17.4}) == ()


def test_delta_wye_primary_sees_the_difference_of_secondary_lines() -> None:
    site = _line_to_line_site(limit=1000, primary_limit=5.0)
    # One AB load of 10 A: secondary a = 10 e^{j30}, b = -10 e^{j30}; primary B = (b - a) / 4 = 5 A.
    assert audit(site, {"AB": 10}) == ()
    found = audit(site, {"AB": 10.1})
    assert {v.quantity for v in found} == {"L2 current (A)"}
    assert found[0].value == pytest.approx(10.1 / 2)


def test_power_limits_rates_outside_the_charger_and_unknown_evses_are_violations() -> None:
    site = site_from_mapping(
        {
            "id": "p",
            "root": {
                "id": "grid",
                "power_limit_kw": 10,
                "evses": [
                    {"id": "E1", "wiring": "three-phase", "voltage_v": 230, "min_rate": 6, "max_rate": 16},
                    {
                        "id": "E2",
                        "wiring": "L1",
                        "voltage_v": 230,
                        "max_rate": 32,
                        "pilot_steps": [8, 16, 32],
                    },
                ],
            },
        }
    )
    found = {(v.where, v.quantity) for v in audit(site, {"E1": 16, "E2": 12, "E9": 1})}
    assert ("grid", "power (kW)") in found  # 3 x 230 x 16 + 230 x 12 = 13.8 kW
    assert ("E2", "rate that is not a pilot step") in found
    assert ("E9", "unknown EVSE") in found
    assert ("E1", "rate below the charger's minimum") in {
        (v.where, v.quantity) for v in audit(site, {"E1": 3})
    }
    assert ("E1", "rate above the charger's maximum") in {
        (v.where, v.quantity) for v in audit(site, {"E1": 17})
    }


def test_a_grid_signal_tightens_the_grid_connection_only() -> None:
    site = single_phase_site(2, grid_amps=63)
    assert audit(site, {"E0": 32, "E1": 30}) == ()
    found = audit(site, {"E0": 32, "E1": 30}, grid_power_kw=10.0)
    assert [(v.where, v.quantity, v.limit) for v in found] == [("grid", "power (kW)", 10.0)]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_anything_the_linear_model_allows_the_exact_audit_allows(data: st.DataObject) -> None:
    site = data.draw(sites())
    model = build_linear_model(site)
    # Scale a random direction until the model's tightest row binds: the boundary is the hardest case.
    direction = np.array(
        [data.draw(st.floats(0.0, 1.0)) * evse.max_rate for evse in site.evses], dtype=np.float64
    )
    load = model.matrix @ direction
    rising = load > 1e-12
    factor = float(np.min(model.static_limits[rising] / load[rising])) if rising.any() else 1.0
    rates = direction * min(1.0, factor)
    assume_rates = {evse.id: float(r) for evse, r in zip(site.evses, rates, strict=True)}
    found = [v for v in audit(site, assume_rates) if "current" in v.quantity or "power" in v.quantity]
    assert found == []
