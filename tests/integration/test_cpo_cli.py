"""`laddhub cpo ...` on the node's database: import, list, EVSE status, export, and the outbox it feeds."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from laddhub.cli.app import app
from laddhub.store.database import create_engine, session_factory
from laddhub.store.tables import OutboxRecord, PartnerEndpointRecord, PartnerRecord, PartnerRoleRecord
from laddhub.store.uow import UnitOfWorkFactory
from tests.integration.cpo_fixtures import our_location, our_tariff
from tests.support.databases import database_url

runner = CliRunner()
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def node_env(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with database_url(backend, tmp_path) as url:
        monkeypatch.setenv("LADDHUB_DATABASE_URL", url)
        monkeypatch.setenv("LADDHUB_ROLES", "CPO:NL:LAD")
        monkeypatch.delenv("LADDHUB_CONFIG", raising=False)
        yield url


def cpo(*args: str) -> Any:
    return runner.invoke(app, ["cpo", *args])


def in_store(url: str, work: Any) -> Any:
    async def go() -> Any:
        engine = create_engine(url)
        try:
            async with UnitOfWorkFactory(session_factory(engine))() as uow:
                return await work(uow)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def add_emsp(url: str) -> None:
    async def work(uow: Any) -> None:
        partner = PartnerRecord(name="msp", status="REGISTERED", created_at=NOW, updated_at=NOW)
        partner.roles = [
            PartnerRoleRecord(role="EMSP", country_code="NL", party_id="MSP", business_details={})
        ]
        partner.endpoints = [
            PartnerEndpointRecord(identifier="locations", interface_role="RECEIVER", url="http://x/l")
        ]
        uow.partners.add(partner)
        await uow.commit()

    in_store(url, work)


def pushed(url: str) -> list[tuple[str, str]]:
    async def work(uow: Any) -> list[tuple[str, str]]:
        rows = (await uow.session.execute(select(OutboxRecord).order_by(OutboxRecord.id))).scalars()
        return [(row.method, row.path) for row in rows]

    result: list[tuple[str, str]] = in_store(url, work)
    return result


def test_imported_locations_are_listed_changed_exported_and_pushed(node_env: str, tmp_path: Path) -> None:
    assert cpo("locations").exit_code == 0
    add_emsp(node_env)
    source = tmp_path / "locations.json"
    source.write_text(json.dumps([our_location("A"), our_location("B")]))
    imported = cpo("import", str(source))
    assert imported.exit_code == 0, imported.output
    assert "2 created" in imported.output
    assert "no Tariff 'T1'" in imported.output
    status = cpo("evse-status", "a", "e1", "charging")
    assert (status.exit_code, "now CHARGING" in status.output) == (0, True)
    listed = cpo("locations")
    assert "CHARGING" in listed.output
    out = tmp_path / "export.json"
    assert cpo("export", "locations", "--out", str(out)).exit_code == 0
    exported = json.loads(out.read_text())
    assert [(loc["id"], loc["evses"][0]["status"]) for loc in exported] == [
        ("A", "CHARGING"),
        ("B", "AVAILABLE"),
    ]
    assert pushed(node_env) == [("PUT", "/NL/LAD/A"), ("PUT", "/NL/LAD/B"), ("PATCH", "/NL/LAD/A/E1")]


def test_a_tariff_envelope_is_recognised_and_a_bad_file_imports_nothing(
    node_env: str, tmp_path: Path
) -> None:
    envelope = tmp_path / "tariffs.json"
    envelope.write_text(
        json.dumps({"data": [our_tariff("T1")], "status_code": 1000, "timestamp": "2026-11-24T12:00:00Z"})
    )
    assert "1 created" in cpo("import", str(envelope)).output
    assert "T1" in cpo("tariffs").output
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps([our_tariff("T2"), our_tariff("T3", currency="EURO")]))
    result = cpo("import", str(broken))
    assert result.exit_code == 1
    assert "[1] T3: currency" in result.output
    assert [t["id"] for t in json.loads(cpo("export", "tariffs").stdout)] == ["T1"]


def test_commands_fail_with_a_message_and_no_traceback(node_env: str, tmp_path: Path) -> None:
    missing = cpo("evse-status", "NOPE", "E1", "CHARGING")
    assert (missing.exit_code, "no Location NOPE" in missing.output) == (1, True)
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps([{"id": "X"}]))
    assert "say --kind" in cpo("import", str(unknown)).output
    assert cpo("export", "sessions").exit_code == 2
    assert "no partner named" in cpo("sync-tokens", "nobody").output
