"""HubClientInfo at a platform connected to a Hub (digest §12): the Hub tells us who is reachable.

Only a partner registered with the HUB role may push ClientInfo. We keep the latest state per (Hub,
country, party, role); the URL names only country and party, so a GET answers with the role of that
party that changed last. An older `last_updated` never overwrites a newer one. The states are shown in
the admin API's partner view, where an OFFLINE or SUSPENDED party explains failing pushes.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from laddhub.ocpi.common import ci_key, format_datetime
from laddhub.ocpi.status import NotFound, OcpiError
from laddhub.ocpi.v2_2_1.hubclientinfo import ClientInfo
from laddhub.services.cpo_data import require_object, same_id, validate
from laddhub.store.hub_records import HubClientInfoRecord
from laddhub.store.tables import PartnerRecord
from laddhub.store.uow import UnitOfWorkFactory

log = logging.getLogger("laddhub.hub")


class NotAHub(OcpiError):
    """ClientInfo from a platform that is not registered as a Hub: HTTP 403."""

    http_status = 403


def _require_hub(partner: PartnerRecord) -> None:
    if not any(role.role == "HUB" for role in partner.roles):
        raise NotAHub(f"{partner.name} is not registered with the HUB role; only a Hub sends ClientInfo")


def as_client_info(record: HubClientInfoRecord) -> dict[str, Any]:
    """A stored row as the OCPI ClientInfo object."""
    return {
        "party_id": record.party_id,
        "country_code": record.country_code,
        "role": record.role,
        "status": record.status,
        "last_updated": format_datetime(record.last_updated),
    }


async def read_client_info(
    uow_factory: UnitOfWorkFactory, partner: PartnerRecord, country_code: str, party_id: str
) -> dict[str, Any]:
    """What the Hub told us about one party (its most recently changed role); 404 if nothing."""
    _require_hub(partner)
    async with uow_factory() as uow:
        found = await uow.hub_clients.of_party(partner.id, country_code, party_id)
    if not found:
        raise NotFound(f"no ClientInfo for {country_code}/{party_id}")
    return as_client_info(found[0])


async def put_client_info(
    uow_factory: UnitOfWorkFactory,
    partner: PartnerRecord,
    country_code: str,
    party_id: str,
    payload: Any,
    *,
    now: datetime,
) -> bool:
    """Store a ClientInfo pushed by a Hub; return whether it was new (a party role not seen before)."""
    _require_hub(partner)
    body = require_object(payload, "a ClientInfo")
    same_id("country_code", country_code, body.get("country_code"))
    same_id("party_id", party_id, body.get("party_id"))
    info = validate(ClientInfo, body, f"ClientInfo from {partner.name}")
    async with uow_factory() as uow:
        existing = await uow.hub_clients.of_party(partner.id, info.country_code, info.party_id, lock=True)
        record = next((r for r in existing if r.role == info.role.value), None)
        if record is None:
            uow.hub_clients.add(
                HubClientInfoRecord(
                    partner_id=partner.id,
                    country_code=ci_key(info.country_code),
                    party_id=ci_key(info.party_id),
                    role=info.role.value,
                    status=info.status.value,
                    last_updated=info.last_updated,
                    received_at=now,
                )
            )
        elif info.last_updated < record.last_updated:
            log.info(
                "kept ClientInfo %s/%s %s: %s sent an older last_updated",
                info.country_code,
                info.party_id,
                info.role.value,
                partner.name,
            )
            return False
        else:
            record.status = info.status.value
            record.last_updated = info.last_updated
            record.received_at = now
        if info.status.value in ("OFFLINE", "SUSPENDED"):
            log.warning(
                "%s reports %s/%s (%s) %s",
                partner.name,
                info.country_code,
                info.party_id,
                info.role.value,
                info.status.value,
            )
        await uow.commit()
    return record is None
