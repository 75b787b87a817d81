"""Scenario builders for pricing tests: the spec gives totals, these give the timelines behind them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from laddhub.pricing.lenient import read_tariff
from laddhub.pricing.tariff import Tariff
from laddhub.pricing.timeline import Period, PeriodKind, Timeline

BERLIN = ZoneInfo("Europe/Berlin")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def load_tariff(directory: Path, name: str) -> Tariff:
    """One of the spec's example tariffs, read by the lenient reader (which must not need to warn)."""
    tariff, warnings = read_tariff(json.loads((directory / f"{name}.json").read_text()))
    assert not warnings, warnings
    return tariff


@dataclass(frozen=True)
class Phase:
    """A stretch of a scenario: what happened and for how long."""

    kind: PeriodKind
    minutes: float
    kwh: str = "0"
    current: str | None = None
    power: str | None = None


def charge(minutes: float, kwh: str = "0", current: str | None = None, power: str | None = None) -> Phase:
    return Phase(PeriodKind.CHARGING, minutes, kwh, current, power)


def park(minutes: float) -> Phase:
    return Phase(PeriodKind.PARKING, minutes)


def reserve(minutes: float) -> Phase:
    return Phase(PeriodKind.RESERVATION, minutes)


def session(local_start: datetime, *phases: Phase, expired: bool = False) -> Timeline:
    """A timeline whose phases follow each other from `local_start` (an aware datetime in any zone)."""
    cursor = local_start.astimezone(UTC)
    start = cursor
    periods = []
    for phase in phases:
        end = cursor + timedelta(minutes=phase.minutes)
        periods.append(
            Period(
                start=cursor,
                end=end,
                kind=phase.kind,
                energy_kwh=Decimal(phase.kwh),
                current_a=None if phase.current is None else Decimal(phase.current),
                power_kw=None if phase.power is None else Decimal(phase.power),
            )
        )
        cursor = end
    return Timeline(start, cursor, tuple(periods), reservation_expired=expired)
