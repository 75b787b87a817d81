"""Small sites and sessions used across the example-based tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from laddhub.loadmgmt.sessions import Session
from laddhub.loadmgmt.topology import Site
from laddhub.loadmgmt.topology_loading import site_from_mapping

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def single_phase_site(evses: int, grid_amps: float, **evse_fields: Any) -> Site:
    """`evses` single-phase 230 V chargers on L1 behind one limit per phase."""
    fields = {
        "wiring": "L1",
        "voltage_v": 230,
        "min_rate": 6,
        "max_rate": 32,
        "fallback_rate": 6,
        **evse_fields,
    }
    return site_from_mapping(
        {
            "id": "test",
            "root": {
                "id": "grid",
                "kind": "grid_connection",
                "phase_limit_a": grid_amps,
                "evses": [{"id": f"E{k}", **fields} for k in range(evses)],
            },
        }
    )


def session(evse_id: str, hours: float = 8.0, kwh: float | None = 50.0, **fields: Any) -> Session:
    """A session that arrived now and leaves in `hours`."""
    return Session(
        id=f"s-{evse_id}",
        evse_id=evse_id,
        arrival=fields.pop("arrival", NOW),
        departure=NOW + timedelta(hours=hours),
        energy_needed_kwh=kwh,
        **fields,
    )
