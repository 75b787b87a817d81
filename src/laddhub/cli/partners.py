"""`laddhub partners ...`: invite, register with, list, update and unregister partners."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import httpx
import typer
from rich.table import Table

from laddhub.cli.common import ConfigOption, console, fail, load_settings, run, store
from laddhub.services import handshake
from laddhub.services.identity import NodeIdentity
from laddhub.services.partner_clients import client_factory
from laddhub.store.tables import PartnerRecord
from laddhub.store.uow import UnitOfWorkFactory

app = typer.Typer(help="Manage the platforms this node talks OCPI with.", no_args_is_help=True)


def _now() -> datetime:
    return datetime.now(UTC)


@app.command()
def invite(
    name: Annotated[str, typer.Option("--name", "-n", help="A name for the partner, e.g. its company.")],
    config: ConfigOption = None,
) -> None:
    """Create a token A for a partner that will register with us; give it the printed URL and token."""
    settings = load_settings(config)

    async def go() -> str:
        async with store(settings) as uow:
            _, token = await handshake.invite(uow, name, now=_now())
            return token

    token = run(go)
    console.print(f"Partner [bold]{name}[/bold] invited. Give it these, out of band:")
    console.print(f"versions_url: {settings.versions_url}", highlight=False, soft_wrap=True)
    console.print(f"token: {token}", highlight=False, soft_wrap=True)


@app.command("list")
def list_partners(config: ConfigOption = None) -> None:
    """Show every partner: name, roles, version and status."""
    settings = load_settings(config)

    async def go() -> list[PartnerRecord]:
        async with store(settings) as uow_factory, uow_factory() as uow:
            return list(await uow.partners.list())

    partners = run(go)
    table = Table(title="Partners")
    for column in ("id", "name", "roles", "version", "status", "versions URL"):
        table.add_column(column)
    for p in partners:
        roles = ", ".join(f"{r.role} {r.country_code}/{r.party_id}" for r in p.roles) or "-"
        table.add_row(str(p.id), p.name, roles, p.version or "-", p.status, p.versions_url or "-")
    console.print(table)


@app.command()
def register(
    versions_url: Annotated[str, typer.Option("--versions-url", help="The partner's versions URL.")],
    token: Annotated[str, typer.Option("--token", help="The token A the partner gave us.")],
    name: Annotated[str | None, typer.Option("--name", "-n", help="A name for the partner.")] = None,
    config: ConfigOption = None,
) -> None:
    """Register with another platform (we are the initiator). Our node must be serving meanwhile, because
    the partner calls our versions URL back during the handshake."""
    settings = load_settings(config)
    identity = NodeIdentity.from_settings(settings)
    if not identity.roles:
        raise fail("this node has no roles configured (LADDHUB_ROLES); a partner needs to know who we are")

    async def go() -> PartnerRecord:
        async with store(settings) as uow, httpx.AsyncClient(timeout=settings.partner_timeout_s) as http:
            return await handshake.register_with(
                uow,
                name=name or versions_url,
                versions_url=versions_url,
                token_a=token,
                identity=identity,
                clients=client_factory(http),
                now=_now,
            )

    try:
        partner = run(go)
    except handshake.HandshakeError as exc:
        raise fail(str(exc)) from None
    roles = ", ".join(f"{r.role} {r.country_code}/{r.party_id}" for r in partner.roles)
    console.print(f"Registered with [bold]{partner.name}[/bold] (OCPI {partner.version}); its roles: {roles}")


async def _find(uow_factory: UnitOfWorkFactory, name_or_id: str) -> PartnerRecord:
    async with uow_factory() as uow:
        partner = await uow.partners.get(int(name_or_id)) if name_or_id.isdigit() else None
        partner = partner or await uow.partners.by_name(name_or_id)
    if partner is None:
        raise fail(f"no partner named {name_or_id!r}; see `laddhub partners list`")
    return partner


@app.command()
def update(
    partner: Annotated[str, typer.Argument(help="Partner name or id.")],
    config: ConfigOption = None,
) -> None:
    """Rotate the tokens with a registered partner and refresh its endpoints (credentials PUT)."""
    settings = load_settings(config)
    identity = NodeIdentity.from_settings(settings)

    async def go() -> PartnerRecord:
        async with store(settings) as uow, httpx.AsyncClient(timeout=settings.partner_timeout_s) as http:
            found = await _find(uow, partner)
            return await handshake.update_at(
                uow, found.id, identity=identity, clients=client_factory(http), now=_now
            )

    try:
        updated = run(go)
    except handshake.HandshakeError as exc:
        raise fail(str(exc)) from None
    console.print(f"Credentials with [bold]{updated.name}[/bold] rotated (OCPI {updated.version}).")


@app.command()
def unregister(
    partner: Annotated[str, typer.Argument(help="Partner name or id.")],
    config: ConfigOption = None,
) -> None:
    """Unregister from a partner (credentials DELETE); all automated traffic with it stops."""
    settings = load_settings(config)

    async def go() -> PartnerRecord:
        async with store(settings) as uow, httpx.AsyncClient(timeout=settings.partner_timeout_s) as http:
            found = await _find(uow, partner)
            return await handshake.unregister_from(uow, found.id, clients=client_factory(http), now=_now)

    try:
        done = run(go)
    except handshake.HandshakeError as exc:
        raise fail(str(exc)) from None
    console.print(f"Unregistered from [bold]{done.name}[/bold].")
