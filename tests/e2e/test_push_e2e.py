"""Pushes between two real nodes: an eMSP registered with a CPO holds exactly the CPO's Locations, across
an eMSP outage and across a CPO killed with SIGKILL in the middle of delivering."""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.nodes import NodeProcess
from tests.e2e.slow_link import SlowLink
from tests.unit.ocpi import builders

pytestmark = pytest.mark.e2e

ADMIN_TOKEN = "e2e-admin-token"
# Small delays so that retries, polls and lease expiries happen within seconds.
FAST = {
    "LADDHUB_PUSH_POLL_INTERVAL_S": "0.2",
    "LADDHUB_PUSH_BACKOFF_BASE_S": "0.1",
    "LADDHUB_PUSH_BACKOFF_CAP_S": "0.5",
    "LADDHUB_PARTNER_TIMEOUT_S": "2",
    "LADDHUB_PUSH_LEASE_S": "4",
    "LADDHUB_LOG_LEVEL": "INFO",
    "LADDHUB_ADMIN_TOKEN": ADMIN_TOKEN,
}
STATUSES = ("AVAILABLE", "CHARGING", "BLOCKED", "RESERVED", "OUTOFORDER", "INOPERATIVE")


class BackOffice:
    """The CPO operator changing its data through the CPO node's admin API."""

    def __init__(self, cpo: NodeProcess) -> None:
        self._base = cpo.base_url + "/admin"

    def _send(self, method: str, path: str, body: dict[str, Any]) -> None:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        response = httpx.request(method, self._base + path, json=body, headers=headers, timeout=10)
        assert response.status_code in (200, 201), response.text

    def create_location(self, location_id: str, evses: int = 2) -> None:
        body = builders.location(
            country_code="NL",
            party_id="CPO",
            id=location_id,
            evses=[builders.evse(uid=f"{location_id}-E{n}", evse_id=None) for n in range(1, evses + 1)],
        )
        self._send("PUT", f"/locations/{location_id}", body)

    def set_status(self, location_id: str, evse_uid: str, status: str) -> None:
        self._send("PUT", f"/locations/{location_id}/evses/{evse_uid}/status", {"status": status})

    def rename(self, location_id: str, name: str) -> None:
        self._send("PATCH", f"/locations/{location_id}", {"name": name})


def documents(node: NodeProcess, *, copies: bool) -> dict[str, Any]:
    """Every stored Location of a node by id: its own (`copies` False) or those received from partners."""
    owner = "partner_id IS NOT NULL" if copies else "partner_id IS NULL"
    rows = node.query(f"SELECT object_key, document FROM locations WHERE {owner}")  # noqa: S608
    return {str(key): json.loads(str(document)) for key, document in rows}


