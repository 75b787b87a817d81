"""The pushes a CPO's own data changes make: Location, EVSE and Connector PUT/PATCH, Tariff PUT/DELETE.

One place builds them so every caller (admin API, CLI, the charging activity changing an EVSE status)
addresses the same outbox keys: a Location and everything under it share one `group_key`, so an EVSE
PATCH never overtakes the PUT of its Location, and `object_key`s nest (`.../LOC/EVSE/CONNECTOR`) so a
Location PUT supersedes pending changes of its children. Keys are upper-cased (CiStrings) and carry the
owner, because two CPO parties of one node may use the same ids; the URL path keeps the ids as written.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from laddhub.ocpi.common import ci_key
from laddhub.services.publishing import Change

Party = tuple[str, str]


def _segment(value: str) -> str:
    return quote(value, safe="")


def location_group(country_code: str, party_id: str, location_id: str) -> str:
    """The outbox group (and object key) of a Location: every change under it is delivered in order."""
    return f"locations:{ci_key(country_code)}/{ci_key(party_id)}/{ci_key(location_id)}"


def _location_path(country_code: str, party_id: str, *ids: str) -> str:
    return "/" + "/".join(_segment(part) for part in (country_code, party_id, *ids))


def location_put(document: dict[str, Any], *, audience: frozenset[Party] | None) -> Change:
    """A new or replaced Location, to every receiver (`audience` None) or to the given parties."""
    country_code, party_id, location_id = document["country_code"], document["party_id"], document["id"]
    group = location_group(country_code, party_id, location_id)
    return Change(
        "locations",
        "PUT",
        _location_path(country_code, party_id, location_id),
        document,
        group,
        group,
        parties=audience,
    )


def location_patch(
    owner: tuple[str, str, str], fields: dict[str, Any], *, audience: frozenset[Party] | None
) -> Change:
    """Changed top-level fields of a Location (`owner` = country_code, party_id, location id)."""
    group = location_group(*owner)
    return Change("locations", "PATCH", _location_path(*owner), fields, group, group, parties=audience)


def evse_change(
    method: str,
    owner: tuple[str, str, str],
    evse_uid: str,
    payload: dict[str, Any],
    *,
    audience: frozenset[Party] | None,
) -> Change:
    """A PUT (whole EVSE) or PATCH (changed fields) of one EVSE of a Location."""
    group = location_group(*owner)
    return Change(
        "locations",
        method,
        _location_path(*owner, evse_uid),
        payload,
        group,
        f"{group}/{ci_key(evse_uid)}",
        parties=audience,
    )


def connector_change(
    method: str,
    owner: tuple[str, str, str],
    evse_uid: str,
    connector_id: str,
    payload: dict[str, Any],
    *,
    audience: frozenset[Party] | None,
) -> Change:
    """A PUT (whole Connector) or PATCH (changed fields) of one Connector of an EVSE."""
    group = location_group(*owner)
    return Change(
        "locations",
        method,
        _location_path(*owner, evse_uid, connector_id),
        payload,
        group,
        f"{group}/{ci_key(evse_uid)}/{ci_key(connector_id)}",
        parties=audience,
    )


def tariff_key(country_code: str, party_id: str, tariff_id: str) -> str:
    return f"tariffs:{ci_key(country_code)}/{ci_key(party_id)}/{ci_key(tariff_id)}"


def tariff_put(document: dict[str, Any]) -> Change:
    """A new or replaced Tariff, for every receiver of tariffs."""
    country_code, party_id, tariff_id = document["country_code"], document["party_id"], document["id"]
    key = tariff_key(country_code, party_id, tariff_id)
    return Change("tariffs", "PUT", _location_path(country_code, party_id, tariff_id), document, key, key)


def tariff_delete(country_code: str, party_id: str, tariff_id: str) -> Change:
    """A Tariff retired for good; replaces a pending PUT of it."""
    key = tariff_key(country_code, party_id, tariff_id)
    return Change("tariffs", "DELETE", _location_path(country_code, party_id, tariff_id), None, key, key)
