"""The Commands receiver: synchronous answers, results at the response_url, timeouts, retries, isolation."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from laddhub.store.charging_records import ChargerRequestRecord
from tests.integration.charging.harness import (
    OTH_TOKEN,
    charging_world,
    evse,
    location,
    start_body,
    token,
)


async def _requests(world: object) -> int:
    async with world.uow() as work:  # type: ignore[attr-defined]
        return int(
            (await work.session.execute(select(func.count()).select_from(ChargerRequestRecord))).scalar_one()
        )


async def test_an_unknown_location_is_2003_rejected_and_stores_nothing(backend: str, tmp_path: Path) -> None:
    async with charging_world(backend, tmp_path) as world:
        reply = await world.command("START_SESSION", start_body(location_id="NOPE"))
        assert reply["status_code"] == 2003
        assert reply["data"]["result"] == "REJECTED" and reply["data"]["timeout"] == 30
        assert "NOPE" in reply["data"]["message"][0]["text"]
        unlock = await world.command(
            "UNLOCK_CONNECTOR",
            {
                "response_url": "http://msp.test/results/u",
                "location_id": "NOPE",
                "evse_uid": "E1",
                "connector_id": "1",
            },
        )
        assert unlock["status_code"] == 2003
        assert await _requests(world) == 0
        assert await world.sessions() == []


async def test_stop_session_of_another_emsp_is_rejected_and_of_an_unknown_one_unknown(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        await world.admin("POST", "LOC1/E1/plug-in")
        await world.command("START_SESSION", start_body())
        await world.settle()
        [session] = await world.sessions()
        stop = {"response_url": "http://oth.test/results/STOP/1", "session_id": session.id}
        foreign = await world.command("STOP_SESSION", stop, secret=OTH_TOKEN)
        assert foreign["data"]["result"] == "REJECTED"
        own_url = "http://msp.test/results/STOP/2"
        unknown = await world.command(
            "STOP_SESSION", {"response_url": own_url, "session_id": "no-such-session"}
        )
        assert unknown["data"]["result"] == "UNKNOWN_SESSION"
        await world.settle()
        assert (await world.session(session.id)).status.value == "ACTIVE"
        assert await world.results(world.other) == []


async def test_tokens_of_other_parties_are_refused_but_own_tokens_are_not_validated(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        foreign = await world.command("START_SESSION", start_body(token=token(party_id="OTH")))
        assert foreign["data"]["result"] == "REJECTED"
        blocked = await world.command(
            "START_SESSION", start_body(token=token(valid=False, whitelist="NEVER"))
        )
        assert blocked["data"]["result"] == "ACCEPTED"
        await world.settle()
        assert await world.results() == [{"result": "ACCEPTED"}]
        assert not world.emsp.requests("/authorize")


async def test_connector_rules_and_capabilities_decide_the_synchronous_answer(
    backend: str, tmp_path: Path
) -> None:
    evses = [
        evse("E1", capabilities=["REMOTE_START_STOP_CAPABLE", "START_SESSION_CONNECTOR_REQUIRED"]),
        evse("E2", capabilities=["RFID_READER"]),
    ]
    async with charging_world(backend, tmp_path, evses=evses) as world:
        missing = await world.command("START_SESSION", start_body("E1"))
        assert missing["data"]["result"] == "REJECTED"
        assert "connector_id" in missing["data"]["message"][0]["text"]
        wrong = await world.command("START_SESSION", start_body("E1", connector_id="9"))
        assert wrong["data"]["result"] == "REJECTED"
        named = await world.command("START_SESSION", start_body("E1", connector_id="1"))
        assert named["data"]["result"] == "ACCEPTED"
        incapable = await world.command("START_SESSION", start_body("E2"))
        assert incapable["data"]["result"] == "NOT_SUPPORTED"
        unlock = await world.command(
            "UNLOCK_CONNECTOR",
            {
                "response_url": "http://msp.test/results/u",
                "location_id": "LOC1",
                "evse_uid": "E2",
                "connector_id": "1",
            },
        )
        assert unlock["data"]["result"] == "NOT_SUPPORTED"
        unknown_evse = await world.command("START_SESSION", start_body("E9"))
        assert unknown_evse["data"]["result"] == "REJECTED"
        assert await _requests(world) == 1


async def test_an_offline_charger_never_answers_and_the_result_is_timeout(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path, command_timeout_s=20) as world:
        await world.put_location(location(evse("E1", status="UNKNOWN"), evse("E2")))
        reply = await world.command("START_SESSION", start_body("E1"))
        assert reply["data"] == {"result": "ACCEPTED", "timeout": 20}
        await world.settle()
        assert await world.results() == []
        world.clock.advance(seconds=20)
        await world.settle()
        [result] = await world.results()
        assert result["result"] == "TIMEOUT"
        assert await world.sessions() == []


async def test_busy_and_broken_evses_answer_occupied_and_inoperative(backend: str, tmp_path: Path) -> None:
    async with charging_world(backend, tmp_path) as world:
        await world.put_location(location(evse("E1"), evse("E2", status="OUTOFORDER")))
        await world.admin("POST", "LOC1/E1/plug-in")
        await world.command("START_SESSION", start_body("E1", ref="A"))
        await world.command("START_SESSION", start_body("E1", ref="B", token=token(uid="OTHER1")))
        await world.command("START_SESSION", start_body("E2", ref="C"))
        await world.settle()
        by_ref = {s.path.rsplit("/", 1)[-1]: s.body["result"] for s in world.emsp.requests("/results/")}
        assert by_ref == {"A": "ACCEPTED", "B": "EVSE_OCCUPIED", "C": "EVSE_INOPERATIVE"}


async def test_without_an_evse_the_charger_with_the_plugged_in_vehicle_is_chosen(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        await world.admin("POST", "LOC1/E2/plug-in")
        reply = await world.command("START_SESSION", start_body(None))
        assert reply["data"]["result"] == "ACCEPTED"
        await world.settle()
        [session] = await world.sessions()
        assert session.evse_uid == "E2" and session.status.value == "ACTIVE"


async def test_results_are_retried_with_backoff_and_survive_a_restart(backend: str, tmp_path: Path) -> None:
    async with charging_world(backend, tmp_path, callback_backoff_s=10, callback_attempts=5) as world:
        world.emsp.refuse_results = 2
        await world.command("START_SESSION", start_body())
        await world.settle()
        [owed] = await world.callbacks()
        assert owed.state == "PENDING" and owed.attempts >= 1 and owed.last_error
        await world.restart()
        for _ in range(6):
            world.clock.advance(seconds=20)
            await world.settle()
        accepted = [s for s in world.emsp.requests("/results/") if s.body == {"result": "ACCEPTED"}]
        assert len(world.emsp.requests("/results/")) == 3
        assert len(accepted) == 3  # the same result, twice refused, then delivered
        assert await world.callbacks() == []
        delivered = world.emsp.requests("/results/")[-1]
        assert (
            delivered.headers["ocpi-from-party-id"] == "CPO"
            and delivered.headers["ocpi-to-party-id"] == "MSP"
        )
        assert delivered.headers["authorization"].startswith("Token ")


async def test_a_result_that_is_refused_every_time_is_left_failed(backend: str, tmp_path: Path) -> None:
    async with charging_world(backend, tmp_path, callback_backoff_s=1, callback_attempts=3) as world:
        world.emsp.refuse_results = 100
        await world.command("START_SESSION", start_body())
        for _ in range(6):
            await world.settle()
            world.clock.advance(seconds=10)
        [failed] = await world.callbacks()
        assert failed.state == "FAILED" and failed.attempts == 3


async def test_unlock_frees_a_stuck_connector_but_not_one_that_charges(backend: str, tmp_path: Path) -> None:
    async with charging_world(backend, tmp_path) as world:
        unlock = {
            "response_url": "http://msp.test/results/u1",
            "location_id": "LOC1",
            "evse_uid": "E1",
            "connector_id": "1",
        }
        await world.admin("POST", "LOC1/E1/plug-in")
        await world.command("START_SESSION", start_body())
        await world.settle()
        await world.command("UNLOCK_CONNECTOR", unlock)
        await world.settle()
        assert (await world.results())[-1]["result"] == "REJECTED"
        [session] = await world.sessions()
        await world.command(
            "STOP_SESSION", {"response_url": "http://msp.test/results/s", "session_id": session.id}
        )
        await world.settle()
        await world.command("UNLOCK_CONNECTOR", {**unlock, "response_url": "http://msp.test/results/u2"})
        await world.settle()
        assert (await world.results())[-1]["result"] == "ACCEPTED"
        charger = (await world.admin("GET", "LOC1/E1")).json()
        assert charger["vehicle"] is None and charger["phase"] == "IDLE"


async def test_stop_session_of_a_finished_session_is_rejected(backend: str, tmp_path: Path) -> None:
    async with charging_world(backend, tmp_path) as world:
        await world.admin("POST", "LOC1/E1/plug-in")
        await world.command("START_SESSION", start_body())
        await world.settle()
        [session] = await world.sessions()
        await world.step(10)
        stop = {"response_url": "http://msp.test/results/s", "session_id": session.id}
        await world.command("STOP_SESSION", stop)
        await world.settle()
        again = await world.command("STOP_SESSION", stop)
        assert again["data"]["result"] == "REJECTED"
        assert len(await world.cdrs()) == 1


async def test_a_session_stopped_the_instant_it_started_has_no_cdr(backend: str, tmp_path: Path) -> None:
    async with charging_world(backend, tmp_path) as world:
        await world.admin("POST", "LOC1/E1/plug-in")
        await world.command("START_SESSION", start_body())
        await world.settle()
        [session] = await world.sessions()
        stop = {"response_url": "http://msp.test/results/s", "session_id": session.id}
        await world.command("STOP_SESSION", stop)
        await world.settle()
        assert (await world.results())[-1] == {"result": "ACCEPTED"}
        assert (await world.session(session.id)).status.value == "COMPLETED"
        assert await world.cdrs() == []


async def test_a_response_url_on_a_host_the_partner_did_not_register_is_2001(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        for url in ("http://127.0.0.1:5432/internal", "http://metadata.internal/latest", "ftp://msp.test/x"):
            reply = await world.command("START_SESSION", {**start_body(), "response_url": url})
            assert reply["status_code"] == 2001, url
            assert "response_url" in reply["status_message"]
        assert await _requests(world) == 0
        assert await world.sessions() == []
