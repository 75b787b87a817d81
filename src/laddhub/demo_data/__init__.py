"""The demo network of `laddhub demo`: three Locations of the demo CPO (NL/LAD) and their two Tariffs.

The files are ordinary OCPI import files (`laddhub cpo import` reads them too). The Locations show EVSEs
in several states, a DC site with opening hours, and a members-only depot (`publish: false`) that only
holders of a `LAD-FLEET` token may see.
"""

from __future__ import annotations

from datetime import datetime
from importlib.resources import files
from typing import Any

from laddhub.services import cpo_files
from laddhub.services.cpo_data import CpoParties
from laddhub.services.cpo_files import ImportReport
from laddhub.store.uow import UnitOfWorkFactory


def demo_file(name: str) -> str:
    """The text of one demo file (`locations.json`, `tariffs.json`)."""
    return files(__name__).joinpath(name).read_text(encoding="utf-8")


def demo_objects(name: str) -> list[Any]:
    return cpo_files.read_objects(demo_file(name), name)


async def load_cpo_demo(
    uow_factory: UnitOfWorkFactory, parties: CpoParties, *, now: datetime
) -> tuple[ImportReport, ImportReport]:
    """Import the demo Tariffs, then the demo Locations, in one transaction (and so into the outbox)."""
    async with uow_factory() as uow:
        tariffs = await cpo_files.import_tariffs(uow, parties, demo_objects("tariffs.json"), now=now)
        locations = await cpo_files.import_locations(uow, parties, demo_objects("locations.json"), now=now)
        await uow.commit()
    return tariffs, locations
