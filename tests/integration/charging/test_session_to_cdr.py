"""A START_SESSION runs a simulated session to a priced CDR, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from laddhub.ocpi.v2_2_1.cdrs import CdrDimensionType
from laddhub.pricing.engine import price_timeline
from laddhub.pricing.lenient import read_cdr
from tests.integration.charging.harness import charging_world, start_body

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


async def test_start_session_charges_parks_stops_and_issues_a_cdr_the_engine_reproduces(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        plugged = await world.admin("POST", "LOC1/E1/plug-in", {"energy_kwh": 20, "max_power_kw": 11})
        assert plugged.status_code == 200, plugged.text
        assert await world.evse_status("E1") == "CHARGING"

        reply = await world.command("START_SESSION", start_body())
        assert reply["status_code"] == 1000
        assert reply["data"] == {"result": "ACCEPTED", "timeout": 30}
        await world.settle()
        assert await world.results() == [{"result": "ACCEPTED"}]
        [session] = await world.sessions()
        assert session.status.value == "ACTIVE"
        assert session.authorization_reference == "REF-1"
        assert session.auth_method.value == "COMMAND"
        assert session.cdr_token.uid == "04A1B2C3"

        await world.step(150)  # 17:30 -> 20:00 local: full after 1 h 49 min, then parked
        reply = await world.command(
            "STOP_SESSION",
            {"response_url": "http://msp.test/results/STOP_SESSION/1", "session_id": session.id},
        )
        assert reply["data"]["result"] == "ACCEPTED"
        await world.settle()
        assert (await world.results())[-1] == {"result": "ACCEPTED"}

        final = await world.session(session.id)
        assert final.status.value == "COMPLETED"
        assert final.kwh == Decimal(20)
        assert final.end_date_time == world.clock.now
        starts = [p.start_date_time.astimezone(AMSTERDAM).strftime("%H:%M") for p in final.charging_periods]
        assert "18:00" in starts  # the evening price starts a period
        kinds = [p.dimensions[1].type for p in final.charging_periods]
        assert CdrDimensionType.PARKING_TIME in kinds  # and so does parking

        [cdr] = await world.cdrs()
        assert cdr.id == session.id and cdr.session_id == session.id
        assert cdr.authorization_reference == "REF-1"
        assert [t.id for t in cdr.tariffs] == ["T-EVENING"]
        assert cdr.total_energy == Decimal(20)
        assert cdr.total_cost == final.total_cost
        assert cdr.total_fixed_cost is not None and cdr.total_fixed_cost.excl_vat == Decimal("0.50")
        assert cdr.total_parking_time is not None and cdr.total_parking_time > 0
        assert cdr.cdr_location.evse_id == "NL*CPO*EE1"
        repriced = read_cdr(cdr.to_ocpi())
        totals = price_timeline(repriced.tariffs[0], repriced.timeline, AMSTERDAM).totals
        assert (totals.total_cost.excl_vat, totals.total_cost.incl_vat) == (
            cdr.total_cost.excl_vat,
            cdr.total_cost.incl_vat,
        )

        sessions = [(m, body) for m, _, body in await world.outbox("sessions")]
        assert sessions[0][0] == "PUT" and all(m == "PATCH" for m, _ in sessions[1:])
        assert all(body.get("authorization_reference") == "REF-1" for _, body in sessions)
        periods_pushed = [p for _, body in sessions for p in body.get("charging_periods", [])]
        assert len(periods_pushed) == len(final.charging_periods)
        last = (await world.outbox())[-1]
        assert last[0] == "POST" and last[2]["id"] == cdr.id


async def test_a_node_restart_loses_no_session_and_a_second_badge_ends_it(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        await world.store_token(whitelist="ALWAYS")
        await world.admin("POST", "LOC1/E2/plug-in", {"energy_kwh": 40, "max_power_kw": 11})
        badge = await world.admin("POST", "LOC1/E2/authorize", {"uid": "04a1b2c3"})
        assert badge.status_code == 200, badge.text
        started = badge.json()
        assert started["allowed"] and started["auth_method"] == "WHITELIST"
        await world.step(30)

        await world.restart()
        await world.step(30)
        assert (await world.admin("GET", "LOC1/E2")).json()["kwh"] == 11

        again = await world.admin("POST", "LOC1/E2/authorize", {"uid": "04A1B2C3"})
        assert again.json()["session_id"] == started["session_id"]
        [cdr] = await world.cdrs()
        assert cdr.total_energy == Decimal(11)
        assert cdr.auth_method.value == "WHITELIST"
        assert await world.evse_status("E2") == "CHARGING"  # the vehicle is still plugged in
        await world.step(1)
        assert await world.evse_status("E2") == "AVAILABLE"  # the driver left (simulator_unplug_s)


async def test_unplugging_ends_the_session_and_frees_the_evse(backend: str, tmp_path: Path) -> None:
    async with charging_world(backend, tmp_path, simulator_stay_s=0) as world:
        await world.store_token(whitelist="ALLOWED")
        await world.admin("POST", "LOC1/E1/authorize", {"uid": "04A1B2C3"})
        [pending] = await world.sessions()
        assert pending.status.value == "PENDING"
        await world.step(2)
        await world.admin("POST", "LOC1/E1/plug-in", {"energy_kwh": 5, "max_power_kw": 22})
        assert (await world.session(pending.id)).status.value == "ACTIVE"
        await world.step(20)
        unplugged = await world.admin("POST", "LOC1/E1/unplug")
        assert unplugged.json()["phase"] == "IDLE"
        assert await world.evse_status("E1") == "AVAILABLE"
        final = await world.session(pending.id)
        assert final.status.value == "COMPLETED" and final.kwh == Decimal(5)
        assert len(await world.cdrs()) == 1


async def test_an_authorised_session_whose_vehicle_never_comes_ends_invalid(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path, simulator_plug_timeout_s=120) as world:
        await world.command("START_SESSION", start_body())
        await world.settle()
        [session] = await world.sessions()
        assert session.status.value == "PENDING"
        assert await world.evse_status("E1") == "CHARGING"
        await world.step(3)
        ended = await world.session(session.id)
        assert ended.status.value == "INVALID"
        assert ended.end_date_time == session.start_date_time + timedelta(seconds=120)
        assert await world.cdrs() == []
        assert await world.evse_status("E1") == "AVAILABLE"


async def test_the_configured_stay_ends_the_session_when_it_was_due(backend: str, tmp_path: Path) -> None:
    async with charging_world(backend, tmp_path, simulator_stay_s=1800) as world:
        await world.admin("POST", "LOC1/E1/plug-in")
        await world.command("START_SESSION", start_body())
        await world.settle()
        world.clock.advance(hours=3)  # the node was busy: the end is processed late, but dated when due
        await world.settle()
        [cdr] = await world.cdrs()
        assert cdr.end_date_time - cdr.start_date_time == timedelta(minutes=30)
        assert cdr.total_energy == Decimal("5.5")
