"""One push attempt: find the partner's Receiver endpoint, call it as OCPI asks, and judge the answer.

The verdict decides the entry's fate. An OCPI success delivers it. No answer, a 5xx/429, an OCPI 3xxx/4xxx,
and also 401 and 404 (what a partner that is restarting or re-registering answers for a while) are worth
retrying later. Anything else, above all a 2xxx refusal of the object, will not change by sending the
same bytes again: the entry fails and waits for an operator (`laddhub outbox retry`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urljoin

from laddhub.ocpi.client import PartnerError, Party, Routing
from laddhub.ocpi.common import ci_key
from laddhub.services.identity import NodeIdentity
from laddhub.services.partner_clients import ClientFactory
from laddhub.services.publishing import RECEIVING_ROLES
from laddhub.services.push.claims import CdrReceipt, Claim
from laddhub.store.tables import PartnerEndpointRecord, PartnerRecord

log = logging.getLogger("laddhub.push")

# The roles of ours a module's pushes come from: the data owner of the module (digest §13), or a Hub
# relaying it.
SENDING_ROLES: dict[str, tuple[str, ...]] = {
    "locations": ("CPO", "HUB"),
    "tariffs": ("CPO", "HUB"),
    "sessions": ("CPO", "HUB"),
    "cdrs": ("CPO", "HUB"),
    "chargingprofiles": ("CPO", "HUB"),
    "tokens": ("EMSP", "HUB"),
}

# Answers of a partner that is restarting or re-registering: its receiver is not ready for us yet.
_RETRIED_HTTP_STATUSES = frozenset({401, 404})


class Verdict(StrEnum):
    DELIVERED = "DELIVERED"
    RETRY = "RETRY"
    FAILED = "FAILED"
    REPLACE = "REPLACE"
    """A PATCH the partner cannot apply (it lacks the object): send a PUT of the whole object instead."""


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    error: str | None = None
    receipt: CdrReceipt | None = None


def is_retryable(error: PartnerError) -> bool:
    """Whether the same push may succeed later (see the module docstring for the rule)."""
    return error.is_transient or error.http_status in _RETRIED_HTTP_STATUSES


def _lacks_object(error: PartnerError) -> bool:
    """A 404, or a 2xxx refusal: the receiver does not hold what the PATCH would change."""
    if error.http_status == 404:
        return True
    return not error.is_transient and error.ocpi_status is not None and 2000 <= error.ocpi_status < 3000


def join_url(endpoint: str, path: str) -> str:
    """The endpoint URL and the entry's path joined by exactly one `/` (OCPI 2.2.1 writes some suffixes
    without a slash, and partners publish endpoints with and without a trailing one)."""
    if not path.strip("/"):
        return endpoint
    return endpoint.rstrip("/") + "/" + path.lstrip("/")


def receiver_endpoint(partner: PartnerRecord, module: str) -> PartnerEndpointRecord | None:
    """The partner's Receiver endpoint of the module; an endpoint without a role counts (2.1.1 style)."""
    matching = [e for e in partner.endpoints if e.identifier == module]
    for wanted in ("RECEIVER", None):
        for endpoint in matching:
            if endpoint.interface_role == wanted:
                return endpoint
    return None


def _owner(path: str, payload: Any) -> tuple[str, str] | None:
    """The party that owns the pushed object: the body's country_code/party_id, else the URL's."""
    if isinstance(payload, dict):
        country, party = payload.get("country_code"), payload.get("party_id")
        if isinstance(country, str) and isinstance(party, str):
            return ci_key(country), ci_key(party)
    segments = [s for s in path.split("/") if s]
    if len(segments) >= 2:
        return ci_key(segments[0]), ci_key(segments[1])
    return None


def _addressee(payload: Any) -> tuple[str, str] | None:
    """The party a session or CDR is for: the owner of its token."""
    token = payload.get("cdr_token") if isinstance(payload, dict) else None
    if isinstance(token, dict):
        country, party = token.get("country_code"), token.get("party_id")
        if isinstance(country, str) and isinstance(party, str):
            return ci_key(country), ci_key(party)
    return None


def _pick(parties: list[tuple[str, str]], wanted: tuple[str, str] | None) -> tuple[str, str] | None:
    """The wanted party if it is among `parties`, else the first of them (None when there are none)."""
    keyed = {(ci_key(country), ci_key(party)): (country, party) for country, party in parties}
    if wanted is not None and wanted in keyed:
        return keyed[wanted]
    return parties[0] if parties else None


def routing_for(claim: Claim, payload: Any, identity: NodeIdentity, partner: PartnerRecord) -> Routing | None:
    """The OCPI-from/to headers: from our role that owns the object, to the partner's receiving role."""
    sending = SENDING_ROLES.get(claim.module, ())
    ours = [r for r in identity.roles if r.role in sending] or list(identity.roles)
    receiving = RECEIVING_ROLES.get(claim.module, frozenset())
    theirs = [r for r in partner.roles if r.role in receiving] or list(partner.roles)
    sender = _pick([(r.country_code, r.party_id) for r in ours], _owner(claim.path, payload))
    recorded = (
        (ci_key(claim.to_country_code), ci_key(claim.to_party_id))
        if claim.to_country_code and claim.to_party_id
        else None
    )
    receiver = _pick([(r.country_code, r.party_id) for r in theirs], recorded or _addressee(payload))
    if sender is None or receiver is None:
        return None
    return Routing(Party(*sender), Party(*receiver))


def _receipt(claim: Claim, payload: Any, url: str, headers: dict[str, str]) -> CdrReceipt | None:
    if claim.module != "cdrs" or claim.method != "POST" or not isinstance(payload, dict):
        return None
    location = headers.get("location")
    if location:
        location = urljoin(url, location)
    else:
        log.warning("partner answered the CDR POST to %s without the Location header OCPI requires", url)
    return CdrReceipt(
        country_code=str(payload.get("country_code", "")),
        party_id=str(payload.get("party_id", "")),
        cdr_id=str(payload.get("id", "")),
        location_url=location or None,
    )


async def deliver(
    claim: Claim, partner: PartnerRecord, identity: NodeIdentity, clients: ClientFactory
) -> Outcome:
    """Push one entry to its partner and say what should become of it. Never raises for partner errors."""
    if not partner.outgoing_token or not partner.version:
        return Outcome(Verdict.FAILED, f"no credentials to call partner {partner.name} with")
    endpoint = receiver_endpoint(partner, claim.module)
    if endpoint is None:
        return Outcome(
            Verdict.FAILED, f"partner {partner.name} publishes no {claim.module} Receiver endpoint"
        )
    url = join_url(endpoint.url, claim.path)
    try:
        payload = json.loads(claim.payload) if claim.payload is not None else None
    except json.JSONDecodeError as exc:
        return Outcome(Verdict.FAILED, f"the stored payload is not JSON: {exc}")
    client = clients(partner.outgoing_token, partner.version)
    try:
        response = await client.call(
            claim.method, url, body=payload, routing=routing_for(claim, payload, identity, partner)
        )
    except PartnerError as exc:
        if claim.method == "PATCH" and _lacks_object(exc):
            return Outcome(Verdict.REPLACE, exc.message)
        return Outcome(Verdict.RETRY if is_retryable(exc) else Verdict.FAILED, exc.message)
    return Outcome(Verdict.DELIVERED, receipt=_receipt(claim, payload, url, dict(response.headers)))
