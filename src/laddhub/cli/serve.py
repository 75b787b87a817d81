"""`laddhub serve`: run one node."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
import uvicorn

from laddhub.api.app import create_app
from laddhub.cli.common import ConfigOption, console, load_settings


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (LADDHUB_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (LADDHUB_PORT).")] = None,
    roles: Annotated[
        str | None, typer.Option(help="Roles as ROLE:COUNTRY:PARTY,... e.g. CPO:NL:LAD (LADDHUB_ROLES).")
    ] = None,
    database_url: Annotated[str | None, typer.Option(help="Database URL (LADDHUB_DATABASE_URL).")] = None,
    public_url: Annotated[
        str | None, typer.Option(help="Base URL partners use to reach us (LADDHUB_PUBLIC_URL).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Serve the OCPI API of this node until interrupted."""
    settings = load_settings(
        config, host=host, port=port, roles=roles, database_url=database_url, public_url=public_url
    )
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    roles_text = ", ".join(f"{r.role} {r.country_code}/{r.party_id}" for r in settings.roles) or "none"
    console.print(f"Laddhub node ({roles_text}) versions URL: {settings.versions_url}", highlight=False)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )
