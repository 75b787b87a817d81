"""The push worker against a fake partner: delivery, order per group, coalescing, retries, leases."""

from __future__ import annotations

import asyncio
import base64
import json
from collections import Counter, defaultdict
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from laddhub.ocpi.v2_2_1.locations import Location
from laddhub.services.publishing import Change
from laddhub.services.push import claims
from laddhub.store.database import create_engine, session_factory
from laddhub.store.push_records import CdrReceiptRecord, PushStatsRecord
from laddhub.store.tables import OutboxRecord, PartnerRecord, PartnerRoleRecord
from laddhub.store.uow import UnitOfWorkFactory
from tests.conftest import OCPI_EXAMPLES
from tests.integration.push.conftest import START, Store, eventually, evse_patch, location_put, ok


async def stats(store: Store) -> list[PushStatsRecord]:
    async with store.uow() as uow:
        return list((await uow.session.execute(select(PushStatsRecord))).scalars())


async def test_a_push_reaches_the_partner_endpoint_with_its_token_routing_and_body_then_leaves_the_outbox(
    store: Store,
) -> None:
    await store.add_partner()
    await store.publish(location_put("L1", 1))

    assert await store.worker().run_once() == 1

    [request] = store.fake.received
    assert request.method == "PUT"
    assert str(request.url) == "http://msp.test/ocpi/2.2.1/emsp/locations/NL/CPO/L1"
    assert request.headers["Authorization"] == "Token " + base64.b64encode(b"token-for-msp").decode()
    assert (
        request.headers["OCPI-from-country-code"] == "NL" and request.headers["OCPI-from-party-id"] == "CPO"
    )
    assert request.headers["OCPI-to-party-id"] == "MSP"
    assert json.loads(request.content) == location_put("L1", 1).payload
    assert await store.entries() == []
    [counted] = await stats(store)
    assert counted.delivered == 1 and counted.last_delivered_at == START and counted.last_error is None


async def test_only_the_oldest_pending_entry_of_a_group_is_claimed(store: Store) -> None:
    await store.add_partner()
    await store.publish(
        location_put("L1", 1), evse_patch("L1", "E1", "CHARGING"), evse_patch("L1", "E2", "BLOCKED")
    )
    await store.publish(location_put("L2", 1))
    async with store.uow() as uow:
        first = await claims.claim_due(uow, worker_id="w", now=START, lease=timedelta(seconds=60), limit=10)
    assert [(c.method, c.path) for c in first] == [("PUT", "/NL/CPO/L1"), ("PUT", "/NL/CPO/L2")]
    async with store.uow() as uow:
        again = await claims.claim_due(uow, worker_id="w", now=START, lease=timedelta(seconds=60), limit=10)
    assert again == []


async def test_entries_of_one_group_go_out_one_at_a_time_in_order_while_groups_run_in_parallel(
    store: Store,
) -> None:
    in_flight: Counter[str] = Counter()
    most: Counter[str] = Counter()
    overall: list[int] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        group = request.url.path.split("/")[7]
        in_flight[group] += 1
        most[group] = max(most[group], in_flight[group])
        overall.append(sum(in_flight.values()))
        await asyncio.sleep(0.02)
        in_flight[group] -= 1
        return ok()

    store.fake.reply = slow
    await store.add_partner()
    for location in ("L1", "L2", "L3"):
        await store.publish(
            location_put(location, 1),
            evse_patch(location, "E1", "CHARGING", 1),
            evse_patch(location, "E2", "BLOCKED", 2),
            evse_patch(location, "E3", "AVAILABLE", 3),
        )
    worker = store.worker(concurrency=4)
    worker.start()

    async def drained() -> bool:
        return await store.entries() == []

    await eventually(drained)
    per_group: dict[str, list[str]] = defaultdict(list)
    for method, path, _ in store.fake.calls():
        per_group[path.split("/")[7]].append(f"{method} {'/'.join(path.split('/')[8:])}")
    assert per_group == {loc: ["PUT ", "PATCH E1", "PATCH E2", "PATCH E3"] for loc in ("L1", "L2", "L3")}
    assert max(most.values()) == 1
    assert max(overall) > 1


