"""Who talks to whom on a functional-module request: the OCPI-from/to routing headers (digest §2.9).

Peer to peer, a request names the party it comes from (one of the caller's registered roles) and the party
it is for (one of ours). Missing headers are inferred from the roles the endpoint is for, because many
partners leave them out; headers that name a party the caller does not own are refused. Responses carry
the headers the other way round.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from laddhub.api.deps import get_node, registered_caller
from laddhub.ocpi.client import Party
from laddhub.ocpi.common import ci_key
from laddhub.ocpi.status import InvalidParameters
from laddhub.services.authentication import Caller
from laddhub.services.identity import NodeIdentity

log = logging.getLogger("laddhub.api")


@dataclass(frozen=True)
class FunctionalCall:
    """An authenticated functional-module request: the partner, our party addressed, and its party."""

    caller: Caller
    ours: Party
    theirs: Party

    def response_headers(self) -> dict[str, str]:
        return {
            "OCPI-from-country-code": self.ours.country_code,
            "OCPI-from-party-id": self.ours.party_id,
            "OCPI-to-country-code": self.theirs.country_code,
            "OCPI-to-party-id": self.theirs.party_id,
        }

    def caller_owns(self, country_code: str, party_id: str) -> bool:
        """Whether the calling partner registered a role with this country/party (any role type)."""
        wanted = (ci_key(country_code), ci_key(party_id))
        return any((ci_key(r.country_code), ci_key(r.party_id)) == wanted for r in self.caller.partner.roles)


def _header_party(request: Request, prefix: str) -> Party | None:
    country = request.headers.get(f"ocpi-{prefix}-country-code")
    party = request.headers.get(f"ocpi-{prefix}-party-id")
    if not country and not party:
        return None
    if not country or not party:
        raise InvalidParameters(
            f"OCPI-{prefix}-country-code and OCPI-{prefix}-party-id must be sent together"
        )
    return Party(country.strip().upper(), party.strip().upper())


def resolve(
    request: Request,
    caller: Caller,
    identity: NodeIdentity,
    our_roles: Iterable[str],
    their_roles: Iterable[str],
) -> FunctionalCall:
    """Work out both parties of a request, checking the routing headers against the registered roles."""
    our_roles, their_roles = set(our_roles), set(their_roles)
    ours_declared = _header_party(request, "to")
    mine = [Party(r.country_code, r.party_id) for r in identity.roles if r.role in our_roles]
    if ours_declared is not None:
        if ours_declared not in mine:
            raise InvalidParameters(
                f"OCPI-to: {ours_declared.country_code}/{ours_declared.party_id} "
                "is not a party this endpoint serves"
            )
        ours = ours_declared
    elif mine:
        ours = mine[0]
    else:
        raise InvalidParameters("this node plays no role that serves this endpoint")

    theirs_declared = _header_party(request, "from")
    registered = [Party(r.country_code, r.party_id) for r in caller.partner.roles]
    if theirs_declared is not None:
        if theirs_declared not in registered:
            raise InvalidParameters(
                f"OCPI-from: {theirs_declared.country_code}/{theirs_declared.party_id} "
                "is not a role registered for this credentials token"
            )
        theirs = theirs_declared
    else:
        fitting = [Party(r.country_code, r.party_id) for r in caller.partner.roles if r.role in their_roles]
        candidates = fitting or registered
        if not candidates:
            raise InvalidParameters("the calling platform registered no roles")
        theirs = candidates[0]
        log.debug("request without OCPI-from headers from %s; assuming %s", caller.partner.name, theirs)
    return FunctionalCall(caller, ours, theirs)


def functional(our_roles: Iterable[str], their_roles: Iterable[str]) -> Callable[[Request], Awaitable[Any]]:
    """A dependency for a functional-module endpoint served by `our_roles` to callers in `their_roles`."""
    ours, theirs = frozenset(our_roles), frozenset(their_roles)

    async def dependency(request: Request) -> FunctionalCall:
        caller = await registered_caller(request)
        node = get_node(request)
        return resolve(request, caller, NodeIdentity.from_settings(node.settings), ours, theirs)

    return dependency
