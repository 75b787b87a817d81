"""GET-all throughput of the CPO Locations Sender on SQLite and PostgreSQL.

Loads 10,000 Locations (30,000 EVSEs, 40,000 connectors; generated deterministically) into a fresh
database through the same import use case as `laddhub cpo import`, then, as a registered eMSP, walks the
whole list with `limit=100` by following the `Link` headers, through the real application in process
(httpx's ASGI transport: routing, authentication, paging, visibility and serialisation included; no
sockets, so the figures are the node's own cost). Reports objects/s and requests/s of the fastest of
`--walks` walks (the least disturbed by other work on the machine), and the median latency of the first
page and of the last (deep) page over `--samples` requests each. Ends with one JSON line:

    {"sqlite": {"objects_per_s": .., "first_page_ms": .., "deep_page_ms": ..}, "postgresql": {...}}

PostgreSQL: a fresh database on the server of `LADDHUB_TEST_PG_DSN` (default
postgresql://postgres@127.0.0.1:5432/test) is created and dropped afterwards; when the server is
unreachable its entry is null. Run: `make bench-paging` or `.venv/bin/python benchmarks/locations_paging.py`
(`--locations N`, `--backends sqlite`).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from laddhub.api.app import create_app
from laddhub.config import Settings
from laddhub.ocpi.auth import hash_token
from laddhub.ocpi.paging import parse_link_next
from laddhub.services import cpo_files
from laddhub.services.cpo_data import CpoParties
from laddhub.store.partners import ACCESS, ACTIVE
from laddhub.store.tables import IssuedTokenRecord, PartnerRecord, PartnerRoleRecord

PG_ADMIN_DSN = os.environ.get("LADDHUB_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
PARTIES = CpoParties((("NL", "LAD"),))
TOKEN = "benchmark-emsp-token"  # noqa: S105 (a credential made up for the throwaway database)
LIMIT = 100
BATCH = 500
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
STATUSES = ("AVAILABLE", "AVAILABLE", "AVAILABLE", "CHARGING", "CHARGING", "OUTOFORDER", "BLOCKED")
FACILITIES = ("HOTEL", "RESTAURANT", "CAFE", "MALL", "SUPERMARKET", "PARKING_LOT", "WIFI", "TRAIN_STATION")


def location(index: int, rng: random.Random) -> dict[str, Any]:
    """A Location as a CPO would describe it: three EVSEs (an AC pair and a DC charger with two plugs)."""
    latitude = f"{52.0 + rng.random():.6f}"
    longitude = f"{4.5 + rng.random() * 2:.6f}"
    evses = []
    for number in range(3):
        dc = number == 2
        connectors = [
            {
                "id": "1",
                "standard": "IEC_62196_T2_COMBO" if dc else "IEC_62196_T2",
                "format": "CABLE" if dc else "SOCKET",
                "power_type": "DC" if dc else "AC_3_PHASE",
                "max_voltage": 920 if dc else 230,
                "max_amperage": 200 if dc else 32,
                "max_electric_power": 150000 if dc else 22000,
                "tariff_ids": ["DC-STANDARD" if dc else "AC-STANDARD"],
            }
        ]
        if dc:
            connectors.append(
                {**connectors[0], "id": "2", "standard": "CHADEMO", "max_electric_power": 50000}
            )
        evses.append(
            {
                "uid": f"L{index:05d}-E{number + 1}",
                "evse_id": f"NL*LAD*E{index:05d}{number + 1}",
                "status": rng.choice(STATUSES),
                "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"]
                + (["CREDIT_CARD_PAYABLE"] if dc else []),
                "connectors": connectors,
                "physical_reference": str(number + 1),
                "coordinates": {"latitude": latitude, "longitude": longitude},
            }
        )
    return {
        "country_code": "NL",
        "party_id": "LAD",
        "id": f"LOC{index:05d}",
        "publish": True,
        "name": f"Laddhub site {index}",
        "address": f"Stationsstraat {1 + index % 250}",
        "city": rng.choice(("Amsterdam", "Utrecht", "Rotterdam", "Den Haag", "Eindhoven", "Groningen")),
        "postal_code": f"{1000 + index % 8999} AB",
        "country": "NLD",
        "coordinates": {"latitude": latitude, "longitude": longitude},
        "parking_type": "PARKING_LOT",
        "evses": evses,
        "operator": {"name": "Laddhub Demo CPO", "website": "https://laddhub.example"},
        "facilities": rng.sample(FACILITIES, 2),
        "time_zone": "Europe/Amsterdam",
        "opening_times": {"twentyfourseven": True},
    }


@asynccontextmanager
async def database(backend: str, directory: Path) -> AsyncIterator[str]:
    """A URL of a fresh database of `backend`, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / 'paging.sqlite3'}"
        return
    name = f"laddhub_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def load(app: Any, count: int) -> float:
    """Register the reading eMSP and import `count` Locations; return the import's seconds."""
    node = app.state.node
    async with node.uow() as uow:
        partner = PartnerRecord(
            name="bench-emsp", status="REGISTERED", version="2.2.1", created_at=EPOCH, updated_at=EPOCH
        )
        partner.roles = [
            PartnerRoleRecord(role="EMSP", country_code="NL", party_id="MSP", business_details={})
        ]
        uow.partners.add(partner)
        await uow.partners.flush()
        uow.partners.add_token(
            IssuedTokenRecord(
                partner_id=partner.id,
                token_hash=hash_token(TOKEN),
                kind=ACCESS,
                state=ACTIVE,
                created_at=EPOCH,
            )
        )
        await uow.commit()
    rng = random.Random(6)
    started = time.perf_counter()
    for start in range(0, count, BATCH):
        items = [location(index, rng) for index in range(start, min(count, start + BATCH))]
        async with node.uow() as uow:
            await cpo_files.import_locations(uow, PARTIES, items, now=EPOCH + timedelta(seconds=start))
            await uow.commit()
    return time.perf_counter() - started


