"""Import and export of our Locations and Tariffs as OCPI JSON files.

A file holds a list of OCPI objects, a single object, or a whole OCPI response envelope (what a GET on a
Sender interface returns), so an export of ours, a partner's download and a hand-written file all load.
An import is all or nothing: every object is checked, every problem is reported by its position, and the
caller commits only when none was found. Each object goes through the same use case as the admin API, so
imported data is stamped, stored and pushed exactly like data entered by hand.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from laddhub.ocpi.common import ci_key
from laddhub.ocpi.status import InvalidParameters, OcpiError
from laddhub.services.cpo_data import CpoParties, Outcome, Saved, unknown_tariff_warnings
from laddhub.services.cpo_locations import put_location, tariffs_named
from laddhub.services.cpo_tariffs import put_tariff
from laddhub.store.documents import DocumentRepository, PageQuery
from laddhub.store.uow import UnitOfWork

__all__ = [
    "ImportReport",
    "export_locations",
    "export_tariffs",
    "import_locations",
    "import_tariffs",
    "objects_of",
    "read_objects",
]

MAX_REPORTED_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class ImportReport:
    """How many objects an import created, updated or left unchanged, and the warnings it raised."""

    created: int
    updated: int
    unchanged: int
    warnings: tuple[str, ...]

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def objects_of(content: Any, what: str = "body") -> list[Any]:
    """The objects of parsed JSON: a list, one object, or an OCPI envelope whose `data` holds them."""
    if isinstance(content, dict) and "data" in content and "status_code" in content:
        content = content["data"]
    if isinstance(content, dict):
        return [content]
    if isinstance(content, list):
        return content
    raise InvalidParameters(f"the {what} holds {type(content).__name__}; expected objects (a list or one)")


def read_objects(text: str, what: str) -> list[Any]:
    """The objects of a file's text (see `objects_of`); 2001 saying where the JSON breaks."""
    try:
        content = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidParameters(
            f"the {what} file is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    return objects_of(content, f"{what} file")


def _label(item: Any, index: int) -> str:
    identifier = item.get("id") if isinstance(item, dict) else None
    return f"[{index}] {identifier}" if isinstance(identifier, str) else f"[{index}]"


def _duplicates(items: Sequence[Any]) -> list[str]:
    keys = Counter(
        ci_key(str(item["id"]))
        for item in items
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    )
    return [
        f"id: '{key}' occurs {count} times in the file" for key, count in sorted(keys.items()) if count > 1
    ]


async def _import(items: Sequence[Any], put: Callable[[Any], Awaitable[Saved]], what: str) -> ImportReport:
    problems = _duplicates(items)
    counts: Counter[Outcome] = Counter()
    warnings: list[str] = []
    if not problems:
        for index, item in enumerate(items):
            try:
                saved = await put(item)
            except OcpiError as exc:
                problems.append(f"{_label(item, index)}: {exc.message}")
                continue
            counts[saved.outcome] += 1
            warnings.extend(f"{_label(item, index)}: {warning}" for warning in saved.warnings)
    if problems:
        shown = problems[:MAX_REPORTED_PROBLEMS]
        if len(problems) > MAX_REPORTED_PROBLEMS:
            shown.append(f"and {len(problems) - MAX_REPORTED_PROBLEMS} more problem(s)")
        raise InvalidParameters(f"nothing imported; {len(problems)} {what} problem(s): " + "; ".join(shown))
    return ImportReport(
        counts[Outcome.CREATED], counts[Outcome.UPDATED], counts[Outcome.UNCHANGED], tuple(warnings)
    )


async def import_locations(
    uow: UnitOfWork, parties: CpoParties, items: Sequence[Any], *, now: datetime
) -> ImportReport:
    """Create or replace every Location of a file, or none (raises 2001 listing each bad object)."""

    async def put(item: Any) -> Saved:
        return await put_location(uow, parties, item, now=now, check_tariffs=False)

    report = await _import(items, put, "Location")
    return replace(report, warnings=report.warnings + await _unknown_tariffs(uow, parties, items))


async def import_tariffs(
    uow: UnitOfWork, parties: CpoParties, items: Sequence[Any], *, now: datetime
) -> ImportReport:
    """Create or replace every Tariff of a file, or none (raises 2001 listing each bad object)."""

    async def put(item: Any) -> Saved:
        return await put_tariff(uow, parties, item, now=now)

    return await _import(items, put, "Tariff")


async def _unknown_tariffs(uow: UnitOfWork, parties: CpoParties, items: Sequence[Any]) -> tuple[str, ...]:
    """Warnings for Connectors naming tariffs we do not have, checked once for a whole import."""
    known: dict[tuple[str, str], set[str]] = {}
    warnings: list[str] = []
    default = parties.default() or ("", "")
    for index, item in enumerate(items):
        owner = (
            ci_key(str(item.get("country_code", default[0]))),
            ci_key(str(item.get("party_id", default[1]))),
        )
        named = tariffs_named(item)
        if not named:
            continue
        if owner not in known:
            known[owner] = await uow.tariffs.object_keys(*owner)
        warnings.extend(f"{_label(item, index)}: {w}" for w in unknown_tariff_warnings(named, known[owner]))
    return tuple(warnings)


async def _export(repository: DocumentRepository[Any, Any]) -> list[dict[str, Any]]:
    page = await repository.page(PageQuery(owner=None))
    return [json.loads(document) for document in page.documents]


async def export_locations(uow: UnitOfWork) -> list[dict[str, Any]]:
    """All our Locations as OCPI objects, in creation order (what `import_locations` reads back)."""
    return await _export(uow.locations)


async def export_tariffs(uow: UnitOfWork) -> list[dict[str, Any]]:
    """All our Tariffs as OCPI objects, in creation order (what `import_tariffs` reads back)."""
    return await _export(uow.tariffs)
