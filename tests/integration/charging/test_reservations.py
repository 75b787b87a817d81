"""Reservations: a RESERVATION session, the driver's start, expiry, cancellation by eMSP or CPO, ids."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from laddhub.ocpi.common import format_datetime
from laddhub.store.charging_records import ReservationRecord
from tests.integration.charging.harness import (
    OCPI_EXAMPLES_221,
    OTH_TOKEN,
    ChargingWorld,
    charging_world,
    evse,
    location,
    start_body,
    token,
)


def reservation_tariff() -> dict[str, Any]:
    """The spec's tariff 17: an expiry fee, reserved time at 2.00/h, and a start fee with energy."""
    tariff: dict[str, Any] = json.loads(
        (OCPI_EXAMPLES_221 / "tariff_17_reservation_with_expire_fee.json").read_text()
    )
    tariff.update({"country_code": "NL", "party_id": "CPO", "id": "T-RES", "type": "REGULAR"})
    return tariff


def reserve_body(
    reservation_id: str, expiry: datetime, *, evse_uid: str | None = "E1", **changes: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "response_url": f"http://msp.test/results/RESERVE_NOW/{reservation_id}",
        "token": token(),
        "expiry_date": format_datetime(expiry),
        "reservation_id": reservation_id,
        "location_id": "LOC1",
        "authorization_reference": f"RES-{reservation_id}",
    }
    if evse_uid is not None:
        body["evse_uid"] = evse_uid
    body.update(changes)
    return body


async def reserving_world(world: ChargingWorld) -> None:
    await world.put_tariff(reservation_tariff())
    await world.put_location(location(evse("E1", tariffs=["T-RES"]), evse("E2", tariffs=["T-RES"])))


async def reservations(world: ChargingWorld) -> list[ReservationRecord]:
    async with world.uow() as work:
        return list(
            (await work.session.execute(select(ReservationRecord).order_by(ReservationRecord.id))).scalars()
        )


