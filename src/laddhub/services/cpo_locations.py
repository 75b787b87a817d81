"""Our own Locations, EVSEs and Connectors: create, replace, change, remove, and the one-call status change.

Every use case validates the result with the OCPI models, stamps `last_updated` on what changed and on its
parents (Connector -> EVSE -> Location, digest §5.1), stores the Location and announces the change in the
same unit of work with the narrowest push that says it: a Location PUT for a new or replaced Location, an
EVSE or Connector PUT for a replaced child, a PATCH with only the changed fields otherwise.

Locations are never deleted (§5.1): removing an EVSE sets its status to REMOVED, and an EVSE left out of a
replacing Location PUT is kept as REMOVED rather than silently dropped, so sessions and CDRs that name it
stay meaningful. Removing a Location marks all its EVSEs REMOVED.

Who hears of a change follows `location_audience`: everyone for a published Location; for an unpublished
one, the partners whose tokens it allows, before or after the change (a partner losing access learns
the new rules that exclude it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from laddhub.ocpi.common import ci_key, format_datetime
from laddhub.ocpi.status import InvalidParameters, NotFound
from laddhub.ocpi.v2_2_1.locations import (
    EVSE,
    Connector,
    ConnectorPatch,
    EvsePatch,
    Location,
    LocationPatch,
    Status,
)
from laddhub.services import cpo_changes
from laddhub.services.cpo_data import (
    AlreadyExists,
    CpoParties,
    Outcome,
    Saved,
    apply_patch,
    require_object,
    same_id,
    unknown_tariff_warnings,
    validate,
    with_stamp,
)
from laddhub.services.location_audience import Party, merge_audiences, push_audience
from laddhub.services.publishing import Change, publish
from laddhub.store.tables import LocationRecord
from laddhub.store.uow import UnitOfWork

__all__ = [
    "LocationRef",
    "connector_of",
    "evse_of",
    "own_location",
    "patch_connector",
    "patch_evse",
    "patch_location",
    "put_connector",
    "put_evse",
    "put_location",
    "remove_connector",
    "remove_evse",
    "remove_location",
    "set_evse_status",
    "tariffs_named",
]

# A Location PATCH touching these fields is pushed as a whole Location PUT: partners that gain access
# (publish rules) or must rebuild the EVSE list need the complete object, not a delta.
_PUT_FIELDS = frozenset({"publish", "publish_allowed_to", "evses"})


@dataclass(frozen=True, slots=True)
class LocationRef:
    """A Location of ours by id; the owner is needed only when the node is a CPO for several parties."""

    location_id: str
    country_code: str | None = None
    party_id: str | None = None

    def __str__(self) -> str:
        if self.country_code and self.party_id:
            return f"{self.country_code}/{self.party_id}/{self.location_id}"
        return self.location_id


# --- timestamps --------------------------------------------------------------------------------------------


def _content(value: Any) -> Any:
    """An object's JSON without any `last_updated`: what decides whether it changed."""
    if isinstance(value, dict):
        return {k: _content(v) for k, v in value.items() if k != "last_updated"}
    if isinstance(value, list):
        return [_content(item) for item in value]
    return value


def _same(new: Connector | EVSE | Location, old: Connector | EVSE | Location | None) -> bool:
    return old is not None and _content(new.to_ocpi()) == _content(old.to_ocpi())


def _stamp_connector(new: Connector, old: Connector | None, now: datetime) -> Connector:
    return new.model_copy(update={"last_updated": old.last_updated if old and _same(new, old) else now})


def _stamp_evse(new: EVSE, old: EVSE | None, now: datetime) -> EVSE:
    """`new` with each Connector keeping its stored stamp when unchanged, and the EVSE likewise."""
    connectors = [_stamp_connector(c, _connector(old, c.id) if old else None, now) for c in new.connectors]
    stamped = new.model_copy(update={"connectors": connectors})
    unchanged = old is not None and _same(stamped, old)
    return stamped.model_copy(update={"last_updated": old.last_updated if old and unchanged else now})


def _stamp_location(new: Location, old: Location | None, now: datetime) -> Location:
    """`new` stamped like `_stamp_evse`, with the stored EVSEs it leaves out kept as REMOVED."""
    evses = [_stamp_evse(e, _evse(old, e.uid) if old else None, now) for e in new.evses]
    if old is not None:
        given = {ci_key(e.uid) for e in new.evses}
        for dropped in old.evses:
            if ci_key(dropped.uid) not in given:
                evses.append(_removed(dropped, now))
    stamped = new.model_copy(update={"evses": evses})
    unchanged = old is not None and _same(stamped, old)
    return stamped.model_copy(update={"last_updated": old.last_updated if old and unchanged else now})


