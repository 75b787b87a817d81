"""A PATCH the partner cannot apply becomes a PUT of the whole object (digest §2.6).

A partner that lost an object (a fresh database, a pull that never ran) answers a PATCH with 404 or a 2xxx
refusal, and sending the same PATCH again never helps. The spec's remedy is to PUT the object; we know its
current state, so the entry is rewritten as a PUT of our stored object and sent at once.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from laddhub.store.uow import UnitOfWork


def _segments(path: str) -> list[str]:
    return [unquote(s) for s in path.split("?", 1)[0].split("/") if s]


async def current_object(uow: UnitOfWork, module: str, path: str) -> dict[str, Any] | None:
    """Our stored object at a Receiver path (`/cc/pid/id[/evse[/connector]]`), or None if we have none."""
    parts = _segments(path)
    if len(parts) < 3:
        return None
    country, party, object_id, rest = parts[0], parts[1], parts[2], parts[3:]
    if module == "sessions" and not rest:
        record = await uow.sessions.get(country, party, object_id)
        return None if record is None or record.partner_id is not None else dict(json.loads(record.document))
    if module != "locations" or len(rest) > 2:
        return None
    location = await uow.locations.get(country, party, object_id)
    if location is None or location.partner_id is not None:
        return None
    document: dict[str, Any] = json.loads(location.document)
    if not rest:
        return document
    evse = _by_key(document.get("evses", []), "uid", rest[0])
    if evse is None or len(rest) == 1:
        return evse
    return _by_key(evse.get("connectors", []), "id", rest[1])


def _by_key(items: list[dict[str, Any]], field: str, wanted: str) -> dict[str, Any] | None:
    return next((item for item in items if str(item.get(field, "")).upper() == wanted.upper()), None)
