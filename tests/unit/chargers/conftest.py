"""Fixtures of the charger tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def spec_dir(ocpi_examples: Path) -> Path:
    return ocpi_examples / "2.2.1"
