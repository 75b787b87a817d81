"""The migrations give exactly the schema the code declares, on SQLite and PostgreSQL, and reverse."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from laddhub.store.database import create_engine
from laddhub.store.migrate import alembic_config, current_revision, head_revision, upgrade
from laddhub.store.tables import Base
from tests.support.databases import database_url


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_schema_matches_the_tables_and_downgrades(backend: str, tmp_path: Path) -> None:
    with database_url(backend, tmp_path) as url:
        engine = create_engine(url)
        try:
            await upgrade(engine)
            assert await current_revision(engine) == head_revision()
            async with engine.connect() as connection:
                assert await connection.run_sync(_differences) == []
            async with engine.begin() as connection:
                await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "base"))
            assert await current_revision(engine) is None
            await upgrade(engine)
            assert await current_revision(engine) == head_revision()
        finally:
            await engine.dispose()
