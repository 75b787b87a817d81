"""What a simulated charger remembers between two events, stored as JSON with its database row.

A charger is in one `Phase`; a vehicle may be plugged in whatever the phase (a driver plugs in before or
after authorising). While a session runs, `Run` holds everything the charger needs to finish it without
asking anyone: the meter readings, the tariff and the CDR location as they were when the session started,
the charging profile it applies, and its deadlines. Everything is exact (Decimals as strings in the JSON).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from laddhub.chargers.metering import MeterReading
from laddhub.chargers.profiles import anchor_of
from laddhub.ocpi.v2_2_1.chargingprofiles import ChargingProfile
from laddhub.ocpi.v2_2_1.tokens import ProfileType


class Phase(StrEnum):
    """Where a charger is in the life of a session."""

    IDLE = "IDLE"
    """No session; the EVSE is free (a vehicle may be plugged in, waiting for authorisation)."""
    RESERVED = "RESERVED"
    """Held for a reservation; its session has status RESERVATION."""
    AUTHORIZED = "AUTHORIZED"
    """A session is authorised and PENDING until the vehicle is plugged in."""
    CHARGING = "CHARGING"
    """The session is ACTIVE: the vehicle charges or, once full, parks."""
    FINISHED = "FINISHED"
    """The session ended; the EVSE is free again once the vehicle is unplugged."""


class _State(BaseModel):
    model_config = ConfigDict(frozen=False, extra="ignore")


class Vehicle(_State):
    """The simulated vehicle plugged into one connector: how much energy it takes and how fast."""

    connector_id: str
    capacity_kwh: Decimal
    max_power_kw: Decimal


class Run(_State):
    """The session a charger runs, with what it needs to meter, price and close it."""

    session_id: str
    connector_id: str
    token_uid: str
    default_profile: ProfileType | None = None
    """The token's default charging preference, used when the eMSP sends none."""
    created_at: datetime
    charging_started: datetime | None = None
    readings: list[MeterReading] = Field(default_factory=list)
    tariff: dict[str, Any] | None = None
    """The OCPI Tariff that applies, as it was when the session started."""
    time_zone: str
    cdr_location: dict[str, Any]
    """The CdrLocation as the Location, EVSE and Connector were when the session started."""
    published_periods: int = 0
    """How many charging periods the stored (and pushed) Session already holds; later ones are open."""
    last_progress_at: datetime | None = None
    plug_deadline: datetime | None = None
    ends_at: datetime | None = None
    reservation_id: int | None = None
    reservation_expiry: datetime | None = None
    profile: dict[str, Any] | None = None
    """The ChargingProfile the charger applies, as set by a partner."""

    def charging_profile(self) -> ChargingProfile | None:
        """The profile in force, as its OCPI model."""
        return None if self.profile is None else ChargingProfile.model_validate(self.profile)

    def profile_end(self) -> datetime | None:
        """When the profile in force stops limiting (None: it lasts as long as the session)."""
        profile = self.charging_profile()
        if profile is None or profile.duration is None:
            return None
        anchor = anchor_of(profile, self.charging_started)
        return None if anchor is None else anchor + timedelta(seconds=profile.duration)


class ChargerState(_State):
    """Everything a simulated charger remembers."""

    phase: Phase = Phase.IDLE
    vehicle: Vehicle | None = None
    run: Run | None = None
    unplug_at: datetime | None = None
    """When the driver of a finished session takes the vehicle away."""

    def next_event(self, meter_interval: timedelta) -> datetime | None:
        """When the charger must act by itself next: the unplug of a finished session, a reservation's
        expiry, an authorisation's plug-in deadline, or, while charging, the next progress report, the end
        of the stay or of the profile. Changes of the draw in between are computed on the way."""
        run = self.run
        if self.phase is Phase.FINISHED:
            return self.unplug_at
        if run is None:
            return None
        if self.phase is Phase.RESERVED:
            return run.reservation_expiry
        if self.phase is Phase.AUTHORIZED:
            return run.plug_deadline
        if self.phase is not Phase.CHARGING:
            return None
        moments = [m for m in (run.ends_at, run.profile_end()) if m is not None]
        if run.last_progress_at is not None:
            moments.append(run.last_progress_at + meter_interval)
        return min(moments) if moments else None
