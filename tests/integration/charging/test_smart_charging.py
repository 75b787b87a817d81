"""Charging profiles (set, read, clear, with results and updates) and charging preferences."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from laddhub.ocpi.common import format_datetime
from tests.integration.charging.harness import (
    OTH_TOKEN,
    ChargingWorld,
    charging_world,
    evening_tariff,
    evse,
    location,
    start_body,
)

PROFILE = {"charging_rate_unit": "W", "charging_profile_period": [{"start_period": 0, "limit": 3000}]}


async def charging_session(world: ChargingWorld, evse_uid: str = "E1") -> str:
    await world.admin("POST", f"LOC1/{evse_uid}/plug-in", {"energy_kwh": 60, "max_power_kw": 11})
    await world.command("START_SESSION", start_body(evse_uid))
    await world.settle()
    session_id = next(s.id for s in await world.sessions() if s.evse_uid == evse_uid)
    return session_id


async def profile_request(
    world: ChargingWorld, method: str, session_id: str, body: Any = None, **params: Any
) -> dict[str, Any]:
    response = await world.ocpi(method, f"/ocpi/2.2.1/cpo/chargingprofiles/{session_id}", body, **params)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_profile_limits_the_draw_and_its_sender_hears_of_every_active_profile_change(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        session_id = await charging_session(world)
        await world.step(10)
        reply = await profile_request(
            world,
            "PUT",
            session_id,
            {"charging_profile": PROFILE, "response_url": "http://msp.test/results/set"},
        )
        assert reply["data"] == {"result": "ACCEPTED", "timeout": 30}
        await world.settle()
        assert world.emsp.requests("/results/set")[0].body == {"result": "ACCEPTED"}
        [update] = world.emsp.requests(f"/chargingprofiles/{session_id}")
        assert update.method == "PUT"
        assert update.body["charging_profile"]["charging_profile_period"] == [
            {"start_period": 0, "limit": 3000}
        ]

        await world.step(60, every=10)
        powers = [
            d.volume
            for p in (await world.session(session_id)).charging_periods
            for d in p.dimensions
            if d.type.value == "MAX_POWER"
        ]
        assert powers[0] == Decimal(11) and powers[-1] == Decimal(3)

        await profile_request(
            world, "GET", session_id, duration=900, response_url="http://msp.test/results/get"
        )
        await world.settle()
        active = world.emsp.requests("/results/get")[0].body
        assert active["result"] == "ACCEPTED"
        assert active["profile"]["charging_profile"]["charging_profile_period"] == [
            {"start_period": 0, "limit": 3000}
        ]
        assert active["profile"]["charging_profile"]["duration"] == 900

        await profile_request(world, "DELETE", session_id, response_url="http://msp.test/results/clear")
        await world.settle()
        assert world.emsp.requests("/results/clear")[0].body == {"result": "ACCEPTED"}
        updates = world.emsp.requests(f"/chargingprofiles/{session_id}")
        assert len(updates) == 2
        assert (
            updates[-1].body["charging_profile"]["charging_profile_period"][0]["limit"] == 22080
        )  # capacity

        await profile_request(world, "DELETE", session_id, response_url="http://msp.test/results/clear2")
        await world.settle()
        assert world.emsp.requests("/results/clear2")[0].body == {"result": "UNKNOWN"}


async def test_a_profile_that_ends_gives_the_capacity_back_and_is_announced(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        session_id = await charging_session(world)
        limited = {**PROFILE, "duration": 1200}
        await profile_request(
            world,
            "PUT",
            session_id,
            {"charging_profile": limited, "response_url": "http://msp.test/results/set"},
        )
        await world.settle()
        await world.step(30, every=10)
        updates = world.emsp.requests(f"/chargingprofiles/{session_id}")
        assert (
            len(updates) == 2
            and updates[-1].body["charging_profile"]["charging_profile_period"][0]["limit"] == 22080
        )


async def test_sessions_never_set_by_a_sender_get_no_updates_and_others_may_not_set_profiles(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        session_id = await charging_session(world)
        response = await world.ocpi(
            "PUT",
            f"/ocpi/2.2.1/cpo/chargingprofiles/{session_id}",
            {"charging_profile": PROFILE, "response_url": "http://oth.test/results/set"},
            secret=OTH_TOKEN,
        )
        assert response.json()["data"]["result"] == "REJECTED"
        unknown = await profile_request(
            world,
            "PUT",
            "no-such-session",
            {"charging_profile": PROFILE, "response_url": "http://msp.test/r"},
        )
        assert unknown["data"]["result"] == "UNKNOWN_SESSION"
        await world.step(30, every=10)
        assert world.emsp.requests("/chargingprofiles/") == []
        assert world.other.seen == []


async def test_profiles_need_the_capability_an_online_charger_and_patience(
    backend: str, tmp_path: Path
) -> None:
    evses = [evse("E1", capabilities=["REMOTE_START_STOP_CAPABLE"]), evse("E2")]
    async with charging_world(backend, tmp_path, evses=evses, charging_profile_min_interval_s=60) as world:
        plain = await charging_session(world, "E1")
        capable = await charging_session(world, "E2")
        body = {"charging_profile": PROFILE, "response_url": "http://msp.test/results/p"}
        assert (await profile_request(world, "PUT", plain, body))["data"]["result"] == "NOT_SUPPORTED"
        assert (await profile_request(world, "PUT", capable, body))["data"]["result"] == "ACCEPTED"
        assert (await profile_request(world, "PUT", capable, body))["data"]["result"] == "TOO_OFTEN"
        world.clock.advance(seconds=61)
        assert (await profile_request(world, "PUT", capable, body))["data"]["result"] == "ACCEPTED"


async def test_profile_requests_with_bad_parameters_are_2001(backend: str, tmp_path: Path) -> None:
    async with charging_world(backend, tmp_path) as world:
        session_id = await charging_session(world)
        no_duration = await profile_request(world, "GET", session_id, response_url="http://msp.test/r")
        assert no_duration["status_code"] == 2001
        no_url = await profile_request(world, "DELETE", session_id)
        assert no_url["status_code"] == 2001 and "response_url" in no_url["status_message"]
        bad_url = await profile_request(world, "GET", session_id, duration=60, response_url="ftp://x")
        assert bad_url["status_code"] == 2001
        bad_body = await profile_request(
            world, "PUT", session_id, {"charging_profile": {"charging_rate_unit": "kW"}}
        )
        assert bad_body["status_code"] == 2001


def preferences(profile: str = "FAST", **extra: Any) -> dict[str, Any]:
    return {"profile_type": profile, **extra}


async def put_preferences(
    world: ChargingWorld, session_id: str, body: Any, *, secret: str | None = None
) -> Any:
    kwargs = {} if secret is None else {"secret": secret}
    return await world.ocpi(
        "PUT", f"/ocpi/2.2.1/cpo/sessions/{session_id}/charging_preferences", body, **kwargs
    )


async def test_preferences_choose_the_profile_tariff_when_charging_starts(
    backend: str, tmp_path: Path
) -> None:
    async with charging_world(backend, tmp_path) as world:
        await world.put_tariff(evening_tariff(id="T-FAST", type="PROFILE_FAST"))
        await world.put_location(location(evse("E1", tariffs=["T-EVENING", "T-FAST"]), evse("E2")))
        await world.command("START_SESSION", start_body("E1"))
        await world.settle()
        [pending] = await world.sessions()
        assert pending.status.value == "PENDING"
        response = await put_preferences(world, pending.id, preferences("FAST"))
        assert response.status_code == 200 and response.json()["data"] == "ACCEPTED"
        assert response.headers["ocpi-from-party-id"] == "CPO"
        await world.admin("POST", "LOC1/E1/plug-in")
        await world.step(20)
        await world.admin("POST", "LOC1/E1/unplug")
        [cdr] = await world.cdrs()
        assert [t.id for t in cdr.tariffs] == ["T-FAST"]


async def test_preferences_answers_follow_the_rules(backend: str, tmp_path: Path) -> None:
    evses = [
        evse("E1", tariffs=["T-EVENING", "T-CHEAP"]),
        evse("E2", capabilities=["REMOTE_START_STOP_CAPABLE"]),
    ]
    async with charging_world(backend, tmp_path, evses=evses) as world:
        await world.put_tariff(evening_tariff(id="T-CHEAP", type="PROFILE_CHEAP"))
        session_id = await charging_session(world, "E1")
        later = format_datetime(world.clock.now + timedelta(hours=4))
        answers = {
            "unsupported": preferences("GREEN", departure_time=later, energy_need=20),
            "departure": preferences("CHEAP", energy_need=20),
            "energy": preferences("CHEAP", departure_time=later),
            "past": preferences(
                "REGULAR", departure_time=format_datetime(world.clock.now - timedelta(hours=1))
            ),
            "regular": preferences("REGULAR"),
        }
        got = {k: (await put_preferences(world, session_id, v)).json()["data"] for k, v in answers.items()}
        assert got == {
            "unsupported": "PROFILE_TYPE_NOT_SUPPORTED",
            "departure": "DEPARTURE_REQUIRED",
            "energy": "ENERGY_NEED_REQUIRED",
            "past": "NOT_POSSIBLE",
            "regular": "ACCEPTED",
        }
        incapable = await charging_session(world, "E2")
        refused = await put_preferences(world, incapable, preferences())
        assert refused.status_code == 404 and refused.json()["status_code"] == 2001
        foreign = await put_preferences(world, session_id, preferences(), secret=OTH_TOKEN)
        assert foreign.status_code == 404
        invalid = await put_preferences(world, session_id, {"profile_type": "TURBO"})
        assert invalid.json()["status_code"] == 2001
