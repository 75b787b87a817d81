"""What a partner may read from our Sender interfaces, as pages of stored documents.

The rules (digest §5.4, §6, §7; issue 6 point 2):

* Locations and Tariffs are ours (`partner_id` NULL) and of the CPO party the request addresses. A
  Location with `publish: false` is listed only for partners owning a token it allows
  (`location_audience`).
* Sessions and CDRs are listed only when their token belongs to the caller: to one of its registered
  roles or, for a Hub, to a party the Hub reported behind it (HubClientInfo).

Pages come back as stored JSON text, so the API splices them into the response without parsing.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from laddhub.ocpi.common import ci_key
from laddhub.ocpi.paging import PageRequest
from laddhub.ocpi.status import NotFound
from laddhub.services.location_audience import may_see, visible_unpublished_ids
from laddhub.store.documents import DocumentPage, PageQuery
from laddhub.store.tables import PartnerRecord
from laddhub.store.uow import UnitOfWork

Party = tuple[str, str]


def _query(page: PageRequest, **filters: Any) -> PageQuery:
    return PageQuery(
        owner=None,
        offset=page.offset,
        limit=page.limit,
        date_from=page.date_from,
        date_to=page.date_to,
        **filters,
    )


async def token_parties(uow: UnitOfWork, partner: PartnerRecord) -> frozenset[Party]:
    """The parties whose tokens' sessions and CDRs `partner` may read."""
    parties = {(ci_key(r.country_code), ci_key(r.party_id)) for r in partner.roles}
    if any(r.role == "HUB" for r in partner.roles):
        parties.update(
            (info.country_code, info.party_id) for info in await uow.hub_clients.of_partner(partner.id)
        )
    return frozenset(parties)


async def locations_page(
    uow: UnitOfWork, partner: PartnerRecord, page: PageRequest, ours: Collection[Party]
) -> DocumentPage:
    """One page of the Locations `partner` may see, of our parties `ours`."""

    async def visible() -> list[int]:
        return await visible_unpublished_ids(uow, partner)

    return await uow.locations.visible_page(_query(page, parties=ours, visible_ids=()), visible)


async def tariffs_page(uow: UnitOfWork, page: PageRequest, ours: Collection[Party]) -> DocumentPage:
    """One page of our Tariffs (of our parties `ours`): public to every partner."""
    return await uow.tariffs.page(_query(page, parties=ours))


async def sessions_page(
    uow: UnitOfWork, partner: PartnerRecord, page: PageRequest, ours: Collection[Party]
) -> DocumentPage:
    """One page of our Sessions whose token belongs to `partner`."""
    parties = await token_parties(uow, partner)
    return await uow.sessions.page(_query(page, parties=ours, token_parties=parties))


async def cdrs_page(
    uow: UnitOfWork, partner: PartnerRecord, page: PageRequest, ours: Collection[Party]
) -> DocumentPage:
    """One page of our CDRs whose token belongs to `partner`."""
    parties = await token_parties(uow, partner)
    return await uow.cdrs.page(_query(page, parties=ours, token_parties=parties))


async def location_document(
    uow: UnitOfWork, partner: PartnerRecord, ours: Collection[Party], location_id: str
) -> str:
    """The stored JSON of one of our Locations the partner may see; 404 otherwise (without saying which)."""
    for country_code, party_id in ours:
        record = await uow.locations.get(country_code, party_id, location_id)
        if record is None or record.partner_id is not None:
            continue
        if record.publish or await may_see(uow, partner, uow.locations.parse(record)):
            return record.document
    raise NotFound(f"no Location {location_id}")


def _child(items: list[dict[str, Any]], key: str, wanted: str) -> dict[str, Any] | None:
    return next((item for item in items if ci_key(str(item.get(key, ""))) == ci_key(wanted)), None)


async def location_part(
    uow: UnitOfWork,
    partner: PartnerRecord,
    ours: Collection[Party],
    location_id: str,
    evse_uid: str,
    connector_id: str | None = None,
) -> dict[str, Any]:
    """One EVSE, or one Connector of it, of a Location the partner may see; 404 otherwise."""
    location = json.loads(await location_document(uow, partner, ours, location_id))
    evse = _child(location.get("evses", []), "uid", evse_uid)
    if evse is None:
        raise NotFound(f"Location {location_id} has no EVSE {evse_uid}")
    if connector_id is None:
        return evse
    connector = _child(evse.get("connectors", []), "id", connector_id)
    if connector is None:
        raise NotFound(f"EVSE {evse_uid} of Location {location_id} has no Connector {connector_id}")
    return connector