def _removed(evse: EVSE, now: datetime) -> EVSE:
    if evse.status is Status.REMOVED:
        return evse
    return evse.model_copy(update={"status": Status.REMOVED, "last_updated": now})


def _stamp_text(now: datetime) -> str:
    return format_datetime(now)


# --- lookups -----------------------------------------------------------------------------------------------


def _evse(location: Location, uid: str) -> EVSE | None:
    return next((e for e in location.evses if ci_key(e.uid) == ci_key(uid)), None)


def _connector(evse: EVSE, connector_id: str) -> Connector | None:
    return next((c for c in evse.connectors if ci_key(c.id) == ci_key(connector_id)), None)


async def own_location(
    uow: UnitOfWork, parties: CpoParties, ref: LocationRef, *, lock: bool = False
) -> tuple[LocationRecord, Location]:
    """Our stored Location `ref` and its model; 404 when we have none, 2001 when the id is ambiguous."""
    found: list[LocationRecord] = []
    for country_code, party_id in parties.matching(ref.country_code, ref.party_id):
        record = await uow.locations.get(country_code, party_id, ref.location_id, lock=lock)
        if record is not None and record.partner_id is None:
            found.append(record)
    if not found:
        raise NotFound(f"no Location {ref} of ours")
    if len(found) > 1:
        raise InvalidParameters(
            f"location_id: '{ref.location_id}' exists for several of our parties; "
            "name country_code and party_id"
        )
    return found[0], uow.locations.parse(found[0])


def evse_of(location: Location, evse_uid: str) -> EVSE:
    """The EVSE `evse_uid` (any case) of a Location; 404 when it has none."""
    evse = _evse(location, evse_uid)
    if evse is None:
        raise NotFound(f"Location {location.id} has no EVSE {evse_uid}")
    return evse


def _own_connector(location: Location, evse: EVSE, connector_id: str) -> Connector:
    connector = _connector(evse, connector_id)
    if connector is None:
        raise NotFound(f"EVSE {evse.uid} of Location {location.id} has no Connector {connector_id}")
    return connector


def connector_of(location: Location, evse_uid: str, connector_id: str) -> Connector:
    """The Connector `connector_id` of EVSE `evse_uid` of a Location; 404 when there is none."""
    return _own_connector(location, evse_of(location, evse_uid), connector_id)


def _owner(location: Location) -> tuple[str, str, str]:
    return (location.country_code, location.party_id, location.id)


# --- storing and announcing --------------------------------------------------------------------------------


def tariffs_named(location: dict[str, Any]) -> list[str]:
    """The tariff ids the Connectors of a Location (as OCPI JSON) name."""
    return [
        t
        for evse in location.get("evses", [])
        for c in evse.get("connectors", [])
        for t in c.get("tariff_ids", [])
    ]


async def _tariff_warnings(uow: UnitOfWork, location: Location) -> tuple[str, ...]:
    referenced = tariffs_named(location.to_ocpi())
    if not referenced:
        return ()
    known = await uow.tariffs.object_keys(location.country_code, location.party_id)
    return unknown_tariff_warnings(referenced, known)


async def _store(
    uow: UnitOfWork,
    record: LocationRecord | None,
    old: Location | None,
    new: Location,
    now: datetime,
    change: Callable[[frozenset[Party] | None], Change],
    *,
    check_tariffs: bool = True,
) -> Saved:
    """Store `new` over `record` (holding `old`), publish the change `change(audience)` builds, and say
    what happened. `check_tariffs` False leaves the warnings about unknown tariffs to the caller."""
    if old is not None and new.last_updated == old.last_updated and _same(new, old):
        return Saved(Outcome.UNCHANGED, old.to_ocpi())
    audience = await push_audience(uow, new)
    if old is not None:
        audience = merge_audiences(audience, await push_audience(uow, old))
    await uow.locations.upsert(new, partner_id=None, now=now, stored=record)
    await publish(uow, change(audience), now=now)
    warnings = await _tariff_warnings(uow, new) if check_tariffs else ()
    return Saved(Outcome.CREATED if old is None else Outcome.UPDATED, new.to_ocpi(), warnings)


def _revalidated(location: Location) -> Location:
    """Run the Location's whole-object rules again after a change built by copying (2001 if broken)."""
    return validate(Location, location.to_ocpi(), "the changed Location")


