"""The push worker: drains the outbox in the background of a node, with bounded concurrency.

The loop keeps up to `concurrency` deliveries in flight. It claims due entries whenever a slot is free,
and otherwise sleeps until the first of: a commit in this process wrote to the outbox (`wakeup`), a
delivery finished, the earliest retry or lease expiry is due, or the poll interval passed (changes made
by other processes are found by polling). Each delivery ends with one short transaction recording its
outcome; a crash anywhere leaves at most a lease behind, which expires, so nothing is lost.

On stop, deliveries in flight get a grace period to finish; the rest are cancelled and their leases given
back, so a restarted node resumes them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from laddhub.config import Settings
from laddhub.services.identity import NodeIdentity
from laddhub.services.partner_clients import ClientFactory, client_factory
from laddhub.services.push import claims
from laddhub.services.push.backoff import Backoff
from laddhub.services.push.claims import Claim
from laddhub.services.push.delivery import Outcome, Verdict, deliver
from laddhub.services.push.replacement import current_object
from laddhub.services.push.wakeup import on_outbox_commit
from laddhub.store.tables import PartnerRecord
from laddhub.store.uow import UnitOfWorkFactory

log = logging.getLogger("laddhub.push")

Clock = Callable[[], datetime]

# An idle worker never sleeps less than this, so a due entry it cannot claim (taken by another worker a
# moment ago) does not make it spin.
_MIN_WAIT_S = 0.02


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """How the worker paces itself; see the `push_*` settings in docs/configuration.md."""

    poll_interval_s: float
    backoff: Backoff
    lease: timedelta
    batch_size: int
    concurrency: int
    grace_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerSettings:
        """The node's settings, with the lease stretched to outlast a partner call.

        A lease that ran out while the partner was still answering would let a second worker send the same
        push again; twice the partner timeout leaves room for the bookkeeping after the call.
        """
        lease_s = max(settings.push_lease_s, 2 * settings.partner_timeout_s)
        return cls(
            poll_interval_s=settings.push_poll_interval_s,
            backoff=Backoff(settings.push_backoff_base_s, settings.push_backoff_cap_s),
            lease=timedelta(seconds=lease_s),
            batch_size=settings.push_batch_size,
            concurrency=settings.push_concurrency,
            grace_s=settings.partner_timeout_s,
        )


def _worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class PushWorker:
    """Delivers outbox entries to partners; one per node process (several per database are fine)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clients: ClientFactory,
        identity: NodeIdentity,
        config: WorkerSettings,
        *,
        clock: Clock,
        worker_id: str | None = None,
        rng: Random | None = None,
    ) -> None:
        self._uow = uow
        self._clients = clients
        self._identity = identity
        self._config = config
        self._clock = clock
        self.worker_id = worker_id or _worker_id()
        self._rng = rng or Random()
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._in_flight: dict[asyncio.Task[None], Claim] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._last_housekeeping = float("-inf")

    # --- control ------------------------------------------------------------------------------------------

    def wake(self) -> None:
        """Look for due entries now instead of at the next poll (safe to call from any thread)."""
        loop = self._loop_task.get_loop() if self._loop_task is not None else None
        if loop is None or _running_loop() is loop:
            self._wake.set()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    def start(self, *, wake_on: AsyncEngine | None = None) -> None:
        """Run the loop as a background task; with `wake_on`, commits on that engine wake it."""
        if self._loop_task is not None:
            raise RuntimeError("the push worker is already running")
        self._stopping = False
        self._loop_task = asyncio.get_running_loop().create_task(self._run(), name="laddhub-push-worker")
        if wake_on is not None:
            self._unsubscribe = on_outbox_commit(wake_on.sync_engine, self.wake)
        log.info("push worker %s started", self.worker_id)

    async def stop(self) -> None:
        """Stop claiming, let deliveries in flight finish within the grace period, give back the rest."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            await self._loop_task
            self._loop_task = None
        unfinished = await self._settle(self._config.grace_s)
        if unfinished:
            try:
                async with self._uow() as uow:
                    await claims.release(uow, [c.id for c in unfinished], worker_id=self.worker_id)
            except Exception:
                log.exception("could not give back %d leases; they expire on their own", len(unfinished))
        log.info("push worker %s stopped", self.worker_id)

    async def run_once(self) -> int:
        """Claim what is due now and deliver it all, waiting for every delivery; return how many.

        The loop in one step, for tests and one-shot tools; the background loop is `start`.
        """
        batch = await self._claim(self._config.batch_size)
        await asyncio.gather(*(self._deliver(claim, partner) for claim, partner in batch))
        return len(batch)

    # --- the loop -----------------------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self._housekeeping()
                free = self._config.concurrency - len(self._in_flight)
                wanted = min(free, self._config.batch_size)
                if wanted > 0:
                    batch = await self._claim(wanted)
                    for claim, partner in batch:
                        self._spawn(claim, partner)
                    if len(batch) == wanted:
                        continue  # there may be more due; claim again while slots are free
                timeout = await self._idle_timeout() if wanted > 0 else self._config.poll_interval_s
            except Exception:
                log.exception("push worker: the outbox could not be read; trying again shortly")
                timeout = self._config.poll_interval_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _housekeeping(self) -> None:
        """Drop the entries of unregistered partners, once per poll interval."""
        moment = time.monotonic()
        if moment - self._last_housekeeping < self._config.poll_interval_s:
            return
        self._last_housekeeping = moment
        async with self._uow() as uow:
            dropped = await claims.drop_unregistered(uow)
        if dropped:
            log.info("dropped %d pending pushes to unregistered partners", dropped)

    async def _idle_timeout(self) -> float:
        async with self._uow() as uow:
            due = await claims.next_due_at(uow)
        if due is None:
            return self._config.poll_interval_s
        wait = (due - self._clock()).total_seconds()
        return min(max(wait, _MIN_WAIT_S), self._config.poll_interval_s)

    async def _claim(self, limit: int) -> list[tuple[Claim, PartnerRecord | None]]:
        async with self._uow() as uow:
            claimed = await claims.claim_due(
                uow, worker_id=self.worker_id, now=self._clock(), lease=self._config.lease, limit=limit
            )
            if not claimed:
                return []
            ids = {c.partner_id for c in claimed}
            partners = (
                (await uow.session.execute(select(PartnerRecord).where(PartnerRecord.id.in_(ids))))
                .scalars()
                .all()
            )
        by_id = {p.id: p for p in partners}
        return [(claim, by_id.get(claim.partner_id)) for claim in claimed]

    def _spawn(self, claim: Claim, partner: PartnerRecord | None) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(claim, partner))
        self._in_flight[task] = claim
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.pop(task, None)
        self._wake.set()

    async def _settle(self, grace_s: float) -> list[Claim]:
        """Wait up to `grace_s` for deliveries in flight; cancel the rest and return their claims."""
        if not self._in_flight:
            return []
        tasks = dict(self._in_flight)
        _, pending = await asyncio.wait(tasks, timeout=grace_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return [tasks[task] for task in pending]

    # --- one delivery -------------------------------------------------------------------------------------

    async def _deliver(self, claim: Claim, partner: PartnerRecord | None) -> None:
        """Deliver one claim and record the outcome. Never raises: the lease covers every failure."""
        try:
            if partner is None:  # deleted since the claim; its entries went with it (ON DELETE CASCADE)
                return
            outcome = await deliver(claim, partner, self._identity, self._clients)
            await self._record(claim, partner, outcome)
        except Exception:
            log.exception(
                "push of outbox entry %d failed unexpectedly; it is retried when its lease expires", claim.id
            )

    async def _record(self, claim: Claim, partner: PartnerRecord, outcome: Outcome) -> None:
        now = self._clock()
        async with self._uow() as uow:
            if outcome.verdict is Verdict.DELIVERED:
                await claims.record_delivered(
                    uow, claim, worker_id=self.worker_id, now=now, receipt=outcome.receipt
                )
                log.debug("pushed %s %s%s to %s", claim.method, claim.module, claim.path, partner.name)
            elif outcome.verdict is Verdict.REPLACE and (
                whole := await current_object(uow, claim.module, claim.path)
            ):
                error = f"PATCH refused ({outcome.error}); sending the whole object with PUT"
                payload = json.dumps(whole, separators=(",", ":"))
                await claims.record_replaced(
                    uow, claim, worker_id=self.worker_id, now=now, payload=payload, error=error
                )
                log.info("push to %s: %s", partner.name, error)
            elif outcome.verdict is Verdict.RETRY:
                delay = self._config.backoff.delay(claim.attempts, self._rng)
                error = outcome.error or "unknown error"
                await claims.record_retry(
                    uow, claim, worker_id=self.worker_id, now=now, retry_at=now + delay, error=error
                )
                log.info(
                    "push to %s not delivered (attempt %d, next in %.1fs): %s",
                    partner.name,
                    claim.attempts,
                    delay.total_seconds(),
                    error,
                )
            else:
                error = outcome.error or "refused"
                await claims.record_failed(uow, claim, worker_id=self.worker_id, now=now, error=error)
                log.warning(
                    "push %s %s%s to %s failed for good: %s",
                    claim.method,
                    claim.module,
                    claim.path,
                    partner.name,
                    error,
                )


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def start_push_worker(
    settings: Settings, *, uow: UnitOfWorkFactory, http: httpx.AsyncClient, clock: Clock, engine: AsyncEngine
) -> PushWorker | None:
    """Start the node's push worker unless `push_enabled` is off; the caller stops it on shutdown."""
    if not settings.push_enabled:
        log.info("push worker disabled (push_enabled = false): partners must pull our data")
        return None
    worker = PushWorker(
        uow,
        client_factory(http),
        NodeIdentity.from_settings(settings),
        WorkerSettings.from_settings(settings),
        clock=clock,
    )
    worker.start(wake_on=engine)
    return worker
