"""The eMSP's copies of what CPOs push to it: Locations (with EVSEs and Connectors), Tariffs, Sessions, CDRs.

Each public function is one Receiver request (digest §5.3, §6.3, §7.3, §8.1), and they share the rules:

* The party in the URL must be one of the calling partner's registered roles, or the object is none of
  its business: 404. The owner named in a CDR body is checked the same way (2001: it is a body field).
* Ids and owner fields in a body must equal the URL's (compared as CiStrings), else 2001. A PATCH must
  carry `last_updated` (2001); bodies are validated by the OCPI models, and so is the object a PATCH
  produces (2001 naming the field).
* A copy never goes back in time: a PUT or PATCH whose `last_updated` is older than the stored object's
  succeeds and changes nothing, because a retried or overtaken push is not an error.
* A child's change moves its parents' `last_updated` forward (EVSE -> Location; Connector -> EVSE and
  Location), as the spec asks receivers to do.
* A rejected request changes nothing: everything is checked before the unit of work commits.

Copies are stored with `partner_id` = the sender. Our own objects (`partner_id` NULL) are never readable or
writable through these interfaces, even by a partner that claims one of our parties.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from laddhub.ocpi.common import OcpiModel, ci_key, unknown_fields
from laddhub.ocpi.status import InvalidParameters, NotFound
from laddhub.ocpi.v2_2_1.cdrs import CDR
from laddhub.ocpi.v2_2_1.locations import (
    EVSE,
    Connector,
    ConnectorPatch,
    EvsePatch,
    Location,
    LocationPatch,
)
from laddhub.ocpi.v2_2_1.sessions import Session, SessionPatch
from laddhub.ocpi.v2_2_1.tariffs import Tariff
from laddhub.ocpi.validation import describe_validation_error
from laddhub.store.tables import CdrRecord, LocationRecord, PartnerRecord
from laddhub.store.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("laddhub.emsp")

Model = TypeVar("Model", bound=BaseModel)
Full = TypeVar("Full", bound=OcpiModel)


class Stored(StrEnum):
    """What a PUT or PATCH did: created the object, updated it, or kept a newer stored copy."""

    CREATED = "CREATED"
    UPDATED = "UPDATED"
    KEPT = "KEPT"


@dataclass(frozen=True, slots=True)
class Sender:
    """The partner pushing to us, with the (country_code, party_id) pairs of its roles, upper-cased."""

    partner_id: int
    name: str
    parties: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, partner: PartnerRecord) -> Sender:
        parties = frozenset((ci_key(r.country_code), ci_key(r.party_id)) for r in partner.roles)
        return cls(partner.id, partner.name, parties)

    def owns(self, country_code: str, party_id: str) -> bool:
        return (ci_key(country_code), ci_key(party_id)) in self.parties


@dataclass(frozen=True, slots=True)
class ObjectKey:
    """An object's owner and id as the URL names them: `{country_code}/{party_id}/{object_id}`."""

    country_code: str
    party_id: str
    object_id: str

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id}/{self.object_id}"


class _Record(Protocol):
    partner_id: int | None
    last_updated: datetime
    document: str


class _Repository(Protocol):
    async def get(self, country_code: str, party_id: str, object_id: str, *, lock: bool = False) -> Any: ...


# --- shared rules ------------------------------------------------------------------------------------------


def _require_owner(sender: Sender, key: ObjectKey) -> None:
    if not sender.owns(key.country_code, key.party_id):
        raise NotFound(f"{key.country_code}/{key.party_id} is not a party of the calling platform")


def _parse(model: type[Model], payload: Any, what: str, sender: Sender) -> Model:
    """Validate a body (2001 naming the fields on failure); log the fields OCPI does not define."""
    extra = unknown_fields(model, payload)
    if extra:
        log.warning("%s from %s has fields OCPI 2.2.1 does not define, ignored: %s", what, sender.name, extra)
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidParameters(describe_validation_error(exc)) from None


def _same(field: str, in_url: str, in_body: str | None) -> None:
    if in_body is not None and ci_key(in_body) != ci_key(in_url):
        raise InvalidParameters(f"{field} '{in_body}' in the body differs from '{in_url}' in the URL")