def _with_evse(location: Location, evse: EVSE, now: datetime) -> Location:
    evses = [evse if ci_key(e.uid) == ci_key(evse.uid) else e for e in location.evses]
    if _evse(location, evse.uid) is None:
        evses.append(evse)
    return location.model_copy(update={"evses": evses, "last_updated": now})


def _with_connector(evse: EVSE, connector: Connector, now: datetime) -> EVSE:
    connectors = [connector if ci_key(c.id) == ci_key(connector.id) else c for c in evse.connectors]
    if _connector(evse, connector.id) is None:
        connectors.append(connector)
    return evse.model_copy(update={"connectors": connectors, "last_updated": now})


# --- Locations ---------------------------------------------------------------------------------------------


def _location_body(parties: CpoParties, payload: Any, stamp: str) -> dict[str, Any]:
    """The body with the node's stamps at every level, and our party filled in when it names none."""
    body = with_stamp(require_object(payload, "a Location"), stamp)
    default = parties.default()
    if default is not None:
        body.setdefault("country_code", default[0])
        body.setdefault("party_id", default[1])
    evses = body.get("evses")
    if isinstance(evses, list):
        body["evses"] = [_evse_body(evse, stamp) for evse in evses]
    return body


def _evse_body(payload: Any, stamp: str) -> Any:
    if not isinstance(payload, dict):
        return payload
    body = with_stamp(payload, stamp)
    connectors = body.get("connectors")
    if isinstance(connectors, list):
        body["connectors"] = [with_stamp(c, stamp) if isinstance(c, dict) else c for c in connectors]
    return body


async def put_location(
    uow: UnitOfWork,
    parties: CpoParties,
    payload: Any,
    *,
    now: datetime,
    ref: LocationRef | None = None,
    create_only: bool = False,
    check_tariffs: bool = True,
) -> Saved:
    """Create or replace one of our Locations from an OCPI Location body (pushed as a Location PUT).

    With `ref` (the admin API's URL), the body's id and owner must agree with it. EVSEs and Connectors
    whose content is unchanged keep their `last_updated`. With `create_only`, an existing id is refused
    (`AlreadyExists`). `check_tariffs` False skips the warnings about unknown tariff ids (an import
    checks them once for the whole file).
    """
    body = _location_body(parties, payload, _stamp_text(now))
    if ref is not None:
        body.setdefault("id", ref.location_id)
        same_id("id", ref.location_id, body.get("id"))
        if ref.country_code is not None:
            same_id("country_code", ref.country_code, body.get("country_code"))
        if ref.party_id is not None:
            same_id("party_id", ref.party_id, body.get("party_id"))
    location = validate(Location, body, "Location")
    parties.require_owner(location.country_code, location.party_id, f"Location {location.id}")
    stored = await uow.locations.get(location.country_code, location.party_id, location.id, lock=True)
    if stored is not None and stored.partner_id is not None:
        raise InvalidParameters(f"id: Location {location.id} is a partner's copy, not ours")
    if stored is not None and create_only:
        raise AlreadyExists(f"id: Location {location.id} exists already; PUT it to replace it")
    old = uow.locations.parse(stored) if stored is not None else None
    new = _stamp_location(location, old, now)
    return await _store(
        uow,
        stored,
        old,
        new,
        now,
        lambda audience: cpo_changes.location_put(new.to_ocpi(), audience=audience),
        check_tariffs=check_tariffs,
    )


async def patch_location(
    uow: UnitOfWork, parties: CpoParties, ref: LocationRef, payload: Any, *, now: datetime
) -> Saved:
    """Change some top-level fields of a Location (pushed as a PATCH, or a PUT when publication or the
    EVSE list changes)."""
    record, old = await own_location(uow, parties, ref, lock=True)
    body = with_stamp(require_object(payload, "fields of a Location"), _stamp_text(now))
    for name, current in (("id", old.id), ("country_code", old.country_code), ("party_id", old.party_id)):
        same_id(name, current, body.get(name))
    if isinstance(body.get("evses"), list):
        body["evses"] = [_evse_body(evse, _stamp_text(now)) for evse in body["evses"]]
    patch = validate(LocationPatch, body, "Location PATCH")
    patched = apply_patch(patch, old)
    new = _stamp_location(_revalidated(patched), old, now)
    changed = set(patch.changes()) - {"last_updated"}
    if changed & _PUT_FIELDS:
        return await _store(
            uow,
            record,
            old,
            new,
            now,
            lambda audience: cpo_changes.location_put(new.to_ocpi(), audience=audience),
        )
    document = new.to_ocpi()
    fields = {name: document[name] for name in sorted(changed) if name in document}
    fields["last_updated"] = document["last_updated"]
    return await _store(
        uow,
        record,
        old,
        new,
        now,
        lambda audience: cpo_changes.location_patch(_owner(new), fields, audience=audience),
    )


