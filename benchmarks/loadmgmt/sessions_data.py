"""Read ACN-Data session extracts (the CSV layout of ../shared/data/acn/) for replay."""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path


@dataclass(frozen=True, slots=True)
class RecordedSession:
    """One real session as recorded at the site."""

    session_id: str
    station_id: str
    arrival: datetime
    departure: datetime
    estimated_departure: datetime
    requested_kwh: float


def load_sessions(path: Path, days: int | None) -> tuple[datetime, list[RecordedSession]]:
    """Sessions arriving in the first `days` days of the file (from local midnight of the first arrival)."""
    with gzip.open(path, "rt", newline="") as handle:
        rows = list(csv.DictReader(handle))
    sessions = [
        RecordedSession(
            session_id=row["session_id"],
            station_id=row["station_id"],
            arrival=datetime.fromisoformat(row["arrival"]),
            departure=datetime.fromisoformat(row["departure"]),
            estimated_departure=datetime.fromisoformat(row["estimated_departure"]),
            requested_kwh=float(row["requested_energy (kWh)"]),
        )
        for row in rows
    ]
    sessions.sort(key=lambda s: s.arrival)
    first = sessions[0].arrival
    start = first.replace(hour=0, minute=0, second=0, microsecond=0)
    if days is not None:
        end = start + timedelta(days=days)
        sessions = [s for s in sessions if s.arrival < end]
    return start, sessions
