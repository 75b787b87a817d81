"""`laddhub outbox status|retry|purge|cdrs|deliver` on a store with a backlog, failures and receipts."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from laddhub.cli.app import app
from laddhub.services.publishing import Change
from tests.integration.push.conftest import Store, evse_patch, location_put, ok

runner = CliRunner()


async def laddhub(store: Store, *args: str) -> Result:
    """Run the command as the node's operator would, against the test's database."""
    env = {
        "LADDHUB_DATABASE_URL": store.engine.url.render_as_string(hide_password=False),
        "LADDHUB_PARTNER_TIMEOUT_S": "2",
        "COLUMNS": "250",
    }
    return await asyncio.to_thread(runner.invoke, app, ["outbox", *args], env=env)


async def status(store: Store) -> dict[str, dict[str, Any]]:
    result = await laddhub(store, "status", "--json")
    assert result.exit_code == 0, result.output
    return {row["name"]: row for row in json.loads(result.stdout)}


@pytest.fixture
async def backlog(store: Store) -> Store:
    """Partner `msp` acknowledged one push and one CDR, refused one push, and has two waiting behind a
    failure; `idle` never got anything."""

    def reply(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/L2"):
            return httpx.Response(200, json={"status_code": 2001, "status_message": "bad", "timestamp": "x"})
        if request.url.path.endswith("/L3"):
            return httpx.Response(503, text="down")
        return ok(headers={"Location": "http://msp.test/cdrs/9"})

    store.fake.reply = reply
    await store.add_partner("msp", party="MSP")
    await store.add_partner("idle", party="IDL")
    cdr = {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "C1",
        "cdr_token": {"country_code": "NL", "party_id": "MSP"},
    }
    worker = store.worker()
    await store.publish(location_put("L1", 1), location_put("L2", 1))
    await store.drain(worker)
    await store.publish(
        location_put("L3", 1),
        evse_patch("L3", "E1", "CHARGING"),
        Change(
            "cdrs", "POST", "", cdr, "cdr:C1", "cdr:C1", coalesce=False, parties=frozenset({("NL", "MSP")})
        ),
    )
    await store.drain(worker)
    return store


async def test_status_shows_backlog_failures_deliveries_and_the_last_error_per_partner(
    backlog: Store,
) -> None:
    rows = await status(backlog)
    msp, idle = rows["msp"], rows["idle"]
    # L1, L2 (refused), L3 (retrying) and its EVSE behind it went to both; the CDR only to msp.
    assert (msp["pending"], msp["failed"], msp["delivered"], msp["cdr_receipts"]) == (2, 1, 2, 1)
    assert (idle["pending"], idle["failed"], idle["delivered"]) == (2, 1, 1)
    assert msp["status"] == "REGISTERED"
    assert msp["oldest_pending_at"] == "2026-11-24T12:00:00Z"
    assert "503" in msp["last_error"]

    table = await laddhub(backlog, "status")
    assert table.exit_code == 0
    assert "msp" in table.stdout and "503" in table.stdout and "REGISTERED" in table.stdout


async def test_retry_makes_failed_pushes_of_one_partner_pending_again(backlog: Store) -> None:
    result = await laddhub(backlog, "retry", "msp")
    assert result.exit_code == 0 and "1 failed push will be sent again" in result.stdout
    rows = await status(backlog)
    assert (rows["msp"]["pending"], rows["msp"]["failed"]) == (3, 0)
    assert (rows["idle"]["pending"], rows["idle"]["failed"]) == (2, 1)
    [retried] = [e for e in await backlog.entries() if e.path == "/NL/CPO/L2" and e.partner_id == 1]
    assert retried.attempts == 0 and retried.state == "PENDING"


async def test_purge_needs_to_be_told_what_and_then_deletes_only_failed_pushes(backlog: Store) -> None:
    refused = await laddhub(backlog, "purge")
    assert refused.exit_code == 2 and "--failed" in refused.output
    result = await laddhub(backlog, "purge", "--failed")
    assert result.exit_code == 0 and "2 failed pushes deleted" in result.stdout
    rows = await status(backlog)
    assert (rows["msp"]["pending"], rows["msp"]["failed"], rows["idle"]["failed"]) == (2, 0, 0)


async def test_an_unknown_partner_is_a_clear_error(backlog: Store) -> None:
    result = await laddhub(backlog, "retry", "nobody")
    assert result.exit_code == 1 and "no partner named 'nobody'" in result.output


async def test_cdrs_lists_where_partners_stored_our_cdrs(backlog: Store) -> None:
    result = await laddhub(backlog, "cdrs", "--json")
    assert result.exit_code == 0
    [receipt] = json.loads(result.stdout)
    assert receipt["partner"] == "msp" and receipt["cdr_id"] == "C1"
    assert receipt["location_url"] == "http://msp.test/cdrs/9"
    table = await laddhub(backlog, "cdrs", "msp", "--cdr", "c1")
    assert "NL/CPO/C1" in table.stdout and "http://msp.test/cdrs/9" in table.stdout


async def test_deliver_once_runs_a_worker_in_the_command_process(store: Store) -> None:
    await store.add_partner("unreachable", party="UNR")
    await store.publish(location_put("L1", 1))
    result = await laddhub(store, "deliver", "--once")
    assert result.exit_code == 0, result.output
    assert "1 push attempt made" in result.stdout
    [entry] = await store.entries()
    # The command's real HTTP client cannot resolve the fake host: a transient failure, retried later.
    assert entry.attempts == 1 and entry.state == "PENDING"
    assert entry.last_error is not None and "http://unreachable.test/" in entry.last_error