async def test_changes_made_while_the_partner_is_down_reach_it_as_the_latest_state_only(store: Store) -> None:
    store.fake.reply = lambda request: httpx.Response(503, text="maintenance")
    await store.add_partner()
    worker = store.worker()
    await store.publish(location_put("L1", 0))
    assert await worker.run_once() == 1
    for version in range(1, 51):
        await store.publish(
            location_put(f"L{version % 5}", version),
            evse_patch(f"L{version % 5}", "E1", f"S{version}", version),
        )

    store.fake.received.clear()
    store.fake.reply = lambda request: ok()
    store.clock.advance(3600)
    await store.drain(worker)

    calls = store.fake.calls()
    puts = {path: body["name"] for method, path, body in calls if method == "PUT"}
    patches = {path: body["status"] for method, path, body in calls if method == "PATCH"}
    base = "/ocpi/2.2.1/emsp/locations/NL/CPO"
    assert puts == {f"{base}/L{n}": f"v{45 + n if n else 50}" for n in range(5)}
    assert patches == {f"{base}/L{n}/E1": f"S{45 + n if n else 50}" for n in range(5)}
    assert len(calls) == 10


async def test_a_transient_failure_is_retried_after_a_jittered_backoff(store: Store) -> None:
    answers = iter([httpx.Response(503, text="busy"), ok()])
    store.fake.reply = lambda request: next(answers)
    await store.add_partner()
    await store.publish(location_put("L1", 1))
    worker = store.worker()

    assert await worker.run_once() == 1
    [entry] = await store.entries()
    assert entry.state == "PENDING" and entry.attempts == 1 and entry.locked_by is None
    assert START <= entry.next_attempt_at <= START + timedelta(seconds=10)
    assert entry.last_error is not None and "503" in entry.last_error
    [noted] = await stats(store)
    assert noted.last_error == entry.last_error and noted.delivered == 0

    if entry.next_attempt_at > START:
        assert await worker.run_once() == 0
    store.clock.advance(10)
    assert await worker.run_once() == 1
    assert await store.entries() == []
    assert len(store.fake.received) == 2


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(401, json={"status_code": 2000, "timestamp": "2026-11-24T12:00:00Z"}),
        httpx.Response(404, text="not found"),
        httpx.Response(200, json={"status_code": 3000, "timestamp": "2026-11-24T12:00:00Z"}),
        None,
    ],
)
async def test_a_partner_that_is_restarting_or_unreachable_is_retried(
    store: Store, failure: httpx.Response | None
) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        if failure is None:
            raise httpx.ConnectError("connection refused", request=request)
        return failure

    store.fake.reply = reply
    await store.add_partner()
    await store.publish(location_put("L1", 1))
    await store.worker().run_once()
    [entry] = await store.entries()
    assert entry.state == "PENDING" and entry.attempts == 1


async def test_a_refused_push_fails_for_good_and_its_group_continues(store: Store) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            body = {
                "status_code": 2001,
                "status_message": "address: required",
                "timestamp": "2026-11-24T12:00:00Z",
            }
            return httpx.Response(200, json=body)
        return ok()

    store.fake.reply = reply
    await store.add_partner()
    await store.publish(location_put("L1", 1), evse_patch("L1", "E1", "CHARGING"))
    assert await store.drain() == 2

    [failed] = await store.entries()
    assert failed.state == "FAILED" and failed.method == "PUT"
    assert failed.last_error is not None and "2001" in failed.last_error and "address" in failed.last_error
    assert [c[0] for c in store.fake.calls()] == ["PUT", "PATCH"]
    [counted] = await stats(store)
    assert counted.delivered == 1


async def test_an_expired_lease_makes_the_entry_due_again_and_the_old_holder_cannot_touch_it(
    store: Store,
) -> None:
    await store.add_partner()
    await store.publish(location_put("L1", 1))
    async with store.uow() as uow:
        [lost] = await claims.claim_due(
            uow, worker_id="killed", now=START, lease=timedelta(seconds=30), limit=5
        )

    survivor = store.worker(lease_s=30)
    assert await survivor.run_once() == 0
    store.clock.advance(31)
    async with store.uow() as uow:
        [taken] = await claims.claim_due(
            uow, worker_id=survivor.worker_id, now=store.clock(), lease=timedelta(seconds=30), limit=5
        )
    assert taken.id == lost.id and taken.attempts == 2

    async with store.uow() as uow:
        await claims.record_failed(uow, lost, worker_id="killed", now=store.clock(), error="late")
    [entry] = await store.entries()
    assert entry.state == "PENDING" and entry.locked_by == survivor.worker_id and entry.last_error is None


async def test_a_cdr_post_records_the_location_the_partner_returns_once_per_cdr(store: Store) -> None:
    store.fake.reply = lambda request: ok(headers={"Location": "/ocpi/2.2.1/emsp/cdrs/77"})
    await store.add_partner()
    cdr = {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "cdr-1",
        "cdr_token": {"country_code": "NL", "party_id": "MSP"},
    }
    change = Change("cdrs", "POST", "", cdr, "cdr:cdr-1", "cdr:cdr-1", coalesce=False)
    await store.publish(change)
    await store.publish(change)
    assert await store.drain() == 2

    assert [(m, p) for m, p, _ in store.fake.calls()] == [("POST", "/ocpi/2.2.1/emsp/cdrs/")] * 2
    async with store.uow() as uow:
        receipts = list((await uow.session.execute(select(CdrReceiptRecord))).scalars())
    assert [(r.country_code, r.party_id, r.cdr_id, r.location_url) for r in receipts] == [
        ("NL", "CPO", "cdr-1", "http://msp.test/ocpi/2.2.1/emsp/cdrs/77")
    ]


