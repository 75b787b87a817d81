"""A charging session between two real nodes: the eMSP starts it with a command, the CPO's simulated
charger charges for a few seconds, the eMSP stops it, and the eMSP holds the COMPLETED Session and a CDR
whose total_cost is what the tariff makes of its charging periods."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from laddhub.pricing.engine import price_timeline
from laddhub.pricing.lenient import read_cdr
from tests.e2e.nodes import NodeProcess, auth, free_port

pytestmark = pytest.mark.e2e

ADMIN = {"Authorization": "Bearer e2e-admin"}
CPO_SETTINGS = {
    "LADDHUB_ADMIN_TOKEN": "e2e-admin",
    "LADDHUB_SIMULATOR_ENABLED": "true",
    "LADDHUB_SIMULATOR_METER_INTERVAL_S": "1",
    "LADDHUB_SIMULATOR_PERIOD_MAX_S": "2",
    "LADDHUB_SIMULATOR_RESPONSE_S": "0.2",
    "LADDHUB_CHARGING_POLL_INTERVAL_S": "0.5",
    "LADDHUB_PUSH_POLL_INTERVAL_S": "0.2",
    "LADDHUB_PUSH_BACKOFF_BASE_S": "0.1",
    "LADDHUB_PUSH_BACKOFF_CAP_S": "0.5",
}
TARIFF = {
    "country_code": "NL",
    "party_id": "CPO",
    "id": "T-E2E",
    "currency": "EUR",
    "elements": [
        {
            "price_components": [
                {"type": "FLAT", "price": 0.50, "vat": 21.0, "step_size": 1},
                {"type": "ENERGY", "price": 0.35, "vat": 21.0, "step_size": 1},
                {"type": "TIME", "price": 6.00, "vat": 21.0, "step_size": 1},
            ]
        }
    ],
}
LOCATION = {
    "country_code": "NL",
    "party_id": "CPO",
    "id": "LOC-E2E",
    "publish": True,
    "address": "Stationsplein 1",
    "city": "Utrecht",
    "country": "NLD",
    "coordinates": {"latitude": "52.089440", "longitude": "5.110270"},
    "time_zone": "Europe/Amsterdam",
    "evses": [
        {
            "uid": "E1",
            "evse_id": "NL*CPO*E1",
            "status": "AVAILABLE",
            "capabilities": ["REMOTE_START_STOP_CAPABLE", "RFID_READER"],
            "connectors": [
                {
                    "id": "1",
                    "standard": "IEC_62196_T2",
                    "format": "SOCKET",
                    "power_type": "AC_3_PHASE",
                    "max_voltage": 230,
                    "max_amperage": 32,
                    "tariff_ids": ["T-E2E"],
                }
            ],
        }
    ],
}


class ResultCatcher:
    """The eMSP's response URLs: a tiny HTTP server that keeps what the CPO posts to it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[str, Any]] = []
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                catcher.received.append((self.path, json.loads(self.rfile.read(length) or b"null")))
                body = json.dumps({"status_code": 1000, "timestamp": "2026-11-24T00:00:00Z"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> ResultCatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def wait_for(condition: Callable[[], Any], what: str, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    cpo = NodeProcess("cpo", "CPO:NL:CPO", tmp_path / "cpo", extra_env=CPO_SETTINGS)
    emsp = NodeProcess(
        "emsp", "EMSP:NL:MSP", tmp_path / "emsp", extra_env={"LADDHUB_PUSH_POLL_INTERVAL_S": "0.2"}
    )
    try:
        cpo.start()
        emsp.start()
        yield cpo, emsp
    finally:
        cpo.stop()
        emsp.stop()


def _token_from_invite(output: str) -> str:
    return next(
        line.removeprefix("token: ").strip() for line in output.splitlines() if line.startswith("token: ")
    )


def _emsp_copy(emsp: NodeProcess, table: str) -> list[dict[str, Any]]:
    return [json.loads(str(row[0])) for row in emsp.query(f"SELECT document FROM {table} ORDER BY id")]  # noqa: S608


def test_the_emsp_starts_and_stops_a_session_and_receives_it_completed_with_its_priced_cdr(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    cpo, emsp = nodes
    token_a = _token_from_invite(cpo.cli("partners", "invite", "--name", "emsp").stdout)
    emsp.cli("partners", "register", "--versions-url", cpo.versions_url, "--token", token_a, "--name", "cpo")
    [(token_c,)] = emsp.query("SELECT outgoing_token FROM partners")
    as_emsp = auth(str(token_c))

    with httpx.Client(base_url=cpo.base_url, timeout=10) as client, ResultCatcher() as results:
        assert client.post("/admin/tariffs", json=TARIFF, headers=ADMIN).status_code == 201
        assert client.post("/admin/locations", json=LOCATION, headers=ADMIN).status_code == 201
        plugged = client.post("/admin/chargers/LOC-E2E/E1/plug-in", json={"max_power_kw": 11}, headers=ADMIN)
        assert plugged.status_code == 200, plugged.text

        token = {
            "country_code": "NL",
            "party_id": "MSP",
            "uid": "APP-7",
            "type": "APP_USER",
            "contract_id": "NL-MSP-C00000007-X",
            "issuer": "MSP",
            "valid": True,
            "whitelist": "NEVER",
            "last_updated": "2026-11-01T00:00:00Z",
        }
        start = {
            "response_url": results.url(f"/commands/START_SESSION/{uuid.uuid4()}"),
            "token": token,
            "location_id": "LOC-E2E",
            "evse_uid": "E1",
            "authorization_reference": "E2E-REF",
        }
        reply = client.post("/ocpi/2.2.1/cpo/commands/START_SESSION", json=start, headers=as_emsp).json()
        assert reply["data"]["result"] == "ACCEPTED", reply
        wait_for(lambda: results.received, "the START_SESSION result")
        assert results.received[0][1] == {"result": "ACCEPTED"}
        session = wait_for(
            lambda: [s for s in _emsp_copy(emsp, "sessions") if s["status"] == "ACTIVE"], "the ACTIVE session"
        )[0]
        assert session["authorization_reference"] == "E2E-REF"

        time.sleep(4)  # the charger charges
        stop = {"response_url": results.url("/commands/STOP_SESSION/1"), "session_id": session["id"]}
        reply = client.post("/ocpi/2.2.1/cpo/commands/STOP_SESSION", json=stop, headers=as_emsp).json()
        assert reply["data"]["result"] == "ACCEPTED", reply
        wait_for(lambda: len(results.received) == 2, "the STOP_SESSION result")

    completed = wait_for(
        lambda: [s for s in _emsp_copy(emsp, "sessions") if s["status"] == "COMPLETED"],
        "the COMPLETED session",
    )[0]
    [cdr] = wait_for(lambda: _emsp_copy(emsp, "cdrs"), "the CDR at the eMSP")
    assert cdr["session_id"] == completed["id"] == session["id"]
    assert cdr["authorization_reference"] == "E2E-REF"
    assert [t["id"] for t in cdr["tariffs"]] == ["T-E2E"]
    assert Decimal(str(cdr["total_energy"])) > 0 and Decimal(str(completed["kwh"])) == Decimal(
        str(cdr["total_energy"])
    )
    assert completed["total_cost"] == cdr["total_cost"]
    received = read_cdr(cdr)
    priced = price_timeline(received.tariffs[0], received.timeline, ZoneInfo("Europe/Amsterdam")).totals
    assert Decimal(str(cdr["total_cost"]["excl_vat"])) == priced.total_cost.excl_vat > Decimal("0.50")
    assert Decimal(str(cdr["total_cost"]["incl_vat"])) == priced.total_cost.incl_vat
    pushed_periods = sum(len(p["dimensions"]) > 0 for p in completed["charging_periods"])
    assert pushed_periods >= 2  # several periods, appended PATCH by PATCH
    [(location_url,)] = cpo.query("SELECT location_url FROM cdr_receipts")
    assert str(location_url).startswith(emsp.base_url)
