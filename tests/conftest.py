"""Shared test configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
OCPI_EXAMPLES = SHARED / "ocpi-examples"


@pytest.fixture(scope="session")
def ocpi_examples() -> Path:
    if not OCPI_EXAMPLES.is_dir():
        pytest.fail(f"the OCPI example files are expected at {OCPI_EXAMPLES}")
    return OCPI_EXAMPLES
