"""HubClientInfo module (spec §12): which parties a Hub can reach, and whether they are connected."""

from __future__ import annotations

from enum import StrEnum

from laddhub.ocpi.common import CountryCode, DateTime, OcpiModel, PartyId, Role

__all__ = ["ClientInfo", "ConnectionStatus"]


class ConnectionStatus(StrEnum):
    """Whether a party behind the Hub can be called."""

    CONNECTED = "CONNECTED"
    OFFLINE = "OFFLINE"
    """Temporarily unreachable: do not send, and resynchronise with GETs when it is back."""
    PLANNED = "PLANNED"
    """Not connected yet (or no contract configured)."""
    SUSPENDED = "SUSPENDED"
    """Gone for good."""


class ClientInfo(OcpiModel):
    """One role of a party connected to the Hub, and its connection state."""

    party_id: PartyId
    country_code: CountryCode
    role: Role
    status: ConnectionStatus
    last_updated: DateTime
