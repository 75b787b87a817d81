"""`laddhub demo`: a CPO node and an eMSP node on SQLite that register with each other over HTTP."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
import typer

from laddhub.cli.common import console, fail, load_settings, run, store
from laddhub.config import Settings
from laddhub.demo_data import load_cpo_demo
from laddhub.ocpi.v2_2_1.tokens import Token, TokenType, WhitelistType
from laddhub.services import handshake
from laddhub.services.cpo_data import CpoParties
from laddhub.services.cpo_files import ImportReport
from laddhub.services.identity import NodeIdentity
from laddhub.services.partner_clients import client_factory

DEMO_LOCATION = "LAD-AMS-01"
DEMO_EVSE = "AMS01-1"
DEMO_TOKEN_UID = "DEMO0001"  # noqa: S105 - an RFID card number, not a secret


@dataclass
class DemoNode:
    label: str
    settings: Settings
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None


def _node(label: str, roles: str, name: str, port: int, data_dir: Path) -> DemoNode:
    node_dir = data_dir / label
    env = {
        **os.environ,
        "LADDHUB_DATA_DIR": str(node_dir),
        "LADDHUB_DATABASE_URL": f"sqlite+aiosqlite:///{(node_dir / 'laddhub.sqlite3').resolve()}",
        "LADDHUB_HOST": "127.0.0.1",
        "LADDHUB_PORT": str(port),
        "LADDHUB_ROLES": roles,
        "LADDHUB_BUSINESS_NAME": name,
    }
    env.pop("LADDHUB_PUBLIC_URL", None)
    env.pop("LADDHUB_CONFIG", None)
    settings = load_settings(
        data_dir=node_dir,
        database_url=env["LADDHUB_DATABASE_URL"],
        host="127.0.0.1",
        port=port,
        roles=roles,
        business_name=name,
    )
    return DemoNode(label, settings, env)


def _wait_until_serving(node: DemoNode, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if node.process is not None and node.process.poll() is not None:
            raise fail(f"the {node.label} node exited with status {node.process.returncode}")
        try:
            # Any OCPI answer (401 without a token) means the node is up.
            httpx.get(node.settings.versions_url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise fail(f"the {node.label} node did not start within {timeout_s:.0f} s")


def demo(
    cpo_port: Annotated[int, typer.Option(help="Port of the CPO node.")] = 8081,
    emsp_port: Annotated[int, typer.Option(help="Port of the eMSP node.")] = 8082,
    data_dir: Annotated[Path, typer.Option(help="Where the demo databases live (wiped at start).")] = Path(
        "data/demo"
    ),
) -> None:
    """Start a CPO and an eMSP node, register the eMSP with the CPO, and keep both running until Ctrl-C."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    cpo = _node("cpo", "CPO:NL:LAD", "Laddhub Demo CPO", cpo_port, data_dir)
    cpo.env["LADDHUB_ADMIN_TOKEN"] = admin_token = secrets.token_urlsafe(24)
    # Simulated chargers behind the CPO's EVSEs; a meter reading every 10 s so a demo charge shows progress.
    cpo.env["LADDHUB_SIMULATOR_ENABLED"] = "true"
    cpo.env["LADDHUB_SIMULATOR_METER_INTERVAL_S"] = "10"
    emsp = _node("emsp", "EMSP:NL:LDE", "Laddhub Demo eMSP", emsp_port, data_dir)
    nodes = [cpo, emsp]
    try:
        for node in nodes:
            node.settings.data_dir.mkdir(parents=True, exist_ok=True)
            log = (node.settings.data_dir / "node.log").open("ab")
            node.process = subprocess.Popen(
                [sys.executable, "-m", "laddhub", "serve"], env=node.env, stdout=log, stderr=log
            )
        for node in nodes:
            _wait_until_serving(node)
        _connect(cpo, emsp)
        _load_cpo_data(cpo)
        _give_cpo_a_driver_token(cpo)
        console.print("[bold green]Demo running.[/bold green] Ctrl-C stops both nodes.")
        for node in nodes:
            console.print(
                f"  {node.label.upper():5} versions URL: {node.settings.versions_url}   "
                f"(log: {node.settings.data_dir / 'node.log'})",
                highlight=False,
                soft_wrap=True,
            )
        console.print(
            f"  CPO admin API: {cpo.settings.base_url}/admin (docs: {cpo.settings.base_url}/docs), "
            f"header 'Authorization: Bearer {admin_token}'",
            highlight=False,
            soft_wrap=True,
        )
        charger = f"{cpo.settings.base_url}/admin/chargers/{DEMO_LOCATION}/{DEMO_EVSE}"
        auth = f"-H 'Authorization: Bearer {admin_token}' -H 'Content-Type: application/json'"
        console.print(
            "  Charge a car (the session and then its CDR reach the eMSP):\n"
            f'    curl -X POST {auth} {charger}/plug-in -d \'{{"energy_kwh": 5, "max_power_kw": 22}}\'\n'
            f'    curl -X POST {auth} {charger}/authorize -d \'{{"uid": "{DEMO_TOKEN_UID}"}}\'\n'
            f"    curl -X POST {auth} {charger}/unplug",
            highlight=False,
            soft_wrap=True,
        )
        console.print(
            "  Partners of the CPO: "
            f"LADDHUB_DATABASE_URL={cpo.env['LADDHUB_DATABASE_URL']} laddhub partners list",
            highlight=False,
            soft_wrap=True,
        )
        while all(n.process is not None and n.process.poll() is None for n in nodes):
            time.sleep(0.5)
        raise fail("a demo node stopped unexpectedly; see its node.log")
    except KeyboardInterrupt:
        console.print("stopping the demo nodes")
    finally:
        for node in nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.send_signal(signal.SIGINT)
        for node in nodes:
            if node.process is not None:
                try:
                    node.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    node.process.kill()


