"""What the back office reads through the admin API: partners with their state, and stored objects.

Partners come with what the operator needs to judge them at a glance: roles, endpoints, the push backlog,
and what a Hub reports about parties (a party OFFLINE or SUSPENDED explains pushes that fail). Stored
objects are listed in creation order with their total, ours or a partner's copies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from laddhub.ocpi.common import ci_key
from laddhub.ocpi.status import NotFound
from laddhub.services.hub_client_info import as_client_info
from laddhub.services.push.status import outbox_status
from laddhub.store.documents import DocumentRepository, PageQuery
from laddhub.store.hub_records import HubClientInfoRecord
from laddhub.store.tables import PartnerRecord
from laddhub.store.uow import UnitOfWork

DocumentKind = Literal["locations", "tariffs", "sessions", "cdrs", "tokens"]


@dataclass(frozen=True, slots=True)
class PartnerView:
    """A partner as the back office shows it."""

    id: int
    name: str
    status: str
    version: str | None
    versions_url: str | None
    roles: list[dict[str, Any]]
    endpoints: list[dict[str, Any]]
    pending_pushes: int = 0
    failed_pushes: int = 0
    last_push_error: str | None = None
    reported_parties: list[dict[str, Any]] = field(default_factory=list)
    """For a Hub: the ClientInfo it pushed about the parties behind it."""


@dataclass(frozen=True, slots=True)
class DocumentList:
    """One page of stored OCPI objects and how many match in all."""

    items: list[dict[str, Any]]
    total: int
    offset: int
    limit: int


def _hub_status(
    reports: list[HubClientInfoRecord], country_code: str, party_id: str, role: str
) -> str | None:
    """The latest connection status any Hub reported for this party role."""
    matching = [
        r
        for r in reports
        if (r.country_code, r.party_id, r.role) == (ci_key(country_code), ci_key(party_id), role)
    ]
    return max(matching, key=lambda r: r.last_updated).status if matching else None


def _view(partner: PartnerRecord, reports: list[HubClientInfoRecord], backlog: dict[int, Any]) -> PartnerView:
    roles = [
        {
            "role": r.role,
            "country_code": r.country_code,
            "party_id": r.party_id,
            "name": (r.business_details or {}).get("name"),
            "hub_status": _hub_status(reports, r.country_code, r.party_id, r.role),
        }
        for r in partner.roles
    ]
    endpoints = [
        {"identifier": e.identifier, "role": e.interface_role, "url": e.url} for e in partner.endpoints
    ]
    outbox = backlog.get(partner.id)
    return PartnerView(
        id=partner.id,
        name=partner.name,
        status=partner.status,
        version=partner.version,
        versions_url=partner.versions_url,
        roles=roles,
        endpoints=endpoints,
        pending_pushes=outbox.pending if outbox else 0,
        failed_pushes=outbox.failed if outbox else 0,
        last_push_error=outbox.last_error if outbox else None,
        reported_parties=[as_client_info(r) for r in reports if r.partner_id == partner.id],
    )


async def partner_views(uow: UnitOfWork) -> list[PartnerView]:
    """Every partner, oldest first."""
    reports = list(await uow.hub_clients.all())
    backlog = {entry.partner_id: entry for entry in await outbox_status(uow)}
    return [_view(partner, reports, backlog) for partner in await uow.partners.list()]


async def partner_view(uow: UnitOfWork, partner_id: int) -> PartnerView:
    """One partner; 404 when there is none with this id."""
    partner = await uow.partners.get(partner_id)
    if partner is None:
        raise NotFound(f"no partner {partner_id}")
    reports = list(await uow.hub_clients.all())
    backlog = {entry.partner_id: entry for entry in await outbox_status(uow)}
    return _view(partner, reports, backlog)


def _repository(uow: UnitOfWork, kind: DocumentKind) -> DocumentRepository[Any, Any]:
    repositories: dict[str, DocumentRepository[Any, Any]] = {
        "locations": uow.locations,
        "tariffs": uow.tariffs,
        "sessions": uow.sessions,
        "cdrs": uow.cdrs,
        "tokens": uow.tokens,
    }
    return repositories[kind]


async def list_documents(uow: UnitOfWork, kind: DocumentKind, query: PageQuery) -> DocumentList:
    """One page of stored objects of a kind (the documents parsed, for a JSON answer)."""
    page = await _repository(uow, kind).page(query)
    return DocumentList(
        [json.loads(document) for document in page.documents], page.total, query.offset, query.limit or 0
    )
