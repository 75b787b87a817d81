"""A CPO node with simulated chargers, a fake eMSP it talks to, and a clock the test moves.

The fake eMSP (`msp.test`, NL/MSP) records every request the CPO makes (results at response URLs,
real-time authorisations, ActiveChargingProfile updates) and answers real-time authorisation the way a
test tells it to. A second partner (`oth.test`, NL/OTH) lets tests check that one eMSP cannot act on
another's sessions. Pushes stay in the outbox (push delivery is tested elsewhere), where tests read them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from laddhub.api.app import create_app
from laddhub.chargers.activity import ChargingActivity
from laddhub.config import Settings
from laddhub.ocpi.auth import hash_token
from laddhub.ocpi.v2_2_1.cdrs import CDR
from laddhub.ocpi.v2_2_1.sessions import Session
from laddhub.ocpi.v2_2_1.tokens import Token
from laddhub.services.cpo_data import CpoParties
from laddhub.services.cpo_locations import put_location
from laddhub.services.cpo_tariffs import put_tariff
from laddhub.store.charging_records import CallbackRecord
from laddhub.store.tables import (
    IssuedTokenRecord,
    OutboxRecord,
    PartnerEndpointRecord,
    PartnerRecord,
    PartnerRoleRecord,
)
from laddhub.store.uow import UnitOfWorkFactory
from tests.support.asgi import HostRouter, running
from tests.support.databases import database_url

START = datetime(2026, 11, 24, 16, 30, tzinfo=UTC)
"""17:30 in Amsterdam, half an hour before the test tariff's evening price."""
OURS = CpoParties((("NL", "CPO"),))
OCPI_EXAMPLES_221 = Path(__file__).resolve().parents[3].parent / "shared" / "ocpi-examples" / "2.2.1"
MSP_TOKEN = "token-msp-calls-cpo"
OTH_TOKEN = "token-oth-calls-cpo"
ADMIN = {"Authorization": "Bearer admin-secret"}


