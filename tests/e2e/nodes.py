"""Start real `laddhub serve` processes on free loopback ports, and run `laddhub` commands against them."""

from __future__ import annotations

import base64
import os
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def auth(token: str) -> dict[str, str]:
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


@dataclass
class NodeProcess:
    label: str
    roles: str
    directory: Path
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def database(self) -> Path:
        return self.directory / "laddhub.sqlite3"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LADDHUB_")}
        env.update(
            {
                "LADDHUB_DATA_DIR": str(self.directory),
                "LADDHUB_DATABASE_URL": f"sqlite+aiosqlite:///{self.database}",
                "LADDHUB_HOST": "127.0.0.1",
                "LADDHUB_PORT": str(self.port),
                "LADDHUB_ROLES": self.roles,
                "LADDHUB_BUSINESS_NAME": self.label,
            }
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout_s: float = 30.0) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "node.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "laddhub", "serve"], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.label} exited early:\n{self.log()}")
            try:
                httpx.get(self.versions_url, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.label} did not start:\n{self.log()}")

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        path = self.directory / "node.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `laddhub ARGS` as the operator of this node would (same environment)."""
        env = {**self.env, "COLUMNS": "250"}
        result = subprocess.run(
            [sys.executable, "-m", "laddhub", *args], env=env, capture_output=True, text=True, timeout=60
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"laddhub {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.database) as connection:
            return list(connection.execute(sql, params))