def _same_owner(key: ObjectKey, country_code: str | None, party_id: str | None) -> None:
    _same("country_code", key.country_code, country_code)
    _same("party_id", key.party_id, party_id)


def _rebuild(model: type[Full], current: Full, **changes: Any) -> Full:
    """`current` with some fields replaced, validated again as a whole (2001 if a rule breaks)."""
    try:
        return model.model_validate({**dict(current), **changes})
    except ValidationError as exc:
        raise InvalidParameters(describe_validation_error(exc)) from None


def _apply(patch: Any, current: Full) -> Full:
    try:
        patched: Full = patch.apply_to(current)
    except ValidationError as exc:
        raise InvalidParameters(f"after the PATCH: {describe_validation_error(exc)}") from None
    return patched


def _stale(incoming: datetime, stored: datetime, what: str, sender: Sender) -> bool:
    """Whether an incoming version is older than the stored one (and must not replace it)."""
    if incoming < stored:
        log.info(
            "kept %s: %s sent last_updated %s, older than the stored %s",
            what,
            sender.name,
            incoming.isoformat(),
            stored.isoformat(),
        )
        return True
    return False


async def _copy(repository: _Repository, key: ObjectKey, what: str, *, lock: bool) -> Any:
    """The stored copy under `key`, or None. Our own objects are reported as absent-for-them (404)."""
    record: _Record | None = await repository.get(key.country_code, key.party_id, key.object_id, lock=lock)
    if record is not None and record.partner_id is None:
        raise NotFound(f"{what} {key} is not the calling platform's")
    return record


async def _read(
    get_repository: Callable[[UnitOfWork], _Repository],
    uow_factory: UnitOfWorkFactory,
    sender: Sender,
    key: ObjectKey,
    what: str,
) -> dict[str, Any]:
    _require_owner(sender, key)
    async with uow_factory() as uow:
        record: _Record | None = await _copy(get_repository(uow), key, what, lock=False)
    if record is None:
        raise NotFound(f"no {what} {key}")
    document: dict[str, Any] = json.loads(record.document)
    return document


# --- locations ---------------------------------------------------------------------------------------------


def _evse(location: Location, uid: str) -> EVSE | None:
    return next((e for e in location.evses if ci_key(e.uid) == ci_key(uid)), None)


def _connector(evse: EVSE, connector_id: str) -> Connector | None:
    return next((c for c in evse.connectors if ci_key(c.id) == ci_key(connector_id)), None)


def _with_evse(location: Location, evse: EVSE) -> Location:
    """The Location with `evse` replacing its namesake (or added), and its `last_updated` moved along."""
    evses = [evse if ci_key(e.uid) == ci_key(evse.uid) else e for e in location.evses]
    if _evse(location, evse.uid) is None:
        evses.append(evse)
    return _rebuild(
        Location, location, evses=evses, last_updated=max(location.last_updated, evse.last_updated)
    )


def _with_connector(evse: EVSE, connector: Connector) -> EVSE:
    connectors = [connector if ci_key(c.id) == ci_key(connector.id) else c for c in evse.connectors]
    if _connector(evse, connector.id) is None:
        connectors.append(connector)
    return _rebuild(
        EVSE, evse, connectors=connectors, last_updated=max(evse.last_updated, connector.last_updated)
    )


async def _location(uow: UnitOfWork, key: ObjectKey) -> tuple[LocationRecord, Location]:
    record: LocationRecord | None = await _copy(uow.locations, key, "Location", lock=True)
    if record is None:
        raise NotFound(f"no Location {key}; PUT the Location first")
    return record, uow.locations.parse(record)


def _evse_of(location: Location, key: ObjectKey, evse_uid: str) -> EVSE:
    evse = _evse(location, evse_uid)
    if evse is None:
        raise NotFound(f"Location {key} has no EVSE {evse_uid}")
    return evse


async def _save_location(uow: UnitOfWork, location: Location, sender: Sender, now: datetime) -> None:
    await uow.locations.upsert(location, partner_id=sender.partner_id, now=now)
    await uow.commit()


