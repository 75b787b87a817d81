"""The shared OCPI field types: what they accept, what they refuse and how they are written out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field, ValidationError

from laddhub.ocpi.common import (
    URL,
    CiString,
    CountryCode,
    CurrencyCode,
    DateTime,
    GeoLocation,
    ListOf,
    NonEmptyList,
    Number,
    OcpiModel,
    PartyId,
    Price,
    String,
    ci_equal,
    ci_key,
    format_datetime,
)
from laddhub.ocpi.validation import describe_validation_error


class Sample(OcpiModel):
    ci: Annotated[str, CiString(5)] | None = None
    text: Annotated[str, String(8)] | None = None
    when: DateTime | None = None
    amount: Number | None = None
    url: URL | None = None
    country_code: CountryCode | None = None
    party_id: PartyId | None = None
    currency: CurrencyCode | None = None
    tags: ListOf[Annotated[str, CiString(5)]] = Field(default_factory=list)
    parts: NonEmptyList[int] | None = None


def refusal(payload: dict[str, object]) -> str:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(payload)
    return describe_validation_error(caught.value)


# --- CiString and string ---------------------------------------------------------------------------------


def test_ci_string_keeps_its_case_and_compares_without_it() -> None:
    sample = Sample.model_validate_json('{"ci": "AbC"}')
    assert sample.ci == "AbC"
    assert ci_key("AbC") == ci_key("abc") == "ABC"
    assert ci_equal("loc1", "LOC1")
    assert not ci_equal("loc1", "loc2")


def test_ci_string_refuses_more_characters_than_its_length() -> None:
    assert Sample.model_validate({"ci": "abcde"}).ci == "abcde"
    assert refusal({"ci": "abcdef"}) == "ci: is 6 characters long, more than the maximum of 5"


@pytest.mark.parametrize("value", ["é", "a\tb", "\x7f"])
def test_ci_string_refuses_anything_but_printable_ascii(value: str) -> None:
    assert "only printable ASCII" in refusal({"ci": value})


def test_string_accepts_printable_unicode() -> None:
    assert Sample.model_validate({"text": "Malmö ✓"}).text == "Malmö ✓"


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\tb", "\x00", "\x85"])
def test_string_refuses_control_characters(value: str) -> None:
    assert refusal({"text": value}).startswith("text: value ")
    assert "control characters" in refusal({"text": value})


def test_string_length_counts_characters_not_bytes() -> None:
    assert Sample.model_validate({"text": "öööööööö"}).text == "öööööööö"
    assert "more than the maximum of 8" in refusal({"text": "ööööööööö"})


def test_country_party_and_currency_codes_are_upper_cased() -> None:
    sample = Sample.model_validate({"country_code": "nl", "party_id": "tNm", "currency": "eur"})
    assert (sample.country_code, sample.party_id, sample.currency) == ("NL", "TNM", "EUR")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("country_code", "NLD"),
        ("country_code", "N1"),
        ("party_id", "TN"),
        ("party_id", "T-M"),
        ("currency", "EU"),
    ],
)
def test_codes_of_the_wrong_shape_are_refused(field: str, value: str) -> None:
    assert refusal({field: value}).startswith(f"{field}: value {value!r}: expected")


def test_url_is_kept_verbatim_and_must_be_http() -> None:
    assert Sample.model_validate({"url": "https://example.com/ocpi/versions/"}).url == (
        "https://example.com/ocpi/versions/"
    )
    assert "expected an http(s) URL" in refusal({"url": "example.com"})
    assert "expected an http(s) URL" in refusal({"url": "https://exa mple.com"})
    assert "maximum of 255" in refusal({"url": "https://e.com/" + "a" * 250})


# --- DateTime ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-06-29T20:39:09Z", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29T20:39:09", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2016-12-29T17:45:09.2Z", datetime(2016, 12, 29, 17, 45, 9, 200000, tzinfo=UTC)),
        ("2016-12-29T17:45:09.2", datetime(2016, 12, 29, 17, 45, 9, 200000, tzinfo=UTC)),
        ("2018-01-01T01:08:01.123Z", datetime(2018, 1, 1, 1, 8, 1, 123000, tzinfo=UTC)),
        ("2018-01-01T01:08:01.123", datetime(2018, 1, 1, 1, 8, 1, 123000, tzinfo=UTC)),
        ("2018-01-01T01:08:01+00:00", datetime(2018, 1, 1, 1, 8, 1, tzinfo=UTC)),
        ("2018-01-01T02:08:01.5+01:00", datetime(2018, 1, 1, 1, 8, 1, 500000, tzinfo=UTC)),
        ("2017-12-31T20:08:01-05:00", datetime(2018, 1, 1, 1, 8, 1, tzinfo=UTC)),
    ],
)
def test_datetime_accepts_the_spec_shapes_and_offsets_as_utc(text: str, expected: datetime) -> None:
    parsed = Sample.model_validate_json(json.dumps({"when": text})).when
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "2015-06-29 20:39:09",
        "2015-06-29T20:39",
        "2015-06-29",
        "2015-06-29T20:39:09z",
        "2015-06-29T20:39:09+0100",
        "1435610349",
        "2015-02-30T20:39:09Z",
        "2015-06-29T25:39:09Z",
    ],
)
def test_datetime_refuses_other_shapes_and_impossible_dates(text: str) -> None:
    message = refusal({"when": text})
    assert message.startswith("when: ")
    assert repr(text) in message


def test_datetime_refuses_numbers_and_naive_datetime_objects() -> None:
    assert refusal({"when": 1435610349}).startswith("when: expected an OCPI DateTime")
    assert "timezone-aware" in refusal({"when": datetime(2015, 6, 29, 20, 39, 9)})


def test_aware_datetime_objects_are_converted_to_utc() -> None:
    cet = timezone(timedelta(hours=1))
    sample = Sample(when=datetime(2015, 6, 29, 21, 39, 9, tzinfo=cet))
    assert sample.when == datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)
    assert sample.when is not None and sample.when.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC), "2015-06-29T20:39:09Z"),
        (datetime(2015, 6, 29, 20, 39, 9, 200000, tzinfo=UTC), "2015-06-29T20:39:09.2Z"),
        (datetime(2015, 6, 29, 20, 39, 9, 123456, tzinfo=UTC), "2015-06-29T20:39:09.123456Z"),
        (datetime(2015, 6, 29, 20, 39, 9, 120, tzinfo=UTC), "2015-06-29T20:39:09.00012Z"),
        (datetime(2015, 6, 29, 22, 39, 9, tzinfo=timezone(timedelta(hours=2))), "2015-06-29T20:39:09Z"),
    ],
)
def test_datetime_is_written_in_utc_with_z_and_a_trimmed_fraction(value: datetime, written: str) -> None:
    assert format_datetime(value) == written
    assert Sample(when=value).to_ocpi() == {"when": written}


@settings(max_examples=200, deadline=None)
@given(st.datetimes(timezones=st.just(UTC)))
def test_datetime_survives_a_round_trip_through_json(value: datetime) -> None:
    sample = Sample(when=value)
    assert Sample.model_validate_json(sample.to_ocpi_json()).when == value


# --- Number ------------------------------------------------------------------------------------------------


def test_number_is_a_decimal_with_the_digits_that_were_sent() -> None:
    sample = Sample.model_validate_json('{"amount": 0.1}')
    assert sample.amount == Decimal("0.1")
    assert isinstance(sample.amount, Decimal)
    assert Sample.model_validate_json('{"amount": 123456789.1234}').amount == Decimal("123456789.1234")


def test_number_is_written_as_a_json_number_never_a_string() -> None:
    assert Sample(amount=Decimal("5.50")).to_ocpi_json() == b'{"amount":5.5}'
    assert Sample(amount=Decimal("41000")).to_ocpi_json() == b'{"amount":41000}'
    assert Sample(amount=Decimal("-0.0006")).to_ocpi() == {"amount": -0.0006}


def test_number_refuses_infinity_and_nan() -> None:
    assert refusal({"amount": "Infinity"}).startswith("amount: ")
    assert refusal({"amount": "NaN"}).startswith("amount: ")


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(
        min_value=Decimal("-99999999999"), max_value=Decimal("99999999999"), places=4, allow_nan=False
    )
)
def test_numbers_with_four_decimals_cross_json_exactly(value: Decimal) -> None:
    written = Sample(amount=value).to_ocpi_json()
    assert Decimal(json.loads(written, parse_float=Decimal)["amount"]) == value
    assert Sample.model_validate_json(written).amount == value


def test_python_dumps_keep_decimals() -> None:
    assert Price(excl_vat=Decimal("2.50")).model_dump()["excl_vat"] == Decimal("2.50")


# --- Lists and absent fields ------------------------------------------------------------------------------


def test_absent_null_and_empty_star_lists_are_all_empty() -> None:
    assert Sample.model_validate_json("{}").tags == []
    assert Sample.model_validate_json('{"tags": null}').tags == []
    assert Sample.model_validate_json('{"tags": []}').tags == []


def test_plus_lists_need_an_element() -> None:
    assert refusal({"parts": []}) == "parts: needs at least 1 element(s), got 0"


def test_null_optional_fields_are_absent_and_not_written() -> None:
    sample = Sample.model_validate_json('{"ci": null, "amount": null, "tags": null}')
    assert sample.ci is None
    assert sample.to_ocpi() == {}
    assert sample.to_ocpi_json() == b"{}"


def test_unknown_fields_are_ignored() -> None:
    assert Sample.model_validate_json('{"ci": "a", "extension": {"x": 1}}').to_ocpi() == {"ci": "a"}


# --- GeoLocation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        ("51.047599", "3.729944"),
        ("-33.86785", "151.20990"),
        ("0.0000000", "-179.1234567"),
        ("9.12345", "0.12345"),
    ],
)
def test_geolocation_accepts_five_to_seven_decimals(latitude: str, longitude: str) -> None:
    point = GeoLocation(latitude=latitude, longitude=longitude)
    assert point.to_ocpi() == {"latitude": latitude, "longitude": longitude}


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [
        ("51.0475", "3.729944", "latitude"),
        ("51.04759912", "3.729944", "latitude"),
        ("51,047599", "3.729944", "latitude"),
        ("151.047599", "3.729944", "latitude"),
        ("51.047599", "3.7299", "longitude"),
        ("51.047599", "1000.72994", "longitude"),
        ("51.047599", "+3.729944", "longitude"),
    ],
)
def test_geolocation_refuses_other_notations(latitude: str, longitude: str, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        GeoLocation(latitude=latitude, longitude=longitude)
    assert describe_validation_error(caught.value).startswith(f"{field}: value ")


@pytest.mark.parametrize(("latitude", "longitude"), [("95.000000", "3.729944"), ("51.047599", "181.00000")])
def test_geolocation_refuses_points_off_the_globe(latitude: str, longitude: str) -> None:
    with pytest.raises(ValidationError) as caught:
        GeoLocation(latitude=latitude, longitude=longitude)
    assert "is outside" in describe_validation_error(caught.value)
