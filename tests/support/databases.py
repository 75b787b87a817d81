"""Test databases: a fresh SQLite file, or a fresh PostgreSQL database on 127.0.0.1:5432."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_ADMIN_DSN = os.environ.get("LADDHUB_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


async def _pg_execute(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _run(statement: str) -> None:
    """Run an admin statement on a thread of its own: callers may be inside a running event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _pg_execute(statement)).result()


def postgres_available() -> bool:
    try:
        _run("SELECT 1")
    except Exception:
        return False
    return True


_PG_STATE: dict[str, bool] = {}


def require_postgres() -> None:
    """Skip when PostgreSQL is unreachable, except in CI, where that is a failure."""
    if "ok" not in _PG_STATE:
        _PG_STATE["ok"] = postgres_available()
    if not _PG_STATE["ok"]:
        if _in_ci():
            pytest.fail(
                f"PostgreSQL is unreachable at {PG_ADMIN_DSN} and CI=true: the PostgreSQL cases must run"
            )
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_DSN}")


@contextmanager
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of the given backend, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / f'laddhub-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    require_postgres()
    name = f"laddhub_test_{uuid.uuid4().hex[:12]}"
    _run(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    try:
        yield f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"
    finally:
        _run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
