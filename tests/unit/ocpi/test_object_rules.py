"""The rules of the OCPI objects beyond single fields: the spec's cross-field constraints."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from laddhub.ocpi.v2_2_1.cdrs import CDR, CdrLocation
from laddhub.ocpi.v2_2_1.chargingprofiles import ChargingProfile, SetChargingProfile
from laddhub.ocpi.v2_2_1.commands import StartSession
from laddhub.ocpi.v2_2_1.locations import EVSE, Hours, Location, PublishTokenType, RegularHours
from laddhub.ocpi.v2_2_1.sessions import Session
from laddhub.ocpi.v2_2_1.tariffs import Tariff
from laddhub.ocpi.v2_2_1.tokens import AuthorizationInfo, Token
from laddhub.ocpi.validation import describe_validation_error
from tests.unit.ocpi import builders


def refusal(model: type[BaseModel], payload: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(payload)
    return describe_validation_error(caught.value)


# --- Locations -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        {"uid": "12345678905880", "type": "RFID"},
        {"visual_number": "12345-67", "issuer": "NewMotion"},
        {"group_id": "DF000-2001-8999"},
        {"group_id": "DF000-2001-8999", "issuer": "NewMotion"},
    ],
)
def test_publish_token_type_accepts_entries_that_identify_tokens(entry: dict[str, str]) -> None:
    assert PublishTokenType.model_validate(entry).to_ocpi() == entry


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({}, "at least one of uid, visual_number or group_id must be set"),
        (
            {"type": "RFID", "issuer": "NewMotion"},
            "at least one of uid, visual_number or group_id must be set",
        ),
        ({"uid": "12345678905880"}, "type is required when uid is set"),
        ({"visual_number": "12345-67"}, "issuer is required when visual_number is set"),
    ],
)
def test_publish_token_type_refuses_entries_that_identify_nothing(
    entry: dict[str, str], problem: str
) -> None:
    payload = builders.location(publish=False, publish_allowed_to=[entry])
    assert refusal(Location, payload) == f"publish_allowed_to[0]: {problem}"


def test_publish_allowed_to_is_only_for_unpublished_locations() -> None:
    payload = builders.location(publish=True, publish_allowed_to=[{"group_id": "G1"}])
    assert refusal(Location, payload) == "publish_allowed_to may only be set when publish is false"


def test_regular_hours_are_needed_unless_always_open() -> None:
    assert refusal(Hours, {"twentyfourseven": False}) == (
        "regular_hours needs at least one entry when twentyfourseven is false"
    )
    always = {
        "twentyfourseven": True,
        "regular_hours": [{"weekday": 1, "period_begin": "08:00", "period_end": "20:00"}],
    }
    assert refusal(Hours, always) == "regular_hours must be empty when twentyfourseven is true"


@pytest.mark.parametrize(("begin", "end"), [("18:00", "08:00"), ("08:00", "08:00")])
def test_regular_hours_end_later_than_they_begin(begin: str, end: str) -> None:
    payload = {"weekday": 1, "period_begin": begin, "period_end": end}
    assert refusal(RegularHours, payload) == f"period_end {end} must be later than period_begin {begin}"


@pytest.mark.parametrize(
    ("field", "value"), [("weekday", 0), ("weekday", 8), ("period_begin", "24:00"), ("period_end", "7:00")]
)
def test_regular_hours_refuse_impossible_days_and_times(field: str, value: object) -> None:
    payload: dict[str, object] = {"weekday": 1, "period_begin": "08:00", "period_end": "20:00", field: value}
    assert refusal(RegularHours, payload).startswith(f"{field}: ")


def test_connector_ids_are_unique_within_an_evse_whatever_the_case() -> None:
    payload = builders.evse(connectors=[builders.connector(id="a1"), builders.connector(id="A1")])
    assert refusal(EVSE, payload) == "connector id 'A1' occurs more than once"


def test_evse_uids_are_unique_within_a_location() -> None:
    payload = builders.location(evses=[builders.evse(uid="1"), builders.evse(uid="1")])
    assert refusal(Location, payload) == "EVSE uid '1' occurs more than once"


def test_an_evse_needs_a_connector() -> None:
    assert refusal(EVSE, builders.evse(connectors=[])) == "connectors: needs at least 1 element(s), got 0"


def test_location_address_and_state_follow_the_errata_lengths() -> None:
    accepted = Location.model_validate(builders.location(address="a" * 255, state="s" * 45))
    assert len(accepted.address) == 255
    assert "more than the maximum of 255" in refusal(Location, builders.location(address="a" * 256))
    assert "more than the maximum of 45" in refusal(Location, builders.location(state="s" * 46))


def test_cdr_location_accepts_a_copied_location_address() -> None:
    payload = builders.cdr()["cdr_location"] | {"address": "a" * 255, "state": "s" * 45}
    assert len(CdrLocation.model_validate(payload).address) == 255


def test_charging_when_closed_stays_absent_when_not_sent() -> None:
    location = Location.model_validate(builders.location())
    assert location.charging_when_closed is None
    assert "charging_when_closed" not in location.to_ocpi()


def test_unknown_enum_values_are_refused_with_the_allowed_ones() -> None:
    payload = builders.location(evses=[builders.evse(connectors=[builders.connector(standard="FOO")])])
    message = refusal(Location, payload)
    assert message.startswith("evses[0].connectors[0].standard: value 'FOO' is not one of CHADEMO, CHAOJI, ")
    assert "IEC_60309_2_single_16" in message
    assert message.endswith("TESLA_R, TESLA_S")


# --- Sessions, CDRs, Tariffs ---------------------------------------------------------------------------


def test_credit_cdrs_name_the_cdr_they_credit() -> None:
    assert refusal(CDR, builders.cdr(credit=True)) == "credit_reference_id is required when credit is true"
    credit = CDR.model_validate(builders.cdr(id="12345-C", credit=True, credit_reference_id="12345"))
    assert credit.credit_reference_id == "12345"
    assert CDR.model_validate(builders.cdr(credit=False)).credit is False


@pytest.mark.parametrize(
    "dimension", ["CURRENT", "ENERGY_EXPORT", "ENERGY_IMPORT", "POWER", "STATE_OF_CHARGE"]
)
def test_session_only_dimensions_are_refused_in_cdrs_but_fine_in_sessions(dimension: str) -> None:
    periods = [builders.charging_period(("TIME", 1.0)), builders.charging_period((dimension, 12.5))]
    assert refusal(CDR, builders.cdr(charging_periods=periods)) == (
        f"charging_periods[1]: dimension {dimension} is only allowed in Sessions, not in CDRs"
    )
    assert len(Session.model_validate(builders.session(charging_periods=periods)).charging_periods) == 2


def test_a_cdr_needs_charging_periods_with_dimensions() -> None:
    assert refusal(CDR, builders.cdr(charging_periods=[])).startswith("charging_periods: needs at least 1")
    empty_period = [builders.charging_period()]
    assert refusal(CDR, builders.cdr(charging_periods=empty_period)).startswith(
        "charging_periods[0].dimensions: needs at least 1"
    )


def test_credit_cdrs_carry_negative_amounts() -> None:
    credit = CDR.model_validate(
        builders.cdr(credit=True, credit_reference_id="1", total_cost={"excl_vat": -4.00, "incl_vat": -4.40})
    )
    assert credit.total_cost.excl_vat == Decimal("-4.00")


def test_reservation_elements_price_only_fees_and_time() -> None:
    element = {
        "price_components": [{"type": "ENERGY", "price": 0.25, "step_size": 1}],
        "restrictions": {"reservation": "RESERVATION"},
    }
    assert refusal(Tariff, builders.tariff(elements=[element])) == (
        "elements[0]: an element with a reservation restriction may only have FLAT and TIME components, "
        "not ENERGY"
    )


@pytest.mark.parametrize(
    ("restrictions", "field"),
    [
        ({"start_time": "7:00"}, "start_time"),
        ({"end_time": "24:00"}, "end_time"),
        ({"start_date": "2019-13-01"}, "start_date"),
        ({"end_date": "19-06-01"}, "end_date"),
        ({"day_of_week": ["MON"]}, "day_of_week[0]"),
        ({"min_duration": -1}, "min_duration"),
    ],
)
def test_tariff_restrictions_refuse_malformed_values(restrictions: dict[str, object], field: str) -> None:
    element = {
        "price_components": [{"type": "TIME", "price": 1, "step_size": 1}],
        "restrictions": restrictions,
    }
    assert refusal(Tariff, builders.tariff(elements=[element])).startswith(
        f"elements[0].restrictions.{field}: "
    )


def test_price_components_refuse_a_negative_step_size() -> None:
    element = {"price_components": [{"type": "TIME", "price": 1, "step_size": -60}]}
    assert refusal(Tariff, builders.tariff(elements=[element])).startswith(
        "elements[0].price_components[0].step_size: "
    )


def test_a_tariff_needs_elements_with_price_components() -> None:
    assert refusal(Tariff, builders.tariff(elements=[])).startswith("elements: needs at least 1")
    assert refusal(Tariff, builders.tariff(elements=[{"price_components": []}])).startswith(
        "elements[0].price_components: needs at least 1"
    )


def test_vat_absent_and_vat_zero_stay_distinct() -> None:
    components = [
        {"type": "FLAT", "price": 1, "step_size": 1},
        {"type": "TIME", "price": 1, "vat": 0, "step_size": 1},
    ]
    tariff = Tariff.model_validate(builders.tariff(elements=[{"price_components": components}]))
    written = tariff.to_ocpi()["elements"][0]["price_components"]
    assert "vat" not in written[0]
    assert written[1]["vat"] == 0


def test_currency_and_owner_codes_are_upper_cased_in_every_object() -> None:
    tariff = Tariff.model_validate(builders.tariff(country_code="de", party_id="all", currency="eur"))
    assert (tariff.country_code, tariff.party_id, tariff.currency) == ("DE", "ALL", "EUR")


# --- Tokens and commands -------------------------------------------------------------------------------


def test_tokens_need_an_issuer() -> None:
    payload = builders.token()
    del payload["issuer"]
    assert refusal(Token, payload) == "issuer: required field is missing"


def test_authorization_info_carries_the_whole_token() -> None:
    info = AuthorizationInfo.model_validate(
        {
            "allowed": "ALLOWED",
            "token": builders.token(),
            "location": {"location_id": "LOC1", "evse_uids": None},
        }
    )
    assert info.location is not None and info.location.evse_uids == []
    assert info.to_ocpi()["location"] == {"location_id": "LOC1"}


def test_start_session_needs_the_evse_of_a_connector() -> None:
    payload = {
        "response_url": "https://emsp.example/ocpi/2.2.1/commands/START_SESSION/42",
        "token": builders.token(),
        "location_id": "LOC1",
        "connector_id": "1",
    }
    assert refusal(StartSession, payload) == "evse_uid is required when connector_id is set"
    assert StartSession.model_validate(payload | {"evse_uid": "3256"}).connector_id == "1"


# --- Charging profiles ---------------------------------------------------------------------------------


def test_charging_profile_limits_carry_at_most_one_decimal() -> None:
    profile = ChargingProfile.model_validate(
        {
            "charging_rate_unit": "A",
            "min_charging_rate": 6.0,
            "charging_profile_period": [
                {"start_period": 0, "limit": 16.5},
                {"start_period": 900, "limit": 10.50},
            ],
        }
    )
    assert [period.limit for period in profile.charging_profile_period] == [Decimal("16.5"), Decimal("10.5")]
    payload = {
        "response_url": "https://scsp.example/profiles/1",
        "charging_profile": {
            "charging_rate_unit": "W",
            "charging_profile_period": [{"start_period": 0, "limit": 7.25}],
        },
    }
    assert refusal(SetChargingProfile, payload) == (
        "charging_profile.charging_profile_period[0].limit: value 7.25 has more than 1 decimal"
    )
    rate = {"charging_rate_unit": "W", "min_charging_rate": 1.05}
    assert refusal(ChargingProfile, rate) == "min_charging_rate: value 1.05 has more than 1 decimal"