async def remove_location(uow: UnitOfWork, parties: CpoParties, ref: LocationRef, *, now: datetime) -> Saved:
    """Retire a Location: every EVSE becomes REMOVED (OCPI never deletes Locations); pushed as a PUT."""
    record, old = await own_location(uow, parties, ref, lock=True)
    evses = [_removed(evse, now) for evse in old.evses]
    new = old.model_copy(update={"evses": evses})
    if not _same(new, old):
        new = new.model_copy(update={"last_updated": now})
    return await _store(
        uow,
        record,
        old,
        new,
        now,
        lambda audience: cpo_changes.location_put(new.to_ocpi(), audience=audience),
    )


# --- EVSEs -------------------------------------------------------------------------------------------------


async def put_evse(
    uow: UnitOfWork, parties: CpoParties, ref: LocationRef, evse_uid: str, payload: Any, *, now: datetime
) -> Saved:
    """Create or replace one EVSE of a Location (pushed as an EVSE PUT); the Location's stamp moves."""
    record, location = await own_location(uow, parties, ref, lock=True)
    body = _evse_body(require_object(payload, "an EVSE"), _stamp_text(now))
    body.setdefault("uid", evse_uid)
    same_id("uid", evse_uid, body.get("uid"))
    old_evse = _evse(location, evse_uid)
    evse = _stamp_evse(validate(EVSE, body, "EVSE"), old_evse, now)
    if old_evse is not None and _same(evse, old_evse):
        return Saved(Outcome.UNCHANGED, old_evse.to_ocpi())
    new = _revalidated(_with_evse(location, evse, now))
    saved = await _store(
        uow,
        record,
        location,
        new,
        now,
        lambda audience: cpo_changes.evse_change(
            "PUT", _owner(new), evse.uid, evse.to_ocpi(), audience=audience
        ),
    )
    outcome = Outcome.CREATED if old_evse is None else Outcome.UPDATED
    return Saved(outcome, evse.to_ocpi(), saved.warnings)


async def patch_evse(
    uow: UnitOfWork, parties: CpoParties, ref: LocationRef, evse_uid: str, payload: Any, *, now: datetime
) -> Saved:
    """Change some fields of one EVSE (pushed as an EVSE PATCH with exactly those fields)."""
    record, location = await own_location(uow, parties, ref, lock=True)
    old_evse = evse_of(location, evse_uid)
    body = with_stamp(require_object(payload, "fields of an EVSE"), _stamp_text(now))
    same_id("uid", old_evse.uid, body.get("uid"))
    if isinstance(body.get("connectors"), list):
        body["connectors"] = [
            with_stamp(c, _stamp_text(now)) if isinstance(c, dict) else c for c in body["connectors"]
        ]
    patch = validate(EvsePatch, body, "EVSE PATCH")
    patched = apply_patch(patch, old_evse)
    evse = _stamp_evse(patched, old_evse, now)
    if _same(evse, old_evse):
        return Saved(Outcome.UNCHANGED, old_evse.to_ocpi())
    new = _revalidated(_with_evse(location, evse, now))
    document = evse.to_ocpi()
    changed = sorted(set(patch.changes()) - {"last_updated"})
    fields = {name: document.get(name, []) for name in changed}
    fields["last_updated"] = document["last_updated"]
    saved = await _store(
        uow,
        record,
        location,
        new,
        now,
        lambda audience: cpo_changes.evse_change("PATCH", _owner(new), evse.uid, fields, audience=audience),
    )
    return Saved(Outcome.UPDATED, document, saved.warnings)


async def set_evse_status(
    uow: UnitOfWork,
    parties: CpoParties,
    ref: LocationRef,
    evse_uid: str,
    status: Status | str,
    *,
    now: datetime,
) -> Saved:
    """Change an EVSE's status: the one call a charger event or an operator makes (an EVSE PATCH)."""
    try:
        value = Status(status.upper() if isinstance(status, str) else status)
    except ValueError:
        allowed = ", ".join(s.value for s in Status)
        raise InvalidParameters(f"status: '{status}' is not one of {allowed}") from None
    return await patch_evse(uow, parties, ref, evse_uid, {"status": value.value}, now=now)