async def test_the_reserving_driver_starts_and_the_cdr_bills_reserved_time_then_charging(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        await reserving_world(world)
        reply = await world.command("RESERVE_NOW", reserve_body("R1", world.clock.now + timedelta(hours=1)))
        assert reply["data"]["result"] == "ACCEPTED"
        await world.settle()
        assert await world.results() == [{"result": "ACCEPTED"}]
        [session] = await world.sessions()
        assert session.status.value == "RESERVATION" and session.authorization_reference == "RES-R1"
        assert await world.evse_status("E1") == "RESERVED"

        intruder = await world.command(
            "START_SESSION", start_body("E1", ref="X", token=token(uid="STRANGER"))
        )
        assert intruder["data"]["result"] == "ACCEPTED"
        await world.step(22, every=11)
        assert world.emsp.requests("/results/START_SESSION/X")[0].body["result"] == "EVSE_OCCUPIED"

        await world.admin("POST", "LOC1/E1/plug-in", {"energy_kwh": 20, "max_power_kw": 20})
        await world.command("START_SESSION", start_body("E1", ref="GO"))
        await world.settle()
        charging = await world.session(session.id)
        assert charging.status.value == "ACTIVE" and charging.start_date_time == world.clock.now
        assert charging.authorization_reference == "GO"
        [record] = await reservations(world)
        assert record.status == "USED"

        await world.step(70)
        await world.command(
            "STOP_SESSION", {"response_url": "http://msp.test/results/STOP/1", "session_id": session.id}
        )
        await world.settle()
        [cdr] = await world.cdrs()
        assert cdr.start_date_time == session.start_date_time  # the reservation's start
        assert cdr.charging_periods[0].dimensions[0].type.value == "RESERVATION_TIME"
        # 22 min reserved -> 30 min at 2.00/h; 0.50 start fee; 20 kWh at 0.25 (the spec's example 15a)
        assert cdr.total_reservation_cost is not None and cdr.total_reservation_cost.excl_vat == Decimal(
            "1.00"
        )
        assert cdr.total_cost.excl_vat == Decimal("6.50") and cdr.total_cost.incl_vat == Decimal("7.30")


async def test_an_unused_reservation_expires_with_a_cdr_for_its_expiry_fee_and_time(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        await reserving_world(world)
        expiry = world.clock.now + timedelta(hours=1)
        await world.command("RESERVE_NOW", reserve_body("R1", expiry))
        await world.settle()
        world.clock.advance(hours=2)  # processed late, ended when it expired
        await world.settle()
        [session] = await world.sessions()
        assert session.status.value == "COMPLETED" and session.end_date_time == expiry
        [cdr] = await world.cdrs()
        assert (cdr.total_cost.excl_vat, cdr.total_cost.incl_vat) == (Decimal("6.00"), Decimal("7.20"))
        assert cdr.cdr_location.evse_uid == "E1"
        assert await world.evse_status("E1") == "AVAILABLE"
        [record] = await reservations(world)
        assert record.status == "EXPIRED"


async def test_a_reservation_under_a_tariff_without_reservation_prices_ends_without_a_cdr(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        await world.command("RESERVE_NOW", reserve_body("R1", world.clock.now + timedelta(minutes=30)))
        await world.step(40, every=20)
        [session] = await world.sessions()
        assert session.status.value == "COMPLETED"
        assert await world.cdrs() == []


async def test_cancel_reservation_by_the_emsp_bills_the_reserved_time_without_the_expiry_fee(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        await reserving_world(world)
        await world.command("RESERVE_NOW", reserve_body("R1", world.clock.now + timedelta(hours=2)))
        await world.step(10)
        reply = await world.command(
            "CANCEL_RESERVATION", {"response_url": "http://msp.test/results/CANCEL/1", "reservation_id": "r1"}
        )
        assert reply["data"]["result"] == "ACCEPTED"
        await world.settle()
        assert (await world.results())[-1] == {"result": "ACCEPTED"}
        [session] = await world.sessions()
        assert session.status.value == "COMPLETED"
        [cdr] = await world.cdrs()
        # Ten reserved seconds, rounded up to the 10-minute step at 2.00/h; a cancellation is not an expiry,
        # so tariff 17's 4.00 expiry fee is not billed.
        assert cdr.total_reservation_cost is not None
        assert (cdr.total_cost.excl_vat, cdr.total_cost.incl_vat) == (Decimal("0.33"), Decimal("0.40"))
        assert cdr.total_reservation_cost.excl_vat == Decimal("0.33")
        assert await world.evse_status("E1") == "AVAILABLE"
        again = await world.command(
            "CANCEL_RESERVATION", {"response_url": "http://msp.test/results/CANCEL/2", "reservation_id": "R1"}
        )
        assert again["data"]["result"] == "REJECTED"


async def test_the_cpo_cancels_a_reservation_and_tells_the_original_response_url(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        await reserving_world(world)
        await world.command("RESERVE_NOW", reserve_body("R7", world.clock.now + timedelta(hours=2)))
        await world.step(10)
        cancelled = await world.admin("POST", "LOC1/E1/cancel-reservation")
        assert cancelled.status_code == 200, cancelled.text
        await world.settle()
        told = world.emsp.requests("/results/RESERVE_NOW/R7")
        assert [s.body["result"] for s in told] == ["ACCEPTED", "CANCELED_RESERVATION"]
        assert await world.cdrs() == []
        nothing = await world.admin("POST", "LOC1/E1/cancel-reservation")
        assert nothing.status_code == 409


async def test_reservation_ids_are_per_emsp_and_repeating_one_replaces_it(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        await reserving_world(world)
        await world.put_location(location(evse("E9", tariffs=["T-RES"]), id="LOC2"))
        expiry = world.clock.now + timedelta(hours=1)
        mine = await world.command("RESERVE_NOW", reserve_body("1", expiry))
        theirs = await world.command(
            "RESERVE_NOW",
            reserve_body(
                "1",
                expiry,
                evse_uid="E2",
                token=token(party_id="OTH"),
                response_url="http://oth.test/results/R",
            ),
            secret=OTH_TOKEN,
        )
        assert mine["data"]["result"] == theirs["data"]["result"] == "ACCEPTED"
        await world.settle()
        first, second = await reservations(world)
        assert first.id != second.id and first.reservation_key == second.reservation_key == "1"
        assert (first.emsp_party_id, second.emsp_party_id) == ("MSP", "OTH")

        later = world.clock.now + timedelta(hours=3)
        renewed = await world.command(
            "RESERVE_NOW", reserve_body("1", later, authorization_reference="RES-NEW")
        )
        assert renewed["data"]["result"] == "ACCEPTED"
        await world.settle()
        sessions = await world.sessions()
        assert len(sessions) == 2 and sessions[0].authorization_reference == "RES-NEW"
        elsewhere = await world.command(
            "RESERVE_NOW", reserve_body("1", later, location_id="LOC2", evse_uid="E9")
        )
        assert elsewhere["data"]["result"] == "REJECTED"

        await world.step(90, every=30)  # past the first expiry: only the replaced one is still held
        assert await world.evse_status("E1") == "RESERVED"
        assert await world.evse_status("E2") == "AVAILABLE"
        await world.command(
            "CANCEL_RESERVATION", {"response_url": "http://msp.test/results/C", "reservation_id": "1"}
        )
        await world.settle()
        assert await world.evse_status("E1") == "AVAILABLE"
        assert [r.status for r in await reservations(world)] == ["CANCELLED", "EXPIRED"]


async def test_a_reservation_without_an_evse_takes_a_free_reservable_one(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        await world.put_location(location(evse("E1", capabilities=["RFID_READER"]), evse("E2")))
        reply = await world.command(
            "RESERVE_NOW", reserve_body("R1", world.clock.now + timedelta(hours=1), evse_uid=None)
        )
        assert reply["data"]["result"] == "ACCEPTED"
        await world.settle()
        [session] = await world.sessions()
        assert session.evse_uid == "E2"
        past = await world.command(
            "RESERVE_NOW", reserve_body("R2", world.clock.now - timedelta(minutes=1), evse_uid="E2")
        )
        assert past["data"]["result"] == "REJECTED"
