"""Charging sessions as the allocator sees them, and the priority classes that order them.

A session carries what the CPO knows now: when the car arrived, when it is expected to leave, how much energy
it still needs (when known), how fast the vehicle can take it, who it belongs to (its priority class) and the
driver's OCPI ChargingPreferences, if any were set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ProfileType(StrEnum):
    """OCPI 2.2.1 ChargingPreferences.profile_type: what the driver wants optimised."""

    CHEAP = "CHEAP"
    FAST = "FAST"
    GREEN = "GREEN"
    REGULAR = "REGULAR"


@dataclass(frozen=True, slots=True)
class ChargingPreferences:
    """The OCPI ChargingPreferences of a session; `energy_need_kwh` is the total the driver asked for."""

    profile_type: ProfileType
    departure_time: datetime | None = None
    energy_need_kwh: float | None = None


@dataclass(frozen=True, slots=True)
class PriorityClass:
    """A class of users served before all lower classes.

    `rank` orders the classes (0 is served first). `guaranteed_kw` is power each of its sessions receives
    before any session of any class gets more than its own guarantee, as long as the site can carry it.
    """

    name: str
    rank: int
    guaranteed_kw: float = 0.0


@dataclass(frozen=True, slots=True)
class PriorityPolicy:
    """The site's priority classes, and the class used for sessions that name none or an unknown one."""

    classes: tuple[PriorityClass, ...]
    default_class: str

    def __post_init__(self) -> None:
        names = [c.name for c in self.classes]
        if len(set(names)) != len(names):
            raise ValueError(f"priority class names must be unique, got {names}")
        if self.default_class not in names:
            raise ValueError(f"default_class {self.default_class!r} is not one of the classes {names}")
        if any(c.guaranteed_kw < 0 for c in self.classes):
            raise ValueError("guaranteed_kw must not be negative")

    def class_of(self, name: str | None) -> PriorityClass:
        """The class a session belongs to, falling back to the default for unknown names."""
        for candidate in self.classes:
            if candidate.name == name:
                return candidate
        return next(c for c in self.classes if c.name == self.default_class)

    @staticmethod
    def single(name: str = "public") -> PriorityPolicy:
        """One class for everybody: plain energy maximisation with fairness."""
        return PriorityPolicy(classes=(PriorityClass(name, 0),), default_class=name)

    @staticmethod
    def of(classes: Iterable[PriorityClass], default_class: str) -> PriorityPolicy:
        """Build a policy from any iterable of classes."""
        return PriorityPolicy(classes=tuple(classes), default_class=default_class)


@dataclass(frozen=True, slots=True)
class Session:
    """A vehicle plugged into an EVSE.

    `energy_needed_kwh` is what is still needed now (None when unknown); `energy_delivered_kwh` lets a total
    energy need from the driver's preferences be turned into what is still missing. `departure` is the
    operator's estimate; the driver's own `preferences.departure_time` wins when given.
    """

    id: str
    evse_id: str
    arrival: datetime
    departure: datetime | None = None
    energy_needed_kwh: float | None = None
    energy_delivered_kwh: float = 0.0
    vehicle_max_kw: float | None = None
    priority_class: str | None = None
    preferences: ChargingPreferences | None = None

    def expected_departure(
        self, now: datetime, default_dwell: timedelta, overdue_stay: timedelta
    ) -> datetime:
        """When to plan for the car to leave.

        A car still plugged in after its estimated departure is expected to stay `overdue_stay` longer: about
        half of all drivers leave later than they said, and planning such a car as gone would starve it.
        """
        departure = self.stated_departure
        if departure is None:
            departure = self.arrival + default_dwell
        if departure <= now:
            return now + overdue_stay
        return departure

    @property
    def stated_departure(self) -> datetime | None:
        """The departure known for this car: the driver's own from its preferences, else the operator's."""
        if self.preferences is not None and self.preferences.departure_time is not None:
            return self.preferences.departure_time
        return self.departure

    def remaining_energy_kwh(self) -> float | None:
        """Energy still missing, from the operator's figure or else from the driver's stated need."""
        if self.energy_needed_kwh is not None:
            return max(0.0, self.energy_needed_kwh)
        if self.preferences is not None and self.preferences.energy_need_kwh is not None:
            return max(0.0, self.preferences.energy_need_kwh - self.energy_delivered_kwh)
        return None

    @property
    def profile_type(self) -> ProfileType:
        """The driver's profile, REGULAR when none was set."""
        return ProfileType.REGULAR if self.preferences is None else self.preferences.profile_type
