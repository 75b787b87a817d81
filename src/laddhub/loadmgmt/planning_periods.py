"""The look-ahead's time grid: fine near now, where decisions are executed, coarse further out.

Only the first period is ever executed before the plan is solved again, so later periods only need to be
fine enough to see departures and price changes coming: the step length for the first hour, 15 minutes up
to four hours, then whole hours. This keeps a 12-hour plan to about 40 periods instead of 144.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

_FINE_SPAN = timedelta(hours=1)
_MEDIUM_SPAN = timedelta(hours=4)
_MEDIUM_LENGTH = timedelta(minutes=15)
_COARSE_LENGTH = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Period:
    """One planning period [start, end)."""

    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        """Length in hours, the factor between a rate in kW and the energy of the period."""
        return (self.end - self.start).total_seconds() / 3600.0

    def share_before(self, departure: datetime) -> float:
        """The share of this period a car leaving at `departure` is still plugged in."""
        if departure <= self.start:
            return 0.0
        if departure >= self.end:
            return 1.0
        return (departure - self.start) / (self.end - self.start)


def planning_periods(now: datetime, step: timedelta, until: datetime) -> tuple[Period, ...]:
    """Periods from `now` covering at least one step and at most up to `until`."""
    if step <= timedelta(0):
        raise ValueError("the control step must be positive")
    periods: list[Period] = []
    cursor = now
    end = max(until, now + step)
    while cursor < end:
        elapsed = cursor - now
        if elapsed < _FINE_SPAN:
            length = step
        elif elapsed < _MEDIUM_SPAN:
            length = max(step, _MEDIUM_LENGTH)
        else:
            length = max(step, _COARSE_LENGTH)
        periods.append(Period(cursor, cursor + length))
        cursor += length
    return tuple(periods)