def outbox_size(node: NodeProcess, condition: str = "1 = 1") -> int:
    [(count,)] = node.query(f"SELECT count(*) FROM outbox WHERE {condition}")  # noqa: S608
    return int(str(count))


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str, *nodes: NodeProcess) -> None:
    """Poll until `condition` holds, failing with the nodes' logs after `timeout_s`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout_s:
            logs = "\n".join(f"--- {n.label} ---\n{n.log()[-4000:]}" for n in nodes)
            raise AssertionError(f"{what} not within {timeout_s}s\n{logs}")
        time.sleep(0.1)


def in_sync(cpo: NodeProcess, emsp: NodeProcess) -> Callable[[], bool]:
    def check() -> bool:
        ours = documents(cpo, copies=False)
        return bool(ours) and documents(emsp, copies=True) == ours and outbox_size(cpo) == 0

    return check


def register(cpo: NodeProcess, emsp: NodeProcess) -> None:
    invited = cpo.cli("partners", "invite", "--name", "emsp").stdout
    token = next(line.split(": ", 1)[1] for line in invited.splitlines() if line.startswith("token: "))
    emsp.cli("partners", "register", "--versions-url", cpo.versions_url, "--token", token, "--name", "cpo")


@pytest.fixture
def stop_all() -> Iterator[list[NodeProcess]]:
    started: list[NodeProcess] = []
    yield started
    for node in started:
        node.stop()


def test_the_emsp_receives_both_pushes_then_catches_up_on_50_changes_made_while_it_was_down(
    tmp_path: Path, stop_all: list[NodeProcess]
) -> None:
    cpo = NodeProcess("cpo", "CPO:NL:CPO", tmp_path / "cpo", extra_env={**FAST})
    emsp = NodeProcess("emsp", "EMSP:NL:MSP", tmp_path / "emsp", extra_env={**FAST})
    stop_all += [cpo, emsp]
    cpo.start()
    emsp.start()
    register(cpo, emsp)
    office = BackOffice(cpo)

    office.create_location("LOC1")
    office.set_status("LOC1", "LOC1-E1", "CHARGING")
    wait_for(in_sync(cpo, emsp), 10, "the Location PUT and the EVSE PATCH", cpo, emsp)
    copy = documents(emsp, copies=True)["LOC1"]
    assert [e["status"] for e in copy["evses"]] == ["CHARGING", "AVAILABLE"]
    assert copy["last_updated"] == copy["evses"][0]["last_updated"]

    emsp.stop()
    office.create_location("LOC2")
    office.create_location("LOC3")
    changes = 2
    for n in range(48 - 1):
        location = ("LOC1", "LOC2", "LOC3")[n % 3]
        office.set_status(location, f"{location}-E{1 + n % 2}", STATUSES[n % len(STATUSES)])
        changes += 1
    office.rename("LOC2", "Renamed while the eMSP was away")
    changes += 1
    assert changes == 50
    assert outbox_size(cpo, "state = 'PENDING'") > 0
    assert documents(emsp, copies=True).keys() == {"LOC1"}

    emsp.start()
    wait_for(in_sync(cpo, emsp), 15, "catching up after the restart", cpo, emsp)
    assert documents(emsp, copies=True)["LOC2"]["name"] == "Renamed while the eMSP was away"
    status = json.loads(cpo.cli("outbox", "status", "--json").stdout)
    assert [(row["name"], row["pending"], row["failed"]) for row in status] == [("emsp", 0, 0)]
    assert status[0]["delivered"] >= 5


def test_a_cpo_killed_mid_delivery_delivers_everything_after_its_restart(
    tmp_path: Path, stop_all: list[NodeProcess]
) -> None:
    emsp = NodeProcess("emsp", "EMSP:NL:MSP", tmp_path / "emsp", extra_env={**FAST})
    link = SlowLink(emsp.port, delay_s=0.0)
    emsp.extra_env["LADDHUB_PUBLIC_URL"] = link.url  # the CPO reaches the eMSP over the slow link only
    cpo = NodeProcess(
        "cpo", "CPO:NL:CPO", tmp_path / "cpo", extra_env={**FAST, "LADDHUB_PUSH_CONCURRENCY": "2"}
    )
    stop_all += [cpo, emsp]
    link.start()
    try:
        emsp.start()
        cpo.start()
        register(cpo, emsp)
        link.delay_s = 0.2
        office = BackOffice(cpo)
        for n in range(1, 7):
            office.create_location(f"LOC{n}")
        for n in range(24):
            location = f"LOC{1 + n % 6}"
            office.set_status(location, f"{location}-E{1 + n % 2}", STATUSES[n % len(STATUSES)])

        wait_for(lambda: len(documents(emsp, copies=True)) >= 1, 20, "a first delivery", cpo, emsp)
        assert outbox_size(cpo, "locked_by IS NOT NULL") > 0, "expected deliveries in flight"
        assert cpo.process is not None
        cpo.process.send_signal(signal.SIGKILL)
        cpo.process.wait(10)
        assert cpo.process.returncode == -signal.SIGKILL
        left = outbox_size(cpo)
        assert left > 0 and documents(emsp, copies=True) != documents(cpo, copies=False)

        cpo.start()
        wait_for(in_sync(cpo, emsp), 25, "delivery after the restart", cpo, emsp)
    finally:
        link.stop()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_its_push_worker_cleanly_on_sigterm_and_sigint(
    tmp_path: Path, stop_all: list[NodeProcess], stop_signal: signal.Signals
) -> None:
    node = NodeProcess("cpo", "CPO:NL:CPO", tmp_path / "cpo", extra_env={**FAST})
    stop_all.append(node)
    node.start()
    assert node.process is not None
    wait_for(lambda: "push worker" in node.log(), 10, "the worker start", node)
    node.process.send_signal(stop_signal)
    # uvicorn shuts down gracefully, then re-raises the signal so the parent sees how the process ended.
    assert node.process.wait(15) in (0, -stop_signal)
    log = node.log()
    assert re.search(r"push worker \S+ stopped", log)
    assert "Application shutdown complete" in log
    assert "Traceback" not in log
