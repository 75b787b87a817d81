"""How refused and surprising payloads are reported: 2001 messages and unknown-field warnings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from laddhub.ocpi.common import unknown_fields
from laddhub.ocpi.v2_2_1.locations import Location, LocationPatch
from laddhub.ocpi.v2_2_1.sessions import Session
from laddhub.ocpi.validation import MAX_REPORTED_ERRORS, describe_validation_error, json_path
from tests.unit.ocpi import builders


def test_error_locations_become_json_paths() -> None:
    assert json_path(("evses", 0, "connectors", 1, "standard")) == "evses[0].connectors[1].standard"
    assert json_path((2, "uid")) == "[2].uid"
    assert json_path(()) == ""


def test_refusal_names_every_offending_field() -> None:
    payload = builders.location(
        city="c" * 46,
        evses=[builders.evse(connectors=[builders.connector(max_voltage="high", standard=None)])],
    )
    del payload["time_zone"]
    with pytest.raises(ValidationError) as caught:
        Location.model_validate(payload)
    assert describe_validation_error(caught.value).split("; ") == [
        "city: is 46 characters long, more than the maximum of 45",
        "evses[0].connectors[0].standard: required field must not be null",
        "evses[0].connectors[0].max_voltage: input should be a valid integer, unable to parse string as an "
        "integer (got 'high')",
        "time_zone: required field is missing",
    ]


def test_long_lists_of_problems_are_cut_short() -> None:
    periods = [{"start_date_time": "yesterday", "dimensions": [{"type": "ENERGY", "volume": 1}]}] * 15
    with pytest.raises(ValidationError) as caught:
        Session.model_validate(builders.session(charging_periods=periods))
    parts = describe_validation_error(caught.value).split("; ")
    assert len(parts) == MAX_REPORTED_ERRORS + 1
    assert parts[0].startswith("charging_periods[0].start_date_time: 'yesterday' is not an OCPI DateTime")
    assert parts[-1] == "and 5 more problem(s)"


def test_very_long_inputs_are_shortened_in_messages() -> None:
    with pytest.raises(ValidationError) as caught:
        Location.model_validate(builders.location(country="x" * 500))
    message = describe_validation_error(caught.value)
    assert len(message) < 200
    assert "..." in message


def test_unknown_fields_are_listed_by_path_at_every_depth() -> None:
    payload = builders.location(
        floor=1,
        evses=[
            builders.evse(connectors=[builders.connector(), builders.connector(id="2", colour="red")]),
            {"x": 1},
        ],
        operator={"name": "Op", "vat_number": "BE0123"},
        opening_times={"twentyfourseven": True, "regular_hours": [{"weekday": 1, "note": "closed"}]},
    )
    assert unknown_fields(Location, payload) == [
        "evses[0].connectors[1].colour",
        "evses[1].x",
        "floor",
        "operator.vat_number",
        "opening_times.regular_hours[0].note",
    ]


def test_unknown_fields_of_patches_and_lists() -> None:
    assert unknown_fields(
        LocationPatch, {"name": "x", "naem": "y", "last_updated": "2019-01-01T00:00:00Z"}
    ) == ["naem"]
    assert unknown_fields(Location, [builders.location(), builders.location(extra=True)]) == ["[1].extra"]


def test_unknown_fields_do_not_care_about_wrong_shapes() -> None:
    assert unknown_fields(Location, "not an object") == []
    assert unknown_fields(Location, {"evses": "not a list", "coordinates": 5}) == []
