"""The engine's input describing what happened in a session: periods of charging, parking, reservation.

A `Period` is one stretch of time with one activity; its duration is the billed TIME, PARKING_TIME or
reservation time, and its energy is spread evenly over it when the engine must split it (at a time-of-day
boundary or a kWh threshold). Adapters build these from OCPI ChargingPeriods; tests and estimates build
them directly.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from laddhub.pricing.tariff import ZERO

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
US_PER_SECOND = 1_000_000
US_PER_HOUR = 3_600_000_000


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch: the engine compares and subtracts integers, not datetimes."""
    return (moment - EPOCH) // MICROSECOND


def from_us(us: int) -> datetime:
    """The UTC datetime of an engine instant."""
    return EPOCH + timedelta(microseconds=us)


def iso(moment: datetime) -> str:
    """An OCPI DateTime string (UTC, `Z`, whole seconds unless the instant has a fraction)."""
    utc = moment.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


class PeriodKind(enum.Enum):
    """What the EV and EVSE were doing: charging (TIME), parking (PARKING_TIME) or reserved."""

    CHARGING = "CHARGING"
    PARKING = "PARKING"
    RESERVATION = "RESERVATION"


@dataclass(frozen=True, slots=True)
class Period:
    """One stretch of a session with one activity.

    `current_a` (A, sum over phases) and `power_kw` are the values the current/power restrictions are
    evaluated against; `None` means unknown, which no current/power restriction accepts.
    """

    start: datetime
    end: datetime
    kind: PeriodKind = PeriodKind.CHARGING
    energy_kwh: Decimal = ZERO
    current_a: Decimal | None = None
    power_kw: Decimal | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Period start and end must be timezone-aware (UTC) datetimes")


@dataclass(frozen=True, slots=True)
class Timeline:
    """A whole session as priced: its bounds, its periods, and whether a reservation expired unused.

    `reservation_expired` marks reservation periods that ended without a charge, which the
    RESERVATION_EXPIRES elements price.
    """

    start: datetime
    end: datetime
    periods: Sequence[Period]
    reservation_expired: bool = False

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Timeline start and end must be timezone-aware (UTC) datetimes")
