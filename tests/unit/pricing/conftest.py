"""Fixtures of the pricing tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def spec_dir(ocpi_examples: Path) -> Path:
    """The OCPI 2.2.1 example files (the bug-fix branch's, see the digest §17)."""
    return ocpi_examples / "2.2.1"
