"""`laddhub cpo ...`: manage this node's CPO data from the command line.

The commands work on the node's database directly (the settings of `laddhub serve`) through the same
use cases as the admin API, so a change here is validated, stamped and written to the outbox exactly like
one made over HTTP. The running node's push worker delivers it on its next poll.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
import typer
from rich.table import Table

from laddhub.cli.common import ConfigOption, console, errors, fail, load_settings, run, store
from laddhub.config import Settings
from laddhub.ocpi.client import PartnerError, Party
from laddhub.ocpi.paging import parse_datetime_param
from laddhub.ocpi.status import OcpiError
from laddhub.services import cpo_files, cpo_locations, tokens
from laddhub.services.cpo_data import CpoParties, Outcome
from laddhub.services.cpo_files import ImportReport
from laddhub.services.cpo_locations import LocationRef
from laddhub.services.partner_clients import client_factory
from laddhub.store.documents import PageQuery
from laddhub.store.uow import UnitOfWorkFactory

app = typer.Typer(
    help="Manage this node's CPO data: Locations, EVSEs, Tariffs; pull eMSP tokens.", no_args_is_help=True
)

Kind = Literal["locations", "tariffs"]
KindArgument = Annotated[str, typer.Argument(help="locations or tariffs.")]
CountryOption = Annotated[
    str | None,
    typer.Option("--country-code", help="Our party's country, when the node is a CPO for several."),
]
PartyOption = Annotated[
    str | None, typer.Option("--party-id", help="Our party's id, when the node is a CPO for several.")
]


def _now() -> datetime:
    return datetime.now(UTC)


def _kind(value: str) -> Kind:
    if value == "locations":
        return "locations"
    if value == "tariffs":
        return "tariffs"
    raise fail(f"expected 'locations' or 'tariffs', got {value!r}", code=2)


def _parties(settings: Settings) -> CpoParties:
    parties = CpoParties.from_settings(settings)
    if not parties.parties:
        raise fail("this node has no CPO role; set LADDHUB_ROLES, e.g. CPO:NL:LAD", code=2)
    return parties


def guess_kind(items: list[Any]) -> Kind | None:
    """Whether a file holds Locations (they have coordinates) or Tariffs (they have elements)."""
    dicts = [item for item in items if isinstance(item, dict)]
    if dicts and all("elements" in item for item in dicts):
        return "tariffs"
    if dicts and all("coordinates" in item or "evses" in item for item in dicts):
        return "locations"
    return None


def _print_report(report: ImportReport, kind: str) -> None:
    console.print(
        f"Imported {report.total} {kind}: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged."
    )
    for warning in report.warnings:
        errors.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


@app.command("import")
def import_file(
    path: Annotated[
        Path,
        typer.Argument(
            help="A JSON file: a list of objects, one object, or an OCPI envelope.",
            exists=True,
            dir_okay=False,
        ),
    ],
    kind: Annotated[
        str | None, typer.Option("--kind", help="locations or tariffs (guessed from the content).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Create or replace our Locations or Tariffs from an OCPI JSON file, all or nothing."""
    settings = load_settings(config)
    parties = _parties(settings)
    try:
        items = cpo_files.read_objects(path.read_text(encoding="utf-8"), path.name)
    except OcpiError as exc:
        raise fail(exc.message) from None
    chosen = _kind(kind) if kind is not None else guess_kind(items)
    if chosen is None:
        raise fail(f"cannot tell whether {path.name} holds locations or tariffs; say --kind", code=2)

    async def go() -> ImportReport:
        async with store(settings) as uow_factory, uow_factory() as uow:
            if chosen == "locations":
                report = await cpo_files.import_locations(uow, parties, items, now=_now())
            else:
                report = await cpo_files.import_tariffs(uow, parties, items, now=_now())
            await uow.commit()
            return report

    try:
        report = run(go)
    except OcpiError as exc:
        raise fail(exc.message) from None
    _print_report(report, chosen)


