"""Our own Tariffs: create or replace (a Tariff PUT to every receiver) and retire (a Tariff DELETE).

OCPI 2.2.1 has no Tariff PATCH: a change is a whole new version, pushed as a PUT. A Tariff is deleted only
once no Connector of ours names it any more (digest §8.1), because an eMSP that dropped it could no
longer price sessions at those connectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from laddhub.ocpi.common import ci_key, format_datetime
from laddhub.ocpi.status import InvalidParameters, NotFound
from laddhub.ocpi.v2_2_1.tariffs import Tariff
from laddhub.services import cpo_changes
from laddhub.services.cpo_data import (
    AlreadyExists,
    CpoParties,
    Outcome,
    Saved,
    require_object,
    same_id,
    validate,
    with_stamp,
)
from laddhub.services.publishing import publish
from laddhub.store.tables import LocationRecord, TariffRecord
from laddhub.store.uow import UnitOfWork

__all__ = ["TariffRef", "delete_tariff", "own_tariff", "put_tariff", "tariff_users"]


@dataclass(frozen=True, slots=True)
class TariffRef:
    """A Tariff of ours by id; the owner is needed only when the node is a CPO for several parties."""

    tariff_id: str
    country_code: str | None = None
    party_id: str | None = None

    def __str__(self) -> str:
        if self.country_code and self.party_id:
            return f"{self.country_code}/{self.party_id}/{self.tariff_id}"
        return self.tariff_id


async def own_tariff(
    uow: UnitOfWork, parties: CpoParties, ref: TariffRef, *, lock: bool = False
) -> tuple[TariffRecord, Tariff]:
    """Our stored Tariff `ref` and its model; 404 when we have none, 2001 when the id is ambiguous."""
    found: list[TariffRecord] = []
    for country_code, party_id in parties.matching(ref.country_code, ref.party_id):
        record = await uow.tariffs.get(country_code, party_id, ref.tariff_id, lock=lock)
        if record is not None and record.partner_id is None:
            found.append(record)
    if not found:
        raise NotFound(f"no Tariff {ref} of ours")
    if len(found) > 1:
        raise InvalidParameters(
            f"tariff_id: '{ref.tariff_id}' exists for several of our parties; name country_code and party_id"
        )
    return found[0], uow.tariffs.parse(found[0])


async def put_tariff(
    uow: UnitOfWork,
    parties: CpoParties,
    payload: Any,
    *,
    now: datetime,
    ref: TariffRef | None = None,
    create_only: bool = False,
) -> Saved:
    """Create or replace one of our Tariffs from an OCPI Tariff body (pushed as a Tariff PUT).

    With `create_only`, an existing id is refused (`AlreadyExists`).
    """
    body = with_stamp(require_object(payload, "a Tariff"), format_datetime(now))
    default = parties.default()
    if default is not None:
        body.setdefault("country_code", default[0])
        body.setdefault("party_id", default[1])
    if ref is not None:
        body.setdefault("id", ref.tariff_id)
        same_id("id", ref.tariff_id, body.get("id"))
        if ref.country_code is not None:
            same_id("country_code", ref.country_code, body.get("country_code"))
        if ref.party_id is not None:
            same_id("party_id", ref.party_id, body.get("party_id"))
    tariff = validate(Tariff, body, "Tariff")
    parties.require_owner(tariff.country_code, tariff.party_id, f"Tariff {tariff.id}")
    stored = await uow.tariffs.get(tariff.country_code, tariff.party_id, tariff.id, lock=True)
    if stored is not None and stored.partner_id is not None:
        raise InvalidParameters(f"id: Tariff {tariff.id} is a partner's copy, not ours")
    if stored is not None and create_only:
        raise AlreadyExists(f"id: Tariff {tariff.id} exists already; PUT it to replace it")
    if stored is not None:
        old = uow.tariffs.parse(stored)
        if tariff.model_copy(update={"last_updated": old.last_updated}) == old:
            return Saved(Outcome.UNCHANGED, old.to_ocpi())
    await uow.tariffs.upsert(tariff, partner_id=None, now=now)
    document = tariff.to_ocpi()
    await publish(uow, cpo_changes.tariff_put(document), now=now)
    return Saved(Outcome.CREATED if stored is None else Outcome.UPDATED, document)


async def tariff_users(uow: UnitOfWork, tariff: Tariff) -> list[str]:
    """Our Locations with a Connector naming `tariff` (as `location/evse/connector`)."""
    # A text search narrows the Locations down; the parsed Location decides.
    statement = select(LocationRecord).where(
        LocationRecord.partner_id.is_(None),
        LocationRecord.country_code == ci_key(tariff.country_code),
        LocationRecord.party_id == ci_key(tariff.party_id),
        LocationRecord.document.icontains(f'"{tariff.id}"', autoescape=True),
    )
    users = []
    for record in (await uow.session.execute(statement.order_by(LocationRecord.id))).scalars():
        location = uow.locations.parse(record)
        for evse in location.evses:
            for connector in evse.connectors:
                if any(ci_key(t) == ci_key(tariff.id) for t in connector.tariff_ids):
                    users.append(f"{location.id}/{evse.uid}/{connector.id}")
    return users


async def delete_tariff(uow: UnitOfWork, parties: CpoParties, ref: TariffRef, *, now: datetime) -> Saved:
    """Retire a Tariff for good (a Tariff DELETE to every receiver); refused while Connectors use it."""
    record, tariff = await own_tariff(uow, parties, ref, lock=True)
    users = await tariff_users(uow, tariff)
    if users:
        shown = ", ".join(users[:5]) + (f" and {len(users) - 5} more" if len(users) > 5 else "")
        raise InvalidParameters(
            f"tariff_id: Tariff {tariff.id} is still named by connectors ({shown}); "
            "change their tariff_ids first"
        )
    await uow.tariffs.remove(record)
    await publish(uow, cpo_changes.tariff_delete(tariff.country_code, tariff.party_id, tariff.id), now=now)
    return Saved(Outcome.REMOVED, tariff.to_ocpi())