def _load_cpo_data(cpo: DemoNode) -> None:
    """Give the CPO its demo network; the pushes reach the eMSP through the CPO's outbox."""

    async def go() -> tuple[ImportReport, ImportReport]:
        async with store(cpo.settings) as uow:
            return await load_cpo_demo(uow, CpoParties.from_settings(cpo.settings), now=datetime.now(UTC))

    tariffs, locations = run(go)
    console.print(f"The CPO loaded {locations.total} demo Locations and {tariffs.total} Tariffs.")


def _give_cpo_a_driver_token(cpo: DemoNode) -> None:
    """Store a driver's RFID token of the demo eMSP at the CPO, as the eMSP's Tokens push would."""

    async def go() -> None:
        now = datetime.now(UTC)
        async with store(cpo.settings) as uow_factory, uow_factory() as uow:
            [emsp] = await uow.partners.registered()
            token = Token(
                country_code="NL",
                party_id="LDE",
                uid=DEMO_TOKEN_UID,
                type=TokenType.RFID,
                contract_id="NL-LDE-C00000001-X",
                issuer="Laddhub Demo eMSP",
                valid=True,
                whitelist=WhitelistType.ALWAYS,
                last_updated=now,
            )
            await uow.tokens.upsert(token, partner_id=emsp.id, now=now)
            await uow.commit()

    run(go)


def _connect(cpo: DemoNode, emsp: DemoNode) -> None:
    """Invite the eMSP at the CPO, then run the eMSP side of the handshake against the CPO over HTTP."""

    def now() -> datetime:
        return datetime.now(UTC)

    async def go() -> None:
        async with store(cpo.settings) as cpo_uow:
            _, token_a = await handshake.invite(cpo_uow, "Laddhub Demo eMSP", now=now())
        async with store(emsp.settings) as emsp_uow, httpx.AsyncClient(timeout=10) as http:
            await handshake.register_with(
                emsp_uow,
                name="Laddhub Demo CPO",
                versions_url=cpo.settings.versions_url,
                token_a=token_a,
                identity=NodeIdentity.from_settings(emsp.settings),
                clients=client_factory(http),
                now=now,
            )

    try:
        run(go)
    except handshake.HandshakeError as exc:
        raise fail(f"the demo nodes could not register with each other: {exc}") from None
    console.print("The eMSP registered with the CPO (OCPI 2.2.1 credentials handshake).")