async def test_entries_of_an_unregistered_partner_are_dropped_not_sent(store: Store) -> None:
    gone = await store.add_partner("gone", party="GON")
    await store.add_partner("stays", party="STA")
    await store.publish(location_put("L1", 1))
    async with store.uow() as uow:
        await uow.session.execute(
            update(PartnerRecord).where(PartnerRecord.id == gone).values(status="UNREGISTERED")
        )
        await uow.commit()

    assert await store.worker().run_once() == 1
    worker = store.worker()
    worker.start()

    async def outbox_empty() -> bool:
        return await store.entries() == []

    await eventually(outbox_empty)
    assert [r.url.host for r in store.fake.received] == ["stays.test"]


async def test_a_commit_that_publishes_wakes_the_worker_at_once(store: Store) -> None:
    await store.add_partner()
    worker = store.worker(poll_s=60)
    worker.start(wake_on=store.engine)
    await asyncio.sleep(0.1)  # the worker found nothing and sleeps for its poll interval

    await store.publish(location_put("L1", 1))

    async def delivered() -> bool:
        return len(store.fake.received) == 1

    await eventually(delivered, timeout_s=3)


async def test_stopping_gives_back_the_leases_of_deliveries_still_waiting_for_the_partner(
    store: Store,
) -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return ok()

    store.fake.reply = hang
    await store.add_partner()
    await store.publish(location_put("L1", 1))
    worker = store.worker()
    worker.start()

    async def called() -> bool:
        return len(store.fake.received) == 1

    await eventually(called)
    await worker.stop()
    [entry] = await store.entries()
    assert entry.state == "PENDING" and entry.locked_by is None and entry.locked_until is None


async def test_two_workers_on_their_own_connections_deliver_every_entry_exactly_once_in_group_order(
    store: Store,
) -> None:
    async def reply(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.005)
        return ok()

    store.fake.reply = reply
    await store.add_partner()
    changes = [
        Change("sessions", "PATCH", f"/NL/CPO/S{g}", {"n": n}, f"S{g}", f"S{g}/{n}", coalesce=False)
        for n in range(8)
        for g in range(12)
    ]
    await store.publish(*changes)

    second_engine = create_engine(store.engine.url.render_as_string(hide_password=False))
    try:
        first = store.worker(concurrency=3)
        second = store.worker(concurrency=3, uow=UnitOfWorkFactory(session_factory(second_engine)))
        first.start()
        second.start()

        async def drained() -> bool:
            return await store.entries() == []

        await eventually(drained, timeout_s=30)
        await first.stop()
        await second.stop()
    finally:
        await second_engine.dispose()

    senders = Counter(request.headers["X-Test-Worker"] for request in store.fake.received)
    assert set(senders) == {first.worker_id, second.worker_id}
    seen = [(path.rsplit("/", 1)[1], body["n"]) for _, path, body in store.fake.calls()]
    assert len(seen) == len(changes) == len(set(seen))
    for group in {g for g, _ in seen}:
        assert [n for g, n in seen if g == group] == list(range(8))


async def test_under_load_each_object_is_delivered_in_increasing_versions_ending_with_the_latest(
    store: Store,
) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)  # slower than the changes come: a backlog builds up while they do
        return ok()

    store.fake.reply = slow
    await store.add_partner()
    worker = store.worker(concurrency=4)
    worker.start(wake_on=store.engine)
    for version in range(1, 201):
        location = f"L{version % 10}"
        if version % 3:
            await store.publish(evse_patch(location, "E1", f"S{version}", version % 60))
        else:
            await store.publish(location_put(location, version))

    async def drained() -> bool:
        return await store.entries() == []

    await eventually(drained, timeout_s=30)
    # Per Location, the changes that went out are in the order they were made, and the last one is the
    # latest: a PUT that superseded pending EVSE PATCHes carries their state, so they may be gone.
    per_location: dict[str, list[int]] = defaultdict(list)
    for method, path, body in store.fake.calls():
        value = body["name"] if method == "PUT" else body["status"]
        per_location[path.split("/")[7]].append(int(value[1:]))
    for n in range(10):
        versions = per_location[f"L{n}"]
        assert versions == sorted(versions)
        assert versions[-1] == max(v for v in range(1, 201) if v % 10 == n)
    assert len(store.fake.received) < 200  # coalescing dropped what was superseded before it went out