async def read_location(
    uow_factory: UnitOfWorkFactory,
    sender: Sender,
    key: ObjectKey,
    evse_uid: str | None = None,
    connector_id: str | None = None,
) -> dict[str, Any]:
    """GET: the stored Location, or one EVSE of it, or one Connector of that EVSE."""
    document = await _read(lambda uow: uow.locations, uow_factory, sender, key, "Location")
    if evse_uid is None:
        return document
    evse = _evse_of(Location.model_validate(document), key, evse_uid)
    if connector_id is None:
        return evse.to_ocpi()
    connector = _connector(evse, connector_id)
    if connector is None:
        raise NotFound(f"EVSE {evse_uid} of Location {key} has no connector {connector_id}")
    return connector.to_ocpi()


async def put_location(
    uow_factory: UnitOfWorkFactory, sender: Sender, key: ObjectKey, payload: Any, *, now: datetime
) -> Stored:
    """PUT of a whole Location: create or replace the copy."""
    _require_owner(sender, key)
    location = _parse(Location, payload, f"Location {key}", sender)
    _same_owner(key, location.country_code, location.party_id)
    _same("id", key.object_id, location.id)
    async with uow_factory() as uow:
        record: LocationRecord | None = await _copy(uow.locations, key, "Location", lock=True)
        if record is not None and _stale(
            location.last_updated, record.last_updated, f"Location {key}", sender
        ):
            return Stored.KEPT
        await _save_location(uow, location, sender, now)
    return Stored.CREATED if record is None else Stored.UPDATED


async def put_evse(
    uow_factory: UnitOfWorkFactory,
    sender: Sender,
    key: ObjectKey,
    evse_uid: str,
    payload: Any,
    *,
    now: datetime,
) -> Stored:
    """PUT of one EVSE of a stored Location: add or replace it."""
    _require_owner(sender, key)
    evse = _parse(EVSE, payload, f"EVSE {key}/{evse_uid}", sender)
    _same("uid", evse_uid, evse.uid)
    async with uow_factory() as uow:
        _, location = await _location(uow, key)
        current = _evse(location, evse_uid)
        if current is not None and _stale(
            evse.last_updated, current.last_updated, f"EVSE {key}/{evse_uid}", sender
        ):
            return Stored.KEPT
        await _save_location(uow, _with_evse(location, evse), sender, now)
    return Stored.CREATED if current is None else Stored.UPDATED


async def put_connector(
    uow_factory: UnitOfWorkFactory,
    sender: Sender,
    key: ObjectKey,
    evse_uid: str,
    connector_id: str,
    payload: Any,
    *,
    now: datetime,
) -> Stored:
    """PUT of one Connector of a stored EVSE: add or replace it."""
    _require_owner(sender, key)
    what = f"Connector {key}/{evse_uid}/{connector_id}"
    connector = _parse(Connector, payload, what, sender)
    _same("id", connector_id, connector.id)
    async with uow_factory() as uow:
        _, location = await _location(uow, key)
        evse = _evse_of(location, key, evse_uid)
        current = _connector(evse, connector_id)
        if current is not None and _stale(connector.last_updated, current.last_updated, what, sender):
            return Stored.KEPT
        await _save_location(uow, _with_evse(location, _with_connector(evse, connector)), sender, now)
    return Stored.CREATED if current is None else Stored.UPDATED


async def patch_location(
    uow_factory: UnitOfWorkFactory, sender: Sender, key: ObjectKey, payload: Any, *, now: datetime
) -> Stored:
    """PATCH of a Location's own fields (a list in the body replaces the stored list)."""
    _require_owner(sender, key)
    patch = _parse(LocationPatch, payload, f"PATCH of Location {key}", sender)
    _same_owner(key, getattr(patch, "country_code", None), getattr(patch, "party_id", None))
    _same("id", key.object_id, getattr(patch, "id", None))
    async with uow_factory() as uow:
        _, location = await _location(uow, key)
        if _stale(patch.last_updated, location.last_updated, f"Location {key}", sender):
            return Stored.KEPT
        await _save_location(uow, _apply(patch, location), sender, now)
    return Stored.UPDATED


