"""When a plugged-in car will really leave, learned from the site's own completed stays.

Drivers' departure estimates are poor guides. On the Caltech garage data a quarter of the drivers leave more
than 10 % earlier than they said and half leave later, and whether a car leaves early or late decides who
should charge first: a plan that trusts the estimates rushes cars that will in fact stay all day and puts
off cars that will leave before they are served. What a site does know is its own history: at a workplace,
a car arriving at 8:00 with a stated two-hour stay usually stays into the afternoon; one arriving at 16:00
usually leaves within a few hours.

`DepartureModel` is a nearest-neighbour estimate over completed stays. For a car plugged in now it takes the
completed stays most like it (arrival time of day in the site's time zone, stated length of stay, weekday
or weekend) among those that lasted longer than this car has been here so far, and returns their lengths,
laid onto this car's arrival, as equally likely departures (`DepartureOutlook`). Conditioning on the time
already spent means a car still here at 17:00 is no longer expected to leave at the lunch hour, and a car
past its stated departure is judged by the stays that also ran past theirs.

The model is pure: the history arrives as data (the benchmark adapter or the service layer collects it as
cars unplug). Every question is asked at an instant `now`, and only stays that had ended by then are used,
so the model cannot use any car's departure, including the asking car's own, before it happened.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# How far apart two stays are, in "typical differences": two hours of arrival time of day, a factor of
# e^0.5 (about 1.65) in stated length, or a weekday against a weekend day (worth two such steps, since
# weekend visitors follow no office hours).
_TIME_OF_DAY_SCALE_H = 2.0
_STATED_STAY_SCALE = 0.5
_DAY_KIND_DISTANCE_SQUARED = 4.0
# A stay with a stated departure compared with one without is as far apart as a weekday from a weekend day.
_STATED_MISMATCH_DISTANCE_SQUARED = 4.0
# Added to stated stays before taking logarithms, so that 5 and 10 minutes do not look as far apart as
# 5 and 10 hours.
_STATED_STAY_OFFSET_H = 0.25
# Fewer comparable stays than these and the model declines to answer; the caller then trusts the estimate.
_MIN_SURVIVORS = 3
_SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class CompletedStay:
    """A stay that has ended: what was known when the car arrived, and when it really left.

    `stated_departure` is the departure known at arrival (the driver's, or else the operator's estimate),
    None when there was none.
    """

    arrival: datetime
    stated_departure: datetime | None
    departed: datetime

    def __post_init__(self) -> None:
        if self.departed < self.arrival:
            raise ValueError(f"a stay cannot end ({self.departed}) before it began ({self.arrival})")


@dataclass(frozen=True, slots=True)
class DepartureOutlook:
    """Equally likely departures of one car, in hours from now: sorted, every one of them positive."""

    remaining_hours: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.remaining_hours:
            raise ValueError("an outlook needs at least one possible departure")
        if any(h <= 0 or not math.isfinite(h) for h in self.remaining_hours):
            raise ValueError("possible departures must lie after now")
        if list(self.remaining_hours) != sorted(self.remaining_hours):
            raise ValueError("possible departures must be sorted")

    @staticmethod
    def certain(hours: float) -> DepartureOutlook:
        """A car that leaves in exactly `hours`, as the allocator assumes without a model."""
        return DepartureOutlook((hours,))

    @property
    def latest_hours(self) -> float:
        """The last possible departure, up to which a plan may still count on the car."""
        return self.remaining_hours[-1]

    @property
    def median_hours(self) -> float:
        """The typical departure, used to judge how urgent the car is."""
        return float(np.median(self.remaining_hours))

    @property
    def is_certain(self) -> bool:
        """Whether every possible departure is the same one."""
        return self.remaining_hours[0] == self.remaining_hours[-1]

    def expected_presence(self, starts_h: FloatArray, ends_h: FloatArray) -> FloatArray:
        """Expected share of each period [start, end) (hours from now) that the car is still plugged in."""
        departures = np.asarray(self.remaining_hours, dtype=np.float64)[:, None]
        lengths = np.maximum(ends_h - starts_h, 1e-12)[None, :]
        shares = np.clip((departures - starts_h[None, :]) / lengths, 0.0, 1.0)
        result: FloatArray = shares.mean(axis=0)
        return result


class DepartureModel:
    """Predicts departures from the site's completed stays; build it from the history, ask at any `now`.

    `neighbours` is how many comparable stays make up an outlook; below `min_history` completed stays the
    model answers None, because a handful of stays says more about those drivers than about the site.
    """

    def __init__(
        self,
        stays: Iterable[CompletedStay],
        time_zone: str = "UTC",
        neighbours: int = 25,
        min_history: int = 10,
    ) -> None:
        if neighbours < 1 or min_history < 1:
            raise ValueError("neighbours and min_history must be at least 1")
        self.neighbours = neighbours
        self.min_history = min_history
        self._zone = ZoneInfo(time_zone)
        ordered = sorted(stays, key=lambda s: s.departed)
        # Sorted by departure, the stays known at `now` are a prefix found by one binary search.
        self._departed_s = np.array([s.departed.timestamp() for s in ordered], dtype=np.float64)
        self._stay_h = np.array(
            [(s.departed - s.arrival).total_seconds() / _SECONDS_PER_HOUR for s in ordered], dtype=np.float64
        )
        features = [self._features(s.arrival, s.stated_departure) for s in ordered]
        self._time_of_day = np.array([f[0] for f in features], dtype=np.float64)
        self._stated = np.array([f[1] for f in features], dtype=np.float64)
        self._weekend = np.array([f[2] for f in features], dtype=np.bool_)

    def __len__(self) -> int:
        return len(self._stay_h)

    def known_at(self, now: datetime) -> int:
        """How many stays had ended by `now`: the only ones an answer at `now` may use."""
        return int(np.searchsorted(self._departed_s, now.timestamp(), side="right"))

    def outlook(
        self, arrival: datetime, stated_departure: datetime | None, now: datetime
    ) -> DepartureOutlook | None:
        """Likely departures of a car that arrived at `arrival` and is still plugged in at `now`.

        None when the history known at `now` is too thin to say anything better than the stated departure.
        """
        known = self.known_at(now)
        if known < self.min_history:
            return None
        elapsed_h = (now - arrival).total_seconds() / _SECONDS_PER_HOUR
        # Only stays that outlasted this car's time so far can say when it will leave.
        survivors = np.flatnonzero(self._stay_h[:known] > elapsed_h)
        if survivors.size < _MIN_SURVIVORS:
            return None
        time_of_day, stated, weekend = self._features(arrival, stated_departure)
        distance = self._distance_squared(survivors, time_of_day, stated, weekend)
        nearest = survivors[np.argsort(distance, kind="stable")[: self.neighbours]]
        remaining = np.sort(self._stay_h[nearest] - elapsed_h)
        return DepartureOutlook(tuple(float(h) for h in remaining))

    def _features(self, arrival: datetime, stated_departure: datetime | None) -> tuple[float, float, bool]:
        """(local arrival hour of day, log of the stated stay or NaN, whether it is a weekend day)."""
        local = arrival.astimezone(self._zone)
        time_of_day = local.hour + local.minute / 60.0 + local.second / _SECONDS_PER_HOUR
        stated = math.nan
        if stated_departure is not None:
            stated_h = max((stated_departure - arrival).total_seconds() / _SECONDS_PER_HOUR, 0.0)
            stated = math.log(stated_h + _STATED_STAY_OFFSET_H)
        return time_of_day, stated, local.weekday() >= 5

    def _distance_squared(
        self, rows: npt.NDArray[np.intp], time_of_day: float, stated: float, weekend: bool
    ) -> FloatArray:
        hours_apart = np.abs(self._time_of_day[rows] - time_of_day)
        hours_apart = np.minimum(hours_apart, 24.0 - hours_apart)
        distance = (hours_apart / _TIME_OF_DAY_SCALE_H) ** 2
        other = self._stated[rows]
        both_stated = ~np.isnan(other) & (not math.isnan(stated))
        one_stated = np.isnan(other) != math.isnan(stated)
        stated_gap = np.where(
            both_stated, (np.nan_to_num(other) - np.nan_to_num(stated)) / _STATED_STAY_SCALE, 0.0
        )
        distance += stated_gap**2 + np.where(one_stated, _STATED_MISMATCH_DISTANCE_SQUARED, 0.0)
        distance += np.where(self._weekend[rows] != weekend, _DAY_KIND_DISTANCE_SQUARED, 0.0)
        result: FloatArray = distance
        return result
