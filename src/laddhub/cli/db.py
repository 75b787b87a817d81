"""`laddhub db ...`: database schema management."""

from __future__ import annotations

import typer

from laddhub.cli.common import ConfigOption, console, load_settings, run
from laddhub.store.database import create_engine
from laddhub.store.migrate import current_revision, head_revision, upgrade

app = typer.Typer(help="Database schema management.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(config: ConfigOption = None) -> None:
    """Apply every pending migration (serve does this at start-up too)."""
    settings = load_settings(config)

    async def go() -> str | None:
        engine = create_engine(settings.effective_database_url)
        try:
            await upgrade(engine)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    revision = run(go)
    console.print(f"database at revision [bold]{revision}[/bold] (head: {head_revision()})")


@app.command("current")
def current_command(config: ConfigOption = None) -> None:
    """Show the schema revision of the database."""
    settings = load_settings(config)

    async def go() -> str | None:
        engine = create_engine(settings.effective_database_url)
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    console.print(f"current: {run(go) or 'empty database'}; head: {head_revision()}")