async def patch_evse(
    uow_factory: UnitOfWorkFactory,
    sender: Sender,
    key: ObjectKey,
    evse_uid: str,
    payload: Any,
    *,
    now: datetime,
) -> Stored:
    """PATCH of one EVSE (a status change, typically)."""
    _require_owner(sender, key)
    what = f"EVSE {key}/{evse_uid}"
    patch = _parse(EvsePatch, payload, f"PATCH of {what}", sender)
    _same("uid", evse_uid, getattr(patch, "uid", None))
    async with uow_factory() as uow:
        _, location = await _location(uow, key)
        evse = _evse_of(location, key, evse_uid)
        if _stale(patch.last_updated, evse.last_updated, what, sender):
            return Stored.KEPT
        await _save_location(uow, _with_evse(location, _apply(patch, evse)), sender, now)
    return Stored.UPDATED


async def patch_connector(
    uow_factory: UnitOfWorkFactory,
    sender: Sender,
    key: ObjectKey,
    evse_uid: str,
    connector_id: str,
    payload: Any,
    *,
    now: datetime,
) -> Stored:
    """PATCH of one Connector (its tariffs, typically)."""
    _require_owner(sender, key)
    what = f"Connector {key}/{evse_uid}/{connector_id}"
    patch = _parse(ConnectorPatch, payload, f"PATCH of {what}", sender)
    _same("id", connector_id, getattr(patch, "id", None))
    async with uow_factory() as uow:
        _, location = await _location(uow, key)
        evse = _evse_of(location, key, evse_uid)
        connector = _connector(evse, connector_id)
        if connector is None:
            raise NotFound(f"EVSE {key}/{evse_uid} has no connector {connector_id}")
        if _stale(patch.last_updated, connector.last_updated, what, sender):
            return Stored.KEPT
        patched = _with_connector(evse, _apply(patch, connector))
        await _save_location(uow, _with_evse(location, patched), sender, now)
    return Stored.UPDATED


# --- tariffs -----------------------------------------------------------------------------------------------


async def read_tariff(uow_factory: UnitOfWorkFactory, sender: Sender, key: ObjectKey) -> dict[str, Any]:
    """GET: the stored Tariff."""
    return await _read(lambda uow: uow.tariffs, uow_factory, sender, key, "Tariff")


async def put_tariff(
    uow_factory: UnitOfWorkFactory, sender: Sender, key: ObjectKey, payload: Any, *, now: datetime
) -> Stored:
    """PUT of a whole Tariff: create or replace the copy."""
    _require_owner(sender, key)
    tariff = _parse(Tariff, payload, f"Tariff {key}", sender)
    _same_owner(key, tariff.country_code, tariff.party_id)
    _same("id", key.object_id, tariff.id)
    async with uow_factory() as uow:
        record = await _copy(uow.tariffs, key, "Tariff", lock=True)
        if record is not None and _stale(tariff.last_updated, record.last_updated, f"Tariff {key}", sender):
            return Stored.KEPT
        await uow.tariffs.upsert(tariff, partner_id=sender.partner_id, now=now)
        await uow.commit()
    return Stored.CREATED if record is None else Stored.UPDATED


async def delete_tariff(uow_factory: UnitOfWorkFactory, sender: Sender, key: ObjectKey) -> None:
    """DELETE of a Tariff the CPO retired for good."""
    _require_owner(sender, key)
    async with uow_factory() as uow:
        record = await _copy(uow.tariffs, key, "Tariff", lock=True)
        if record is None:
            raise NotFound(f"no Tariff {key}")
        await uow.tariffs.remove(record)
        await uow.commit()


# --- sessions ----------------------------------------------------------------------------------------------


async def read_session(uow_factory: UnitOfWorkFactory, sender: Sender, key: ObjectKey) -> dict[str, Any]:
    """GET: the stored Session (a CPO checking what we hold after a failed PATCH)."""
    return await _read(lambda uow: uow.sessions, uow_factory, sender, key, "Session")