class FakeClock:
    """The node's clock: stands still until the test moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Seen:
    method: str
    path: str
    query: str
    body: Any
    headers: dict[str, str]


@dataclass
class FakeEmsp:
    """An eMSP platform seen from the CPO: records requests, answers authorisations as configured.

    `authorize` is one of ALLOWED, BLOCKED, EXPIRED, NO_CREDIT, NOT_ALLOWED, UNKNOWN (404 + 2004), SLOW
    (answers after `slow_s`), DOWN (HTTP 503). `evse_uids` lists the EVSEs an ALLOWED answer allows.
    """

    authorize: str = "ALLOWED"
    evse_uids: list[str] = field(default_factory=list)
    slow_s: float = 2.0
    refuse_results: int = 0
    """How many result deliveries to refuse with HTTP 503 before accepting (retries)."""
    seen: list[Seen] = field(default_factory=list)

    def app(self) -> FastAPI:
        return FastAPI(
            routes=[Route("/{path:path}", self._handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])]
        )

    def requests(self, contains: str = "") -> list[Seen]:
        return [s for s in self.seen if contains in s.path]

    async def _handle(self, request: Request) -> JSONResponse:
        raw = await request.body()
        body = json.loads(raw) if raw else None
        path = request.url.path
        self.seen.append(Seen(request.method, path, request.url.query, body, dict(request.headers)))
        stamp = "2026-11-24T00:00:00Z"
        if path.endswith("/authorize"):
            return await self._authorization(request, stamp)
        if self.refuse_results > 0:
            self.refuse_results -= 1
            return JSONResponse({"status_code": 3000, "timestamp": stamp}, status_code=503)
        return JSONResponse({"status_code": 1000, "timestamp": stamp})

    async def _authorization(self, request: Request, stamp: str) -> JSONResponse:
        if self.authorize == "UNKNOWN":
            return JSONResponse({"status_code": 2004, "timestamp": stamp}, status_code=404)
        if self.authorize == "DOWN":
            return JSONResponse({"status_code": 3000, "timestamp": stamp}, status_code=503)
        if self.authorize == "SLOW":
            await asyncio.sleep(self.slow_s)
        uid = request.url.path.rsplit("/", 2)[-2]
        info: dict[str, Any] = {
            "allowed": "ALLOWED" if self.authorize == "SLOW" else self.authorize,
            "token": token(uid=uid, whitelist="NEVER"),
            "authorization_reference": f"AUTH-{uid}",
        }
        if self.evse_uids:
            info["location"] = {"location_id": "LOC1", "evse_uids": self.evse_uids}
        return JSONResponse({"data": info, "status_code": 1000, "timestamp": stamp})


def token(**changes: Any) -> dict[str, Any]:
    """An RFID token of NL/MSP."""
    payload: dict[str, Any] = {
        "country_code": "NL",
        "party_id": "MSP",
        "uid": "04A1B2C3",
        "type": "RFID",
        "contract_id": "NL-MSP-C00000001-X",
        "issuer": "MSP",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2026-11-01T00:00:00Z",
    }
    payload.update(changes)
    return payload


def evening_tariff(**changes: Any) -> dict[str, Any]:
    """A start fee, energy dearer from 18:00 local, and parking time."""
    payload: dict[str, Any] = {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "T-EVENING",
        "currency": "EUR",
        "type": "REGULAR",
        "elements": [
            {"price_components": [{"type": "FLAT", "price": 0.50, "vat": 21.0, "step_size": 1}]},
            {
                "price_components": [{"type": "ENERGY", "price": 0.30, "vat": 21.0, "step_size": 1}],
                "restrictions": {"start_time": "07:00", "end_time": "18:00"},
            },
            {"price_components": [{"type": "ENERGY", "price": 0.40, "vat": 21.0, "step_size": 1}]},
            {"price_components": [{"type": "PARKING_TIME", "price": 1.20, "vat": 21.0, "step_size": 60}]},
        ],
    }
    payload.update(changes)
    return payload


def location(*evses: dict[str, Any], **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "LOC1",
        "publish": True,
        "address": "Stationsplein 1",
        "city": "Utrecht",
        "country": "NLD",
        "coordinates": {"latitude": "52.089440", "longitude": "5.110270"},
        "time_zone": "Europe/Amsterdam",
        "evses": list(evses),
    }
    payload.update(changes)
    return payload


ALL_CAPABILITIES = [
    "REMOTE_START_STOP_CAPABLE",
    "RESERVABLE",
    "UNLOCK_CAPABLE",
    "CHARGING_PROFILE_CAPABLE",
    "CHARGING_PREFERENCES_CAPABLE",
    "RFID_READER",
]


def evse(
    uid: str, *, capabilities: list[str] | None = None, tariffs: list[str] | None = None, **changes: Any
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "uid": uid,
        "evse_id": f"NL*CPO*E{uid}",
        "status": "AVAILABLE",
        "capabilities": ALL_CAPABILITIES if capabilities is None else capabilities,
        "connectors": [
            {
                "id": "1",
                "standard": "IEC_62196_T2",
                "format": "SOCKET",
                "power_type": "AC_3_PHASE",
                "max_voltage": 230,
                "max_amperage": 32,
                "tariff_ids": ["T-EVENING"] if tariffs is None else tariffs,
            }
        ],
    }
    payload.update(changes)
    return payload


def _partner(name: str, party: str, host: str, *, modules: dict[str, str]) -> PartnerRecord:
    partner = PartnerRecord(
        name=name,
        status="REGISTERED",
        version="2.2.1",
        versions_url=f"http://{host}/versions",
        outgoing_token=f"token-cpo-calls-{name}",
        created_at=START,
        updated_at=START,
    )
    partner.roles = [
        PartnerRoleRecord(role="EMSP", country_code="NL", party_id=party, business_details={"name": name})
    ]
    partner.endpoints = [
        PartnerEndpointRecord(identifier=module, interface_role=role, url=f"http://{host}/{module}")
        for module, role in modules.items()
    ]
    return partner


EMSP_MODULES = {
    "tokens": "SENDER",
    "commands": "SENDER",
    "chargingprofiles": "SENDER",
    "locations": "RECEIVER",
    "sessions": "RECEIVER",
    "cdrs": "RECEIVER",
}


@dataclass
class ChargingWorld:
    app: FastAPI
    client: httpx.AsyncClient
    clock: FakeClock
    emsp: FakeEmsp
    other: FakeEmsp
    uow: UnitOfWorkFactory
    stack: AsyncExitStack
    config: Settings
    router: HostRouter

    async def restart(self) -> None:
        """Stop the node and start a new one on the same database, as after a crash or a deployment."""
        await self.stack.aclose()
        self.stack = AsyncExitStack()
        self.app = await _start_node(self.stack, self.config, self.router, self.clock)
        self.uow = self.app.state.node.uow

    @property
    def activity(self) -> ChargingActivity:
        activity: ChargingActivity = self.app.state.charging
        return activity

    def auth(self, secret: str = MSP_TOKEN) -> dict[str, str]:
        import base64

        return {"Authorization": "Token " + base64.b64encode(secret.encode()).decode()}

    async def ocpi(
        self, method: str, path: str, body: Any = None, *, secret: str = MSP_TOKEN, **params: Any
    ) -> httpx.Response:
        return await self.client.request(
            method, path, json=body, params=params or None, headers=self.auth(secret)
        )

    async def command(self, name: str, body: dict[str, Any], *, secret: str = MSP_TOKEN) -> dict[str, Any]:
        response = await self.ocpi("POST", f"/ocpi/2.2.1/cpo/commands/{name}", body, secret=secret)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def admin(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return await self.client.request(method, f"/admin/chargers/{path}", json=body, headers=ADMIN)

    async def settle(self) -> None:
        """Let the chargers act on what is due now, then deliver the results owed."""
        await self.activity.run_due()
        await self.activity.deliver_due()

    async def step(self, minutes: float, *, every: float = 5.0) -> None:
        """Move time forward `minutes`, acting on what is due every `every` minutes."""
        remaining = minutes
        while remaining > 0:
            jump = min(every, remaining)
            self.clock.advance(minutes=jump)
            remaining -= jump
            await self.settle()

    async def results(self, fake: FakeEmsp | None = None, contains: str = "/results/") -> list[Any]:
        return [s.body for s in (fake or self.emsp).requests(contains)]

    async def outbox(self, module: str | None = None) -> list[tuple[str, str, Any]]:
        async with self.uow() as work:
            rows = (
                (await work.session.execute(select(OutboxRecord).order_by(OutboxRecord.id))).scalars().all()
            )
        return [
            (r.method, r.path, json.loads(r.payload) if r.payload else None)
            for r in rows
            if module is None or r.module == module
        ]

    async def session(self, session_id: str) -> Session:
        async with self.uow() as work:
            record = await work.sessions.get("NL", "CPO", session_id)
            assert record is not None, session_id
            return work.sessions.parse(record)

    async def sessions(self) -> list[Session]:
        async with self.uow() as work:
            from laddhub.store.tables import SessionRecord

            rows = (
                (await work.session.execute(select(SessionRecord).order_by(SessionRecord.id))).scalars().all()
            )
            return [work.sessions.parse(r) for r in rows]

    async def cdrs(self) -> list[CDR]:
        async with self.uow() as work:
            from laddhub.store.tables import CdrRecord

            rows = (await work.session.execute(select(CdrRecord).order_by(CdrRecord.id))).scalars().all()
            return [work.cdrs.parse(r) for r in rows]

    async def evse_status(self, uid: str) -> str:
        async with self.uow() as work:
            record = await work.locations.get("NL", "CPO", "LOC1")
            assert record is not None
            found = next(e for e in work.locations.parse(record).evses if e.uid == uid)
            return found.status.value

    async def callbacks(self) -> list[CallbackRecord]:
        async with self.uow() as work:
            return list(
                (await work.session.execute(select(CallbackRecord).order_by(CallbackRecord.id))).scalars()
            )

    async def store_token(self, **changes: Any) -> Token:
        stored = Token.model_validate(token(**changes))
        async with self.uow() as work:
            partner = await work.partners.by_name("msp")
            assert partner is not None
            await work.tokens.upsert(stored, partner_id=partner.id, now=self.clock())
            await work.commit()
        return stored

    async def put_tariff(self, payload: dict[str, Any]) -> None:
        async with self.uow() as work:
            await put_tariff(work, OURS, payload, now=self.clock())
            await work.commit()

    async def put_location(self, payload: dict[str, Any]) -> None:
        async with self.uow() as work:
            await put_location(work, OURS, payload, now=self.clock())
            await work.commit()


@asynccontextmanager
async def charging_world(
    backend: str, tmp_path: Path, *, evses: list[dict[str, Any]] | None = None, **settings: Any
) -> AsyncIterator[ChargingWorld]:
    """A CPO node NL/CPO with Location LOC1 (EVSEs E1 and E2 unless given) and the tariff T-EVENING."""
    router = HostRouter()
    clock = FakeClock(START)
    emsp, other = FakeEmsp(), FakeEmsp()
    with database_url(backend, tmp_path) as url:
        config = Settings(
            database_url=url,
            public_url="http://cpo.test",
            roles="CPO:NL:CPO",
            admin_token="admin-secret",
            push_enabled=False,
            simulator_enabled=True,
            simulator_response_s=0,
            simulator_meter_interval_s=600,
            simulator_unplug_s=60,
            charging_poll_interval_s=3600,
            realtime_authorization_timeout_s=0.3,
            **settings,
        )
        router.add("msp.test", emsp.app())
        router.add("oth.test", other.app())
        async with AsyncExitStack() as stack:
            app = await _start_node(stack, config, router, clock)
            world = ChargingWorld(
                app,
                httpx.AsyncClient(transport=router, base_url="http://cpo.test"),
                clock,
                emsp,
                other,
                app.state.node.uow,
                stack,
                config,
                router,
            )
            await _register_partners(world.uow)
            await world.put_tariff(evening_tariff())
            await world.put_location(location(*(evses if evses is not None else [evse("E1"), evse("E2")])))
            yield world
            await world.stack.aclose()


async def _start_node(
    stack: AsyncExitStack, config: Settings, router: HostRouter, clock: FakeClock
) -> FastAPI:
    app = create_app(config, http=httpx.AsyncClient(transport=router, timeout=5), clock=clock)
    router.add("cpo.test", app)
    await stack.enter_async_context(running(app))
    # The test drives time: it stops the background loops and calls run_due / deliver_due itself, so no
    # round of the loops runs between the test's own steps.
    await app.state.charging.stop()
    return app


async def _register_partners(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        for name, party, host, secret in (
            ("msp", "MSP", "msp.test", MSP_TOKEN),
            ("oth", "OTH", "oth.test", OTH_TOKEN),
        ):
            partner = _partner(name, party, host, modules=EMSP_MODULES)
            work.partners.add(partner)
            await work.partners.flush()
            work.partners.add_token(
                IssuedTokenRecord(
                    partner_id=partner.id,
                    token_hash=hash_token(secret),
                    kind="ACCESS",
                    state="ACTIVE",
                    created_at=START,
                )
            )
        await work.commit()


def start_body(evse_uid: str | None = "E1", ref: str = "REF-1", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "response_url": f"http://msp.test/results/START_SESSION/{ref}",
        "token": token(),
        "location_id": "LOC1",
        "authorization_reference": ref,
    }
    if evse_uid is not None:
        body["evse_uid"] = evse_uid
    body.update(changes)
    return body
