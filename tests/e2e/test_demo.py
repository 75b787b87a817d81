"""`laddhub demo` (what `make demo` runs) brings up two connected nodes with data, and stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.nodes import free_port

pytestmark = pytest.mark.e2e


def test_demo_connects_the_nodes_pushes_data_and_simulates_a_charge(tmp_path: Path) -> None:
    cpo_port, emsp_port = free_port(), free_port()
    data = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LADDHUB_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "laddhub",
            "demo",
            "--cpo-port",
            str(cpo_port),
            "--emsp-port",
            str(emsp_port),
            "--data-dir",
            str(data),
        ],
        env={**env, "COLUMNS": "400"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "laddhub partners list" in line or process.poll() is not None:
                break
        output = "".join(lines)
        assert f"http://127.0.0.1:{cpo_port}/ocpi/versions" in output, output
        assert f"http://127.0.0.1:{emsp_port}/ocpi/versions" in output
        admin_token = output.split("Authorization: Bearer ", 1)[1].split("'", 1)[0]
        charger = f"http://127.0.0.1:{cpo_port}/admin/chargers/LAD-AMS-01/AMS01-1"
        headers = {"Authorization": f"Bearer {admin_token}"}
        plugged = httpx.post(f"{charger}/plug-in", json={"energy_kwh": 1}, headers=headers, timeout=10)
        assert plugged.status_code == 200, plugged.text
        allowed = httpx.post(f"{charger}/authorize", json={"uid": "DEMO0001"}, headers=headers, timeout=10)
        assert allowed.json()["allowed"] is True
        time.sleep(2)
        assert httpx.post(f"{charger}/unplug", headers=headers, timeout=10).status_code == 200

        emsp_db = data / "emsp" / "laddhub.sqlite3"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with sqlite3.connect(emsp_db) as db:
                locations = db.execute("SELECT count(*) FROM locations").fetchone()[0]
                cdrs = db.execute("SELECT count(*) FROM cdrs").fetchone()[0]
            if locations and cdrs:
                break
            time.sleep(0.5)
        assert locations >= 2 and cdrs == 1
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert "stopping the demo nodes" in "".join(lines) + (process.stdout.read() or "")