@app.command()
def export(
    kind: KindArgument,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Write our Locations or Tariffs as a JSON list of OCPI objects (what `import` reads back)."""
    settings = load_settings(config)
    chosen = _kind(kind)

    async def go() -> list[dict[str, Any]]:
        async with store(settings) as uow_factory, uow_factory() as uow:
            if chosen == "locations":
                return await cpo_files.export_locations(uow)
            return await cpo_files.export_tariffs(uow)

    text = json.dumps(run(go), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        errors.print(f"wrote {out}")


@app.command("evse-status")
def evse_status(
    location: Annotated[str, typer.Argument(help="Location id.")],
    evse: Annotated[str, typer.Argument(help="EVSE uid.")],
    status: Annotated[str, typer.Argument(help="AVAILABLE, BLOCKED, CHARGING, INOPERATIVE, OUTOFORDER, ...")],
    country_code: CountryOption = None,
    party_id: PartyOption = None,
    config: ConfigOption = None,
) -> None:
    """Change an EVSE's status; partners get an EVSE PATCH."""
    settings = load_settings(config)
    parties = _parties(settings)
    ref = LocationRef(location, country_code, party_id)

    async def go() -> Outcome:
        async with store(settings) as uow_factory, uow_factory() as uow:
            saved = await cpo_locations.set_evse_status(uow, parties, ref, evse, status, now=_now())
            await uow.commit()
            return saved.outcome

    try:
        outcome = run(go)
    except OcpiError as exc:
        raise fail(exc.message) from None
    if outcome is Outcome.UNCHANGED:
        console.print(f"EVSE {evse} of {location} is {status.upper()} already; nothing changed.")
    else:
        console.print(f"EVSE {evse} of {location} is now {status.upper()}.")


async def _documents(uow_factory: UnitOfWorkFactory, kind: Kind) -> list[dict[str, Any]]:
    async with uow_factory() as uow:
        repository = uow.locations if kind == "locations" else uow.tariffs
        page = await repository.page(PageQuery(owner=None))
    return [json.loads(document) for document in page.documents]


@app.command("locations")
def list_locations(config: ConfigOption = None) -> None:
    """Show our Locations with their EVSEs by status."""
    settings = load_settings(config)

    async def go() -> list[dict[str, Any]]:
        async with store(settings) as uow_factory:
            return await _documents(uow_factory, "locations")

    table = Table(title="Locations")
    for column in ("owner", "id", "name", "city", "published", "EVSEs", "last updated"):
        table.add_column(column)
    for location in run(go):
        statuses = Counter(evse["status"] for evse in location.get("evses", []))
        table.add_row(
            f"{location['country_code']}/{location['party_id']}",
            location["id"],
            location.get("name", "-"),
            location["city"],
            "yes" if location["publish"] else "restricted",
            ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())) or "-",
            location["last_updated"],
        )
    console.print(table)


@app.command("tariffs")
def list_tariffs(config: ConfigOption = None) -> None:
    """Show our Tariffs."""
    settings = load_settings(config)

    async def go() -> list[dict[str, Any]]:
        async with store(settings) as uow_factory:
            return await _documents(uow_factory, "tariffs")

    table = Table(title="Tariffs")
    for column in ("owner", "id", "currency", "type", "elements", "valid", "last updated"):
        table.add_column(column)
    for tariff in run(go):
        validity = f"{tariff.get('start_date_time', '…')} – {tariff.get('end_date_time', '…')}"
        table.add_row(
            f"{tariff['country_code']}/{tariff['party_id']}",
            tariff["id"],
            tariff["currency"],
            tariff.get("type", "-"),
            str(len(tariff["elements"])),
            validity if "start_date_time" in tariff or "end_date_time" in tariff else "always",
            tariff["last_updated"],
        )
    console.print(table)


@app.command("sync-tokens")
def sync_tokens(
    partner: Annotated[str, typer.Argument(help="Partner name or id (an eMSP or a Hub).")],
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only tokens changed since this DateTime (keeps the others)."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Pull an eMSP's tokens from its Tokens Sender; a full pull removes the tokens it no longer lists."""
    settings = load_settings(config)
    parties = _parties(settings)
    try:
        date_from = parse_datetime_param("--since", since) if since else None
    except OcpiError as exc:
        raise fail(exc.message, code=2) from None

    async def go() -> tokens.SyncReport:
        async with (
            store(settings) as uow_factory,
            httpx.AsyncClient(timeout=settings.partner_timeout_s) as http,
        ):
            async with uow_factory() as uow:
                found = await uow.partners.get(int(partner)) if partner.isdigit() else None
                found = found or await uow.partners.by_name(partner)
            if found is None:
                raise fail(f"no partner named {partner!r}; see `laddhub partners list`")
            country, party = parties.parties[0]
            return await tokens.sync_tokens(
                uow_factory,
                found.id,
                clients=client_factory(http),
                ours=Party(country, party),
                now=_now(),
                date_from=date_from,
            )

    try:
        report = run(go)
    except PartnerError as exc:
        raise fail(f"the pull failed: {exc.message}") from None
    console.print(
        f"Received {report.received} tokens: {report.stored} stored, {report.kept} unchanged, "
        f"{report.invalid} invalid, {report.ignored} of other parties"
        + (f", {report.removed} removed (no longer listed)." if report.complete else ".")
    )
