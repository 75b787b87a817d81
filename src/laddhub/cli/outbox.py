"""`laddhub outbox ...`: see what waits to be pushed to each partner, retry or purge failed pushes, and run
a push worker on its own (for deployments where API processes run with `push_enabled = false`)."""

from __future__ import annotations

import asyncio
import json
import signal
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table

from laddhub.cli.common import ConfigOption, console, fail, load_settings, run, store
from laddhub.ocpi.common import format_datetime
from laddhub.services.identity import NodeIdentity
from laddhub.services.partner_clients import client_factory
from laddhub.services.push import status as outbox
from laddhub.services.push.worker import PushWorker, WorkerSettings
from laddhub.store.uow import UnitOfWorkFactory

app = typer.Typer(help="Inspect and manage the pushes waiting for partners.", no_args_is_help=True)

PartnerArgument = Annotated[str | None, typer.Argument(help="Partner name or id (default: every partner).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _now() -> datetime:
    return datetime.now(UTC)


def _duration(delta: timedelta) -> str:
    """A span in its two largest units (`42s`, `3m 12s`, `5h 2m`, `2d 7h`): enough to judge a backlog."""
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60}s"
    if seconds < 86_400:
        return f"{seconds // 3600}h {seconds % 3600 // 60}m"
    return f"{seconds // 86_400}d {seconds % 86_400 // 3600}h"


def _age(moment: datetime | None, now: datetime) -> str:
    return "-" if moment is None else _duration(now - moment)


def _until(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    return "now" if moment <= now else f"in {_duration(moment - now)}"


async def _partner_id(uow_factory: UnitOfWorkFactory, name_or_id: str | None) -> int | None:
    if name_or_id is None:
        return None
    async with uow_factory() as uow:
        partner = await uow.partners.get(int(name_or_id)) if name_or_id.isdigit() else None
        partner = partner or await uow.partners.by_name(name_or_id)
    if partner is None:
        raise fail(f"no partner named {name_or_id!r}; see `laddhub partners list`")
    return partner.id


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: format_datetime(v) if isinstance(v, datetime) else v for k, v in values.items()}


@app.command("status")
def show_status(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """Per partner: pushes pending and failed, the oldest pending, the next attempt, the last error and
    how many pushes the partner has acknowledged."""
    settings = load_settings(config)

    async def go() -> list[outbox.PartnerOutbox]:
        async with store(settings) as uow_factory, uow_factory() as uow:
            return await outbox.outbox_status(uow)

    rows = run(go)
    if as_json:
        typer.echo(json.dumps([_jsonable(asdict(row)) for row in rows], indent=2))
        return
    now = _now()
    table = Table(title="Outbox")
    for column in ("partner", "status", "pending", "failed", "oldest pending", "next attempt", "delivered"):
        table.add_column(column, justify="right" if column in ("pending", "failed", "delivered") else "left")
    table.add_column("last error", overflow="fold")
    for row in rows:
        error = "-" if row.last_error is None else f"{row.last_error} ({_age(row.last_error_at, now)} ago)"
        table.add_row(
            row.name,
            row.status,
            str(row.pending),
            str(row.failed),
            _age(row.oldest_pending_at, now),
            _until(row.next_attempt_at, now) if row.pending else "-",
            str(row.delivered),
            error,
        )
    console.print(table)
    if not rows:
        console.print("No partners to push to yet.")


@app.command()
def retry(partner: PartnerArgument = None, config: ConfigOption = None) -> None:
    """Send failed pushes again (after the cause is fixed); they keep their order within their object."""
    settings = load_settings(config)

    async def go() -> int:
        async with store(settings) as uow_factory:
            partner_id = await _partner_id(uow_factory, partner)
            async with uow_factory() as uow:
                return await outbox.retry_failed(uow, now=_now(), partner_id=partner_id)

    count = run(go)
    console.print(f"{count} failed push{'es' if count != 1 else ''} will be sent again.")


@app.command()
def purge(
    partner: PartnerArgument = None,
    failed: Annotated[bool, typer.Option("--failed", help="Delete the failed pushes.")] = False,
    config: ConfigOption = None,
) -> None:
    """Delete failed pushes for good (the partner can still pull the data)."""
    if not failed:
        raise fail("say what to purge: --failed (pending pushes are never purged)", code=2)
    settings = load_settings(config)

    async def go() -> int:
        async with store(settings) as uow_factory:
            partner_id = await _partner_id(uow_factory, partner)
            async with uow_factory() as uow:
                return await outbox.purge_failed(uow, partner_id=partner_id)

    count = run(go)
    console.print(f"{count} failed push{'es' if count != 1 else ''} deleted.")


@app.command()
def cdrs(
    partner: PartnerArgument = None,
    cdr: Annotated[str | None, typer.Option("--cdr", help="Only this CDR id.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many, newest first.")] = 50,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """CDRs delivered to partners and where each partner stored them (the Location header it returned)."""
    settings = load_settings(config)

    async def go() -> list[outbox.CdrReceiptView]:
        async with store(settings) as uow_factory:
            partner_id = await _partner_id(uow_factory, partner)
            async with uow_factory() as uow:
                return list(await outbox.cdr_receipts(uow, partner_id=partner_id, cdr_id=cdr, limit=limit))

    receipts = run(go)
    if as_json:
        typer.echo(json.dumps([_jsonable(asdict(r)) for r in receipts], indent=2))
        return
    table = Table(title="Delivered CDRs")
    for column in ("partner", "CDR", "delivered", "stored at"):
        table.add_column(column, overflow="fold")
    for r in receipts:
        table.add_row(
            r.partner,
            f"{r.country_code}/{r.party_id}/{r.cdr_id}",
            format_datetime(r.delivered_at),
            r.location_url or "(no Location header)",
        )
    console.print(table)


@app.command()
def deliver(
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due now, then exit.")] = False,
    config: ConfigOption = None,
) -> None:
    """Run a push worker in this process until SIGTERM/SIGINT; any number may share a PostgreSQL outbox."""
    settings = load_settings(config)

    async def go() -> int:
        async with (
            store(settings) as uow_factory,
            httpx.AsyncClient(timeout=settings.partner_timeout_s, follow_redirects=False) as http,
        ):
            worker = PushWorker(
                uow_factory,
                client_factory(http),
                NodeIdentity.from_settings(settings),
                WorkerSettings.from_settings(settings),
                clock=_now,
            )
            if once:
                total = 0
                while claimed := await worker.run_once():
                    total += claimed
                return total
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            worker.start()
            console.print(f"Push worker {worker.worker_id} running; stop it with Ctrl-C or SIGTERM.")
            await stop.wait()
            await worker.stop()
            return 0

    attempts = run(go)
    if once:
        console.print(f"{attempts} push attempt{'s' if attempts != 1 else ''} made.")
