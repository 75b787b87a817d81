"""A START_SESSION runs a simulated session to a priced CDR, on SQLite and PostgreSQL."""

from __future__ import annotations

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