async def remove_evse(
    uow: UnitOfWork, parties: CpoParties, ref: LocationRef, evse_uid: str, *, now: datetime
) -> Saved:
    """Retire an EVSE: its status becomes REMOVED, as OCPI asks instead of a deletion."""
    return await set_evse_status(uow, parties, ref, evse_uid, Status.REMOVED, now=now)


# --- Connectors --------------------------------------------------------------------------------------------


async def put_connector(
    uow: UnitOfWork,
    parties: CpoParties,
    ref: LocationRef,
    evse_uid: str,
    connector_id: str,
    payload: Any,
    *,
    now: datetime,
) -> Saved:
    """Create or replace one Connector (pushed as a Connector PUT); the EVSE's and Location's stamps move."""
    record, location = await own_location(uow, parties, ref, lock=True)
    evse = evse_of(location, evse_uid)
    body = with_stamp(require_object(payload, "a Connector"), _stamp_text(now))
    body.setdefault("id", connector_id)
    same_id("id", connector_id, body.get("id"))
    old_connector = _connector(evse, connector_id)
    connector = _stamp_connector(validate(Connector, body, "Connector"), old_connector, now)
    if old_connector is not None and _same(connector, old_connector):
        return Saved(Outcome.UNCHANGED, old_connector.to_ocpi())
    new = _revalidated(_with_evse(location, _with_connector(evse, connector, now), now))
    saved = await _store(
        uow,
        record,
        location,
        new,
        now,
        lambda audience: cpo_changes.connector_change(
            "PUT", _owner(new), evse.uid, connector.id, connector.to_ocpi(), audience=audience
        ),
    )
    outcome = Outcome.CREATED if old_connector is None else Outcome.UPDATED
    return Saved(outcome, connector.to_ocpi(), saved.warnings)


async def patch_connector(
    uow: UnitOfWork,
    parties: CpoParties,
    ref: LocationRef,
    evse_uid: str,
    connector_id: str,
    payload: Any,
    *,
    now: datetime,
) -> Saved:
    """Change some fields of one Connector (pushed as a Connector PATCH with exactly those fields)."""
    record, location = await own_location(uow, parties, ref, lock=True)
    evse = evse_of(location, evse_uid)
    old_connector = _own_connector(location, evse, connector_id)
    body = with_stamp(require_object(payload, "fields of a Connector"), _stamp_text(now))
    same_id("id", old_connector.id, body.get("id"))
    patch = validate(ConnectorPatch, body, "Connector PATCH")
    connector = apply_patch(patch, old_connector)
    if _same(connector, old_connector):
        return Saved(Outcome.UNCHANGED, old_connector.to_ocpi())
    connector = connector.model_copy(update={"last_updated": now})
    new = _revalidated(_with_evse(location, _with_connector(evse, connector, now), now))
    document = connector.to_ocpi()
    fields = {name: document.get(name, []) for name in sorted(set(patch.changes()) - {"last_updated"})}
    fields["last_updated"] = document["last_updated"]
    saved = await _store(
        uow,
        record,
        location,
        new,
        now,
        lambda audience: cpo_changes.connector_change(
            "PATCH", _owner(new), evse.uid, connector.id, fields, audience=audience
        ),
    )
    return Saved(Outcome.UPDATED, document, saved.warnings)


async def remove_connector(
    uow: UnitOfWork,
    parties: CpoParties,
    ref: LocationRef,
    evse_uid: str,
    connector_id: str,
    *,
    now: datetime,
) -> Saved:
    """Take a Connector off its EVSE (pushed as an EVSE PUT); an EVSE keeps at least one Connector, so
    retiring the last one means removing the EVSE instead."""
    record, location = await own_location(uow, parties, ref, lock=True)
    evse = evse_of(location, evse_uid)
    _own_connector(location, evse, connector_id)
    remaining = [c for c in evse.connectors if ci_key(c.id) != ci_key(connector_id)]
    if not remaining:
        raise InvalidParameters(
            f"connector_id: {connector_id} is the last Connector of EVSE {evse.uid}; remove the EVSE instead"
        )
    changed = evse.model_copy(update={"connectors": remaining, "last_updated": now})
    new = _revalidated(_with_evse(location, changed, now))
    saved = await _store(
        uow,
        record,
        location,
        new,
        now,
        lambda audience: cpo_changes.evse_change(
            "PUT", _owner(new), changed.uid, changed.to_ocpi(), audience=audience
        ),
    )
    return Saved(Outcome.UPDATED, changed.to_ocpi(), saved.warnings)
