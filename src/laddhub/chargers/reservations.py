"""Reservation ids: an eMSP's reservation_id is unique only for that eMSP, a charger's must be unique.

The spec (§10) forbids passing an eMSP's reservation_id to a charger as it is: two eMSPs may both use
"1". The CPO keys each reservation by (eMSP country, eMSP party, reservation_id) without regard to case,
and gives the charger its own number instead (the reservation record's id). A RESERVE_NOW repeating an
eMSP's reservation_id at the same location replaces that reservation and keeps its charger id; the same id
at another location while the first is still held is refused, because the eMSP cannot mean both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from laddhub.ocpi.common import ci_key

ReservationKey = tuple[str, str, str]
"""(eMSP country_code, eMSP party_id, reservation_id), upper-cased."""


def reservation_key(country_code: str, party_id: str, reservation_id: str) -> ReservationKey:
    """The key under which an eMSP's reservation is found, whatever case its id arrives in."""
    return (ci_key(country_code), ci_key(party_id), ci_key(reservation_id))


class ReservationStatus(StrEnum):
    """Where a reservation is in its life."""

    REQUESTED = "REQUESTED"
    """Accepted by the CPO, not yet confirmed by the charger."""
    ACTIVE = "ACTIVE"
    """The EVSE is held for the token."""
    USED = "USED"
    """The token started charging on it."""
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"
    """The charger refused it or did not answer."""

    @property
    def holds_the_evse(self) -> bool:
        return self in (ReservationStatus.REQUESTED, ReservationStatus.ACTIVE)


@dataclass(frozen=True, slots=True)
class KnownReservation:
    """What is stored under a reservation key: where it is and whether it still holds an EVSE."""

    charger_id: int
    location_key: str
    status: ReservationStatus


class Placement(StrEnum):
    """What a RESERVE_NOW does with the reservation stored under its key."""

    NEW = "NEW"
    REPLACE = "REPLACE"
    CONFLICT = "CONFLICT"


def place(known: KnownReservation | None, location_id: str) -> Placement:
    """Decide how a RESERVE_NOW for `location_id` relates to the reservation already under its key.

    A key whose reservation has ended may be used again (as a new reservation with a new charger id, so a
    late message about the old one cannot touch the new one).
    """
    if known is None or not known.status.holds_the_evse:
        return Placement.NEW
    if known.location_key == ci_key(location_id):
        return Placement.REPLACE
    return Placement.CONFLICT
