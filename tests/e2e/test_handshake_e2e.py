"""Two real nodes register with each other over HTTP on loopback, as an operator would do it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.nodes import NodeProcess, auth

pytestmark = pytest.mark.e2e


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    cpo = NodeProcess("cpo", "CPO:NL:CPO", tmp_path / "cpo")
    emsp = NodeProcess("emsp", "EMSP:NL:MSP", tmp_path / "emsp")
    try:
        cpo.start()
        emsp.start()
        yield cpo, emsp
    finally:
        cpo.stop()
        emsp.stop()


def _token_from_invite(output: str) -> str:
    for line in output.splitlines():
        if line.startswith("token: "):
            return line.removeprefix("token: ").strip()
    raise AssertionError(f"no token in invite output:\n{output}")


def test_emsp_registers_with_cpo_then_unregisters(nodes: tuple[NodeProcess, NodeProcess]) -> None:
    cpo, emsp = nodes
    invited = cpo.cli("partners", "invite", "--name", "emsp")
    assert cpo.versions_url in invited.stdout
    token_a = _token_from_invite(invited.stdout)

    emsp.cli("partners", "register", "--versions-url", cpo.versions_url, "--token", token_a, "--name", "cpo")

    [(token_c,)] = emsp.query("SELECT outgoing_token FROM partners")
    [(token_b,)] = cpo.query("SELECT outgoing_token FROM partners")
    assert isinstance(token_c, str) and isinstance(token_b, str)

    at_cpo = httpx.get(f"{cpo.base_url}/ocpi/2.2.1/credentials", headers=auth(token_c)).json()
    assert at_cpo["status_code"] == 1000
    assert at_cpo["data"]["token"] == token_c
    assert at_cpo["data"]["roles"][0]["party_id"] == "CPO"
    at_emsp = httpx.get(f"{emsp.base_url}/ocpi/2.2.1/credentials", headers=auth(token_b)).json()
    assert at_emsp["status_code"] == 1000
    assert at_emsp["data"]["roles"][0]["party_id"] == "MSP"

    assert httpx.get(cpo.versions_url, headers=auth(token_a)).status_code == 401

    listing = cpo.cli("partners", "list").stdout
    assert "emsp" in listing and "EMSP NL/MSP" in listing and "2.2.1" in listing and "REGISTERED" in listing

    emsp.cli("partners", "unregister", "cpo")
    assert cpo.query("SELECT status FROM partners") == [("UNREGISTERED",)]
    assert emsp.query("SELECT status FROM partners") == [("UNREGISTERED",)]
    assert httpx.get(f"{cpo.base_url}/ocpi/2.2.1/credentials", headers=auth(token_c)).status_code == 401
    assert httpx.get(f"{emsp.base_url}/ocpi/2.2.1/credentials", headers=auth(token_b)).status_code == 401
    # Neither node ever wrote a token into its log.
    for node, secret in ((cpo, token_a), (cpo, token_c), (emsp, token_b)):
        assert secret not in node.log()


def test_registering_with_a_wrong_token_fails_cleanly(nodes: tuple[NodeProcess, NodeProcess]) -> None:
    cpo, emsp = nodes
    result = emsp.cli(
        "partners", "register", "--versions-url", cpo.versions_url, "--token", "wrong", check=False
    )
    assert result.returncode != 0
    assert "401" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
