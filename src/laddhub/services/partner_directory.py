"""Find a registered partner by the party it plays, and the endpoint of one of its modules.

The charging activity calls partners outside the outbox (real-time authorisation, command results,
charging-profile results and updates); these are the lookups those calls share.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from laddhub.ocpi.client import OcpiClient
from laddhub.ocpi.common import ci_key
from laddhub.services.handshake import REGISTERED
from laddhub.services.partner_clients import ClientFactory
from laddhub.store.tables import PartnerRecord


def plays(partner: PartnerRecord, country_code: str, party_id: str, roles: Iterable[str]) -> bool:
    """Whether the partner registered one of `roles` for this country/party."""
    wanted = (ci_key(country_code), ci_key(party_id))
    allowed = set(roles)
    return any(
        r.role in allowed and (ci_key(r.country_code), ci_key(r.party_id)) == wanted for r in partner.roles
    )


def partner_playing(
    partners: Iterable[PartnerRecord], country_code: str, party_id: str, roles: Iterable[str]
) -> PartnerRecord | None:
    """The registered partner that plays one of `roles` for this country/party, if any."""
    role_list = tuple(roles)
    for partner in partners:
        if partner.status == REGISTERED and plays(partner, country_code, party_id, role_list):
            return partner
    return None


def endpoint(partner: PartnerRecord, module: str, interface_role: str) -> str | None:
    """The URL of the partner's `module` endpoint in `interface_role`; an endpoint without a role (as
    2.1.1 partners publish them) counts for either."""
    for wanted in (interface_role, None):
        for candidate in partner.endpoints:
            if candidate.identifier == module and candidate.interface_role == wanted:
                return candidate.url
    return None


def client_for(partner: PartnerRecord, clients: ClientFactory) -> OcpiClient | None:
    """A client that calls the partner with the token it gave us; None when we hold none."""
    if not partner.outgoing_token or not partner.version:
        return None
    return clients(partner.outgoing_token, partner.version)


def join(base: str, *segments: str) -> str:
    """An endpoint URL and path segments (quoted) joined by single slashes; partners publish endpoints with
    and without a trailing slash."""
    return "/".join([base.rstrip("/"), *(quote(segment, safe="") for segment in segments)])