async def put_session(
    uow_factory: UnitOfWorkFactory, sender: Sender, key: ObjectKey, payload: Any, *, now: datetime
) -> Stored:
    """PUT of a whole Session: create or replace it, charging periods included."""
    _require_owner(sender, key)
    session = _parse(Session, payload, f"Session {key}", sender)
    _same_owner(key, session.country_code, session.party_id)
    _same("id", key.object_id, session.id)
    async with uow_factory() as uow:
        record = await _copy(uow.sessions, key, "Session", lock=True)
        if record is not None and _stale(session.last_updated, record.last_updated, f"Session {key}", sender):
            return Stored.KEPT
        await uow.sessions.upsert(session, partner_id=sender.partner_id, now=now)
        await uow.commit()
    return Stored.CREATED if record is None else Stored.UPDATED


async def patch_session(
    uow_factory: UnitOfWorkFactory, sender: Sender, key: ObjectKey, payload: Any, *, now: datetime
) -> Stored:
    """PATCH of a Session; `charging_periods` in the body are appended to the stored ones.

    Periods are chronological, so a period that does not start after the last stored one is already
    here: a PATCH delivered twice (pushes are at least once) appends nothing the second time.
    """
    _require_owner(sender, key)
    patch = _parse(SessionPatch, payload, f"PATCH of Session {key}", sender)
    _same_owner(key, getattr(patch, "country_code", None), getattr(patch, "party_id", None))
    _same("id", key.object_id, getattr(patch, "id", None))
    async with uow_factory() as uow:
        record = await _copy(uow.sessions, key, "Session", lock=True)
        if record is None:
            raise NotFound(f"no Session {key}; PUT the Session first")
        session = uow.sessions.parse(record)
        if _stale(patch.last_updated, session.last_updated, f"Session {key}", sender):
            return Stored.KEPT
        periods = getattr(patch, "charging_periods", None)
        if periods and session.charging_periods:
            last_start = session.charging_periods[-1].start_date_time
            fresh = [p for p in periods if p.start_date_time > last_start]
            patch = patch.model_copy(update={"charging_periods": fresh})
        await uow.sessions.upsert(_apply(patch, session), partner_id=sender.partner_id, now=now)
        await uow.commit()
    return Stored.UPDATED


# --- CDRs --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostedCdr:
    """Where a POSTed CDR is stored (`reference` names it in our `Location` URL), and whether it is new."""

    reference: int
    created: bool


async def post_cdr(
    uow_factory: UnitOfWorkFactory, sender: Sender, payload: Any, *, now: datetime
) -> PostedCdr:
    """POST of a final CDR. The same CDR again is acknowledged with the same reference, so a push the
    CPO retries (its answer got lost) neither fails nor creates a duplicate."""
    cdr = _parse(CDR, payload, "CDR", sender)
    key = ObjectKey(cdr.country_code, cdr.party_id, cdr.id)
    if not sender.owns(cdr.country_code, cdr.party_id):
        raise InvalidParameters(
            f"country_code/party_id {cdr.country_code}/{cdr.party_id}: not a party of the calling platform"
        )
    async with uow_factory() as uow:
        existing: CdrRecord | None = await uow.cdrs.get(
            key.country_code, key.party_id, key.object_id, lock=True
        )
        if existing is not None:
            if existing.partner_id is None:
                raise InvalidParameters(f"CDR {key} is a CDR of this platform's own")
            log.info("CDR %s from %s was already stored; acknowledged again", key, sender.name)
            return PostedCdr(existing.id, created=False)
        record = await uow.cdrs.upsert(cdr, partner_id=sender.partner_id, now=now)
        await uow.commit()
        return PostedCdr(record.id, created=True)


async def read_cdr(uow_factory: UnitOfWorkFactory, sender: Sender, reference: int) -> dict[str, Any]:
    """GET of a CDR at the URL our POST answer named; only for the platform that owns the CDR."""
    async with uow_factory() as uow:
        record = await uow.session.get(CdrRecord, reference)
    if record is None or record.partner_id is None or not sender.owns(record.country_code, record.party_id):
        raise NotFound(f"no CDR {reference}")
    document: dict[str, Any] = json.loads(record.document)
    return document