async def settle(backend: str, url: str) -> None:
    """Bring PostgreSQL's statistics to what a running database has: autovacuum analyses and vacuums a
    table soon after a bulk load (the vacuum is what lets index-only scans skip the table). SQLite needs
    nothing: the plans of the list queries do not depend on statistics there."""
    if backend != "postgresql":
        return
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1), timeout=5)
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def walk(client: httpx.AsyncClient, expected: int, *, verify: bool = False) -> tuple[float, int]:
    """GET every page by following `Link`; return the seconds taken and the number of requests.

    Each page's Locations are counted in the raw body (every Location, and nothing else in it, starts
    with `{"country_code":`), so the client's JSON parsing does not blur the server's figures; `verify`
    parses every page and checks that each Location comes exactly once.
    """
    url: str | None = f"/ocpi/2.2.1/cpo/locations?limit={LIMIT}"
    objects = requests = 0
    seen: set[str] = set()
    started = time.perf_counter()
    while url is not None:
        response = await client.get(url)
        response.raise_for_status()
        objects += response.content.count(b'{"country_code":')
        if verify:
            seen.update(item["id"] for item in response.json()["data"])
        requests += 1
        url = parse_link_next(response.headers.get("link"))
    elapsed = time.perf_counter() - started
    if objects != expected or (verify and len(seen) != expected):
        raise RuntimeError(
            f"the walk returned {objects} Locations ({len(seen)} distinct), expected {expected}"
        )
    return elapsed, requests


async def page_ms(client: httpx.AsyncClient, offset: int, samples: int) -> float:
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        response = await client.get(f"/ocpi/2.2.1/cpo/locations?offset={offset}&limit={LIMIT}")
        response.raise_for_status()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


async def measure(backend: str, count: int, walks: int, samples: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="laddhub-bench-") as directory:
        async with database(backend, Path(directory)) as url:
            settings = Settings(
                database_url=url,
                roles="CPO:NL:LAD",
                public_url="http://cpo.bench",
                push_enabled=False,
                page_max_limit=LIMIT,
                data_dir=Path(directory),
            )
            app = create_app(settings)
            async with app.router.lifespan_context(app):
                load_s = await load(app, count)
                print(f"{backend}: imported {count} Locations in {load_s:.1f} s ({count / load_s:.0f}/s)")
                await settle(backend, url)
                headers = {"Authorization": "Token " + base64.b64encode(TOKEN.encode()).decode()}
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://cpo.bench", headers=headers
                ) as client:
                    await walk(
                        client, count, verify=True
                    )  # warm-up (caches, pool, plans) and a check of the content
                    runs = [await walk(client, count) for _ in range(walks)]
                    elapsed = min(seconds for seconds, _ in runs)
                    requests = runs[0][1]
                    last = (count - 1) // LIMIT * LIMIT
                    first_ms = await page_ms(client, 0, samples)
                    deep_ms = await page_ms(client, last, samples)
    figures = {
        "objects_per_s": round(count / elapsed),
        "requests_per_s": round(requests / elapsed, 1),
        "first_page_ms": round(first_ms, 2),
        "deep_page_ms": round(deep_ms, 2),
        "import_locations_per_s": round(count / load_s),
    }
    print(
        f"{backend}: {figures['objects_per_s']} objects/s, {figures['requests_per_s']} requests/s "
        f"({requests} pages of {LIMIT}); first page {figures['first_page_ms']} ms, "
        f"last page (offset {last}) {figures['deep_page_ms']} ms"
    )
    return figures


async def reachable() -> bool:
    try:
        connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--locations", type=int, default=10_000)
    parser.add_argument("--walks", type=int, default=5, help="timed full walks (the fastest is reported)")
    parser.add_argument("--samples", type=int, default=30, help="requests per first/last page latency")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, Python {platform.python_version()}")
    results: dict[str, dict[str, float] | None] = {}
    for backend in args.backends.split(","):
        if backend == "postgresql" and not await reachable():
            print(f"postgresql: unreachable at {PG_ADMIN_DSN}; skipped")
            results[backend] = None
            continue
        results[backend] = await measure(backend, args.locations, args.walks, args.samples)
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main())
