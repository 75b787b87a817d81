"""Helpers shared by the CLI sub-commands: settings, the store, async execution, Rich output."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from laddhub.config import Settings
from laddhub.store.database import create_engine, session_factory
from laddhub.store.migrate import upgrade
from laddhub.store.uow import UnitOfWorkFactory

console = Console()
errors = Console(stderr=True)

T = TypeVar("T")

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="TOML/YAML settings file (else LADDHUB_CONFIG, else env only).", dir_okay=False
    ),
]


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the file, the environment and the command's options; exits with a clear message."""
    values = {k: v for k, v in overrides.items() if v is not None}
    if config is not None:
        values["config_file"] = config
    try:
        return Settings(**values)
    except (ValidationError, ValueError) as exc:
        errors.print(f"[red]invalid configuration:[/red] {exc}")
        raise typer.Exit(2) from None


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coro_fn()

    return asyncio.run(main())


@asynccontextmanager
async def store(settings: Settings) -> AsyncIterator[UnitOfWorkFactory]:
    """The node's store, migrated to the newest schema, for the duration of one command."""
    engine = create_engine(settings.effective_database_url)
    try:
        await upgrade(engine)
        yield UnitOfWorkFactory(session_factory(engine))
    finally:
        await engine.dispose()


def fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)