async def test_a_tariff_delete_goes_out_without_a_body(store: Store) -> None:
    await store.add_partner()
    key = "tariffs:NL/CPO/T1"
    await store.publish(Change("tariffs", "DELETE", "/NL/CPO/T1", None, key, key))
    assert await store.worker().run_once() == 1
    [request] = store.fake.received
    assert (request.method, request.url.path, request.content) == (
        "DELETE",
        "/ocpi/2.2.1/emsp/tariffs/NL/CPO/T1",
        b"",
    )


@pytest.mark.parametrize("outcome", ["acknowledged", "refused"])
async def test_a_patch_merged_into_an_entry_out_for_delivery_is_sent_afterwards(
    store: Store, outcome: str
) -> None:
    await store.add_partner()
    await store.publish(evse_patch("L1", "E1", "CHARGING", 1))
    worker = store.worker()
    async with store.uow() as uow:
        [claim] = await claims.claim_due(
            uow, worker_id=worker.worker_id, now=START, lease=timedelta(seconds=60), limit=5
        )
    # What `publish` does when it read the entry as unclaimed just before the claim: merge into it.
    merged = {"status": "BLOCKED", "last_updated": "2026-11-24T12:00:02Z"}
    async with store.uow() as uow:
        await uow.session.execute(update(OutboxRecord).values(payload=json.dumps(merged)))
        await uow.commit()
    async with store.uow() as uow:
        if outcome == "acknowledged":
            await claims.record_delivered(uow, claim, worker_id=worker.worker_id, now=START, receipt=None)
        else:
            await claims.record_failed(uow, claim, worker_id=worker.worker_id, now=START, error="refused")

    [entry] = await store.entries()
    assert (entry.state, entry.locked_by, entry.attempts) == ("PENDING", None, 0)
    assert await worker.run_once() == 1
    assert [body for _, _, body in store.fake.calls()] == [merged]
    assert await store.entries() == []


async def test_a_patch_the_partner_cannot_apply_is_sent_again_as_a_put_of_the_whole_object(
    store: Store,
) -> None:
    location = Location.model_validate_json((OCPI_EXAMPLES / "2.2.1" / "location_example.json").read_bytes())
    async with store.uow() as uow:
        await uow.locations.upsert(location, partner_id=None, now=START)
        await uow.commit()
    evse = location.evses[0]
    patch = Change(
        "locations",
        "PATCH",
        f"/BE/BEC/{location.id}/{evse.uid}",
        {"status": "CHARGING", "last_updated": "2026-11-24T12:00:00Z"},
        location.id,
        f"{location.id}/{evse.uid}",
    )
    missing = Change(
        "locations", "PATCH", "/BE/BEC/NOT-OURS/E9", {"status": "BLOCKED", "last_updated": "x"}, "N", "N/E9"
    )

    def reply(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            body = {
                "status_code": 2000,
                "status_message": "unknown EVSE",
                "timestamp": "2026-11-24T12:00:00Z",
            }
            return httpx.Response(404, json=body)
        return ok()

    store.fake.reply = reply
    await store.add_partner()
    await store.publish(patch, missing)
    await store.drain()

    calls = store.fake.calls()
    assert [(method, path.rsplit("/", 2)[-2:]) for method, path, _ in calls[:1]] == [
        ("PATCH", [location.id, evse.uid])
    ]
    puts = [body for method, _, body in calls if method == "PUT"]
    assert puts == [json.loads(location.to_ocpi_json())["evses"][0]]
    # An object we do not hold ourselves cannot be re-sent whole: that PATCH fails for good.
    [failed] = await store.entries()
    assert failed.state == "FAILED" and failed.object_key == "N/E9"


async def test_a_session_patch_is_addressed_to_the_token_owner_among_the_partners_parties(
    store: Store,
) -> None:
    partner_id = await store.add_partner(party="AAA")
    async with store.uow() as uow:
        partner = await uow.partners.get(partner_id)
        assert partner is not None
        partner.roles = [
            *partner.roles,
            PartnerRoleRecord(role="EMSP", country_code="NL", party_id="BBB", business_details={}),
        ]
        await uow.commit()
    patch = Change(
        "sessions",
        "PATCH",
        "/NL/CPO/S1",
        {"kwh": 1.5, "last_updated": "2026-11-24T12:00:00Z"},
        "S1",
        "S1",
        parties=frozenset({("NL", "BBB")}),
    )
    await store.publish(patch)
    await store.drain()
    [request] = store.fake.received
    assert (request.headers["OCPI-to-country-code"], request.headers["OCPI-to-party-id"]) == ("NL", "BBB")
