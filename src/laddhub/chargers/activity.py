"""The charging activity of a node in the background: simulated chargers and results owed to partners.

Two loops run while the node runs. The charging loop acts on what is due (requests the chargers answer,
overdue requests, charger events such as meter progress, expiries and the end of a stay) and sleeps until
the next thing is due, at most `charging_poll_interval_s` (other processes' changes are found by polling).
The delivery loop sends the results owed to partners' URLs. API handlers `wake` both after a change, so a
command is answered without waiting for a poll. Tests may call `run_due` and `deliver_due` directly; both
are safe to run alongside the loops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import httpx

from laddhub.chargers.simulator import ChargerSimulator, SimulatorSettings
from laddhub.config import Settings, party_of_setting
from laddhub.services import charger_requests
from laddhub.services.authorization import AuthorizationSettings, Authorizer
from laddhub.services.callbacks import CallbackDeliverer, DeliverySettings
from laddhub.services.cpo_data import CpoParties
from laddhub.services.partner_clients import client_factory
from laddhub.services.push.backoff import Backoff
from laddhub.store.uow import UnitOfWorkFactory

log = logging.getLogger("laddhub.chargers")

Clock = Callable[[], datetime]
_MIN_WAIT_S = 0.01
_BACKOFF_CAP_S = 300.0


def authorization_settings(settings: Settings) -> AuthorizationSettings:
    """The real-time authorisation timeout and the uid prefixes of unknown tokens' eMSPs."""
    prefixes = {}
    for prefix, text in settings.realtime_authorization_uid_prefixes.items():
        party = party_of_setting(text)
        if party is not None:
            prefixes[prefix] = party
    return AuthorizationSettings(timeout_s=settings.realtime_authorization_timeout_s, uid_prefixes=prefixes)


class ChargingActivity:
    """The simulated chargers (when enabled), the result deliverer and the loops that drive them."""

    def __init__(
        self, settings: Settings, *, uow: UnitOfWorkFactory, http: httpx.AsyncClient, clock: Clock
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._poll_s = settings.charging_poll_interval_s
        self.answer_delay = timedelta(seconds=settings.simulator_response_s)
        """How long a charger takes to answer a request."""
        self.profile_min_interval = timedelta(seconds=settings.charging_profile_min_interval_s)
        """The least time between two charging-profile requests for one session (TOO_OFTEN otherwise)."""
        clients = client_factory(http)
        self.authorizer = Authorizer(uow, clients, authorization_settings(settings))
        self.simulator: ChargerSimulator | None = None
        if settings.simulator_enabled:
            self.simulator = ChargerSimulator(
                uow,
                self.authorizer,
                CpoParties.from_settings(settings),
                SimulatorSettings.from_settings(settings),
                clock=clock,
            )
        self.deliverer = CallbackDeliverer(
            uow,
            clients,
            DeliverySettings(
                attempts=settings.callback_attempts,
                backoff=Backoff(
                    settings.callback_backoff_s, max(_BACKOFF_CAP_S, settings.callback_backoff_s)
                ),
                lease=timedelta(seconds=2 * settings.partner_timeout_s),
            ),
            clock=clock,
        )
        self._charging_wake = asyncio.Event()
        self._delivery_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    @property
    def chargers_reachable(self) -> bool:
        """Whether commands can reach a charger (today: whether the simulator runs)."""
        return self.simulator is not None

    def wake(self) -> None:
        """Look for due work now (after a change that made something due)."""
        self._charging_wake.set()
        self._delivery_wake.set()

    async def run_due(self) -> int:
        """Act on the chargers' due work now; return how many things were done."""
        if self.simulator is not None:
            done = await self.simulator.run_due()
        else:
            async with self._uow() as uow:
                done = await charger_requests.answer_overdue(uow, self._clock())
                await uow.commit()
        if done:
            self._delivery_wake.set()
        return done

    async def deliver_due(self) -> int:
        """Send the results that are due now; return how many were tried."""
        return await self.deliverer.run_due()

    async def _next_charging(self) -> datetime | None:
        if self.simulator is not None:
            return await self.simulator.next_due_at()
        async with self._uow() as uow:
            return await charger_requests.next_due_at(uow)

    def start(self) -> None:
        """Run both loops as background tasks of the current event loop."""
        loop = asyncio.get_running_loop()
        self._stopping = False
        self._tasks = [
            loop.create_task(
                self._loop(self.run_due, self._next_charging, self._charging_wake), name="charging"
            ),
            loop.create_task(
                self._loop(self.deliver_due, self.deliverer.next_due_at, self._delivery_wake),
                name="callbacks",
            ),
        ]
        log.info("charging activity started (simulator %s)", "on" if self.simulator else "off")

    async def stop(self) -> None:
        """Stop both loops; work in progress is kept in the database and resumes on the next start."""
        self._stopping = True
        self.wake()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _loop(
        self,
        work: Callable[[], Awaitable[int]],
        next_due: Callable[[], Awaitable[datetime | None]],
        wake: asyncio.Event,
    ) -> None:
        while not self._stopping:
            wake.clear()
            try:
                await work()
                due = await next_due()
                timeout = self._poll_s
                if due is not None:
                    timeout = min(max((due - self._clock()).total_seconds(), _MIN_WAIT_S), self._poll_s)
            except Exception:
                log.exception("charging activity: a round failed; trying again shortly")
                timeout = self._poll_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout)


def start_charging_activity(
    settings: Settings, *, uow: UnitOfWorkFactory, http: httpx.AsyncClient, clock: Clock
) -> ChargingActivity:
    """Create the node's charging activity and start its loops; the caller stops it on shutdown."""
    activity = ChargingActivity(settings, uow=uow, http=http, clock=clock)
    activity.start()
    return activity
