"""Every JSON example shipped with the OCPI 2.2.1 spec parses into our models and comes back out equal.

Each file is mapped to the model it holds and to our decision about it. The files the digest lists as
defective (§16) are either *rejected* with a message naming the offending fields or deliberately
*tolerated*; each decision cites the digest and is explained in docs/ocpi-examples.md. A file without
a mapping fails the suite, so a new example cannot slip past unchecked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from laddhub.ocpi.common import (
    DATETIME_PATTERN,
    DateTime,
    DisplayText,
    OcpiModel,
    format_datetime,
    unknown_fields,
)
from laddhub.ocpi.v2_2_1.cdrs import CDR
from laddhub.ocpi.v2_2_1.credentials import Credentials
from laddhub.ocpi.v2_2_1.locations import (
    EVSE,
    ConnectorPatch,
    EnergyMix,
    EvsePatch,
    Hours,
    Location,
    LocationPatch,
)
from laddhub.ocpi.v2_2_1.sessions import Session, SessionPatch
from laddhub.ocpi.v2_2_1.tariffs import Tariff
from laddhub.ocpi.v2_2_1.tokens import Token, TokenPatch
from laddhub.ocpi.v2_2_1.versions import Version, VersionDetails
from laddhub.ocpi.validation import describe_validation_error

# --- How a file is read --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """Where the OCPI object sits in an example file."""

    model: type[OcpiModel]
    many: bool = False
    envelope: bool = False
    wrapper_key: str | None = None

    def parse(self, raw: bytes) -> Any:
        """Parse the file and return it re-serialised by our models, in the file's own layout."""
        if self.envelope:
            envelope = json.loads(raw)
            assert set(envelope) <= {"data", "status_code", "status_message", "timestamp"}
            assert isinstance(envelope["status_code"], int)
            timestamp = TypeAdapter(DateTime).validate_python(envelope["timestamp"])
            data = json.dumps(envelope["data"]).encode()
            return {**envelope, "data": self._objects(data), "timestamp": format_datetime(timestamp)}
        if self.wrapper_key is not None:
            wrapper = json.loads(raw)
            assert list(wrapper) == [self.wrapper_key]
            return {self.wrapper_key: self._objects(json.dumps(wrapper[self.wrapper_key]).encode())}
        return self._objects(raw)

    def _objects(self, raw: bytes) -> Any:
        if self.many:
            items: list[OcpiModel] = TypeAdapter(list[self.model]).validate_json(raw)  # type: ignore[name-defined]
            return [item.to_ocpi() for item in items]
        return self.model.model_validate_json(raw).to_ocpi()

    def payload_objects(self, raw: bytes) -> Any:
        payload = json.loads(raw)
        if self.envelope:
            return payload["data"]
        if self.wrapper_key is not None:
            return payload[self.wrapper_key]
        return payload


@dataclass(frozen=True)
class Valid:
    """A valid example: it must round-trip."""

    shape: Shape


@dataclass(frozen=True)
class Tolerated:
    """A defective example we deliberately accept; ``reason`` says why (with the digest reference)."""

    shape: Shape
    reason: str


@dataclass(frozen=True)
class Rejected:
    """A defective example we refuse: the 2001 message must name every field in ``fields``."""

    shape: Shape
    reason: str
    fields: tuple[str, ...]
    unknown: tuple[str, ...] = field(default=())


Decision = Valid | Tolerated | Rejected

LOCATION = Shape(Location)
TARIFF = Shape(Tariff)
TOKEN = Shape(Token)
WH_ENERGY = (
    "ENERGY volumes that look like Wh (120, 41000, 2200) are still numbers; the unit is a meaning the "
    "model cannot check (digest §16 item 13)"
)
VERSION_2_2 = 'announces version "2.2", which is a listed (deprecated) VersionNumber (digest §16 item 6)'

SPEC_2_2_1: dict[str, Decision] = {
    "cdr_example.json": Tolerated(
        Shape(CDR),
        "latitude and longitude are swapped (digest §16 item 14), but both are well-formed and on the "
        "globe, so no field rule can tell",
    ),
    "credentials_example.json": Valid(Shape(Credentials)),
    "credentials_example2.json": Valid(Shape(Credentials)),
    "credentials_example3.json": Valid(Shape(Credentials)),
    "credentials_example4.json": Valid(Shape(Credentials)),
    "location_energymix_example_complete.json": Valid(Shape(EnergyMix, wrapper_key="energy_mix")),
    "location_energymix_example_energy_provider.json": Valid(Shape(EnergyMix, wrapper_key="energy_mix")),
    "location_energymix_example_simple.json": Valid(Shape(EnergyMix, wrapper_key="energy_mix")),
    "location_example.json": Valid(LOCATION),
    "location_example_parking_garage_opening_hours.json": Valid(LOCATION),
    "location_example_uc2_destination_charger.json": Valid(LOCATION),
    "location_example_uc3_destination_charger_not_published.json": Valid(LOCATION),
    "location_example_uc4_limited_visibility.json": Valid(LOCATION),
    "location_example_uc5_home_charge_point.json": Valid(LOCATION),
    "location_hours_247_open_exception_closing.json": Valid(Shape(Hours)),
    "location_hours_opening_hours_with_exceptional_closing.json": Valid(Shape(Hours)),
    "location_hours_opening_hours_with_exceptional_opening.json": Valid(Shape(Hours)),
    "location_patch_example_location.json": Valid(Shape(LocationPatch)),
    "location_patch_example_remove_evse.json": Valid(Shape(EvsePatch)),
    "location_patch_example_status.json": Valid(Shape(EvsePatch)),
    "location_patch_example_tariff.json": Valid(Shape(ConnectorPatch)),
    "location_put_example_add_evse.json": Rejected(
        Shape(EVSE),
        "not a valid EVSE: the connector lacks power_type, max_voltage, max_amperage and last_updated, "
        "physical_reference is a number, and floor is not a field (digest §16 item 15)",
        fields=(
            "connectors[0].power_type: required field is missing",
            "connectors[0].max_voltage: required field is missing",
            "connectors[0].max_amperage: required field is missing",
            "connectors[0].last_updated: required field is missing",
            "physical_reference: input should be a valid string",
        ),
        unknown=("floor",),
    ),
    "location_regularhours_example.json": Valid(Shape(Hours, wrapper_key="opening_times")),
    "session_example_1_simple_start.json": Valid(Shape(Session)),
    "session_example_2_short_finished.json": Tolerated(Shape(Session), WH_ENERGY),
    "session_patch_example_charging_period.json": Tolerated(Shape(SessionPatch), WH_ENERGY),
    "session_patch_example_total_cost.json": Valid(Shape(SessionPatch)),
    "tariff_10_025kwh_parking_start.json": Valid(TARIFF),
    "tariff_11_not_possible_alt_text.json": Valid(TARIFF),
    "tariff_12_025kwh_min_price.json": Valid(TARIFF),
    "tariff_13_simple_3hour_5parking.json": Valid(TARIFF),
    "tariff_14_step_size.json": Valid(TARIFF),
    "tariff_15_reservation_5_euro_per_hour.json": Valid(TARIFF),
    "tariff_16_reservation_2_euro_fee_5_euro_per_hour.json": Valid(TARIFF),
    "tariff_17_reservation_with_expire_fee.json": Valid(TARIFF),
    "tariff_18_reservation_with_expire_time.json": Valid(TARIFF),
    "tariff_1_simple_2hour.json": Valid(TARIFF),
    "tariff_2_alt_text.json": Valid(TARIFF),
    "tariff_3_alt_url.json": Valid(TARIFF),
    "tariff_4_complex.json": Valid(TARIFF),
    "tariff_5_free_of_charge.json": Tolerated(
        TARIFF,
        "step_size 0 (digest §16 item 17) is a non-negative integer, and a FLAT component has no step to "
        "apply it to",
    ),
    "tariff_6_025kwh_start_max_price.json": Valid(TARIFF),
    "tariff_8_simple_025kwh.json": Valid(TARIFF),
    "tariff_9_025kwh_start.json": Valid(TARIFF),
    "tariff_put_example.json": Rejected(
        TARIFF,
        "the required last_updated is missing (digest §16 item 16)",
        fields=("last_updated: required field is missing",),
    ),
    "tariffrestriction_example_max_duration.json": Valid(TARIFF),
    "tariffrestriction_example_max_power.json": Valid(TARIFF),
    "token_example_1_app_user.json": Valid(TOKEN),
    "token_example_2_full_rfid.json": Valid(TOKEN),
    "token_patch_example.json": Valid(Shape(TokenPatch)),
    "token_put_example.json": Valid(TOKEN),
    "transport_and_format_get_token_example.json": Valid(Shape(Token, envelope=True)),
    "transport_and_format_get_token_list_example.json": Valid(Shape(Token, many=True, envelope=True)),
    "transport_and_format_version_details_example.json": Tolerated(
        Shape(VersionDetails, envelope=True), VERSION_2_2
    ),
    "transport_and_format_version_info_example.json": Tolerated(
        Shape(Version, many=True, envelope=True), VERSION_2_2
    ),
    "type_displaytext_example.json": Valid(Shape(DisplayText)),
    "version_details_example.json": Tolerated(Shape(VersionDetails), VERSION_2_2),
    "version_details_example2.json": Tolerated(Shape(VersionDetails), VERSION_2_2),
    "versions_info_example.json": Valid(Shape(Version, many=True)),
}

CDR_TOKEN_WITHOUT_OWNER = (
    "the 2021 release's CdrToken lacks the country_code and party_id that 2.2.1 itself made required "
    "(digest §16 item 19)"
)

# The 2021 release: the same files as the bug-fix branch except where noted.
SPEC_2_2_1_ORIGINAL: dict[str, Decision] = {
    **SPEC_2_2_1,
    "cdr_example.json": Rejected(
        Shape(CDR),
        CDR_TOKEN_WITHOUT_OWNER,
        fields=(
            "cdr_token.country_code: required field is missing",
            "cdr_token.party_id: required field is missing",
        ),
    ),
    "session_example_1_simple_start.json": Rejected(
        Shape(Session),
        CDR_TOKEN_WITHOUT_OWNER,
        fields=(
            "cdr_token.country_code: required field is missing",
            "cdr_token.party_id: required field is missing",
        ),
    ),
    "session_example_2_short_finished.json": Rejected(
        Shape(Session),
        CDR_TOKEN_WITHOUT_OWNER,
        fields=(
            "cdr_token.country_code: required field is missing",
            "cdr_token.party_id: required field is missing",
        ),
    ),
    "tariff_7_first_hour_kwh_free.json": Tolerated(
        TARIFF,
        "well-formed, but it uses min/max_duration as if they counted parking time; it was removed in d2 and "
        "must not serve as a pricing test vector (digest §16 item 31)",
    ),
    "versions_info_example.json": Tolerated(Shape(Version, many=True), VERSION_2_2),
}

DIRECTORIES = {"2.2.1": SPEC_2_2_1, "2.2.1-original": SPEC_2_2_1_ORIGINAL}
CASES = [(directory, name) for directory, mapping in DIRECTORIES.items() for name in sorted(mapping)]


# --- Comparison ----------------------------------------------------------------------------------------

_DATETIME = TypeAdapter(DateTime)
_DATETIME_SHAPE = re.compile(DATETIME_PATTERN)


def comparable(value: Any) -> Any:
    """Make JSON values compare as OCPI means them: numbers by value, DateTimes as instants."""
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [comparable(item) for item in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str) and _DATETIME_SHAPE.match(value):
        instant: datetime = _DATETIME.validate_python(value)
        return instant
    return value


def read_json(raw: bytes) -> Any:
    return json.loads(raw, parse_float=Decimal)


# --- Tests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("directory", sorted(DIRECTORIES))
def test_every_example_file_has_a_decision(ocpi_examples: Path, directory: str) -> None:
    on_disk = {path.name for path in (ocpi_examples / directory).glob("*.json")}
    mapped = set(DIRECTORIES[directory])
    assert on_disk - mapped == set(), "example files without a decision in this test"
    assert mapped - on_disk == set(), "decisions for example files that no longer exist"


@pytest.mark.parametrize(("directory", "name"), CASES)
def test_example_file_matches_its_decision(ocpi_examples: Path, directory: str, name: str) -> None:
    decision = DIRECTORIES[directory][name]
    raw = (ocpi_examples / directory / name).read_bytes()
    if isinstance(decision, Rejected):
        with pytest.raises(ValidationError) as caught:
            decision.shape.parse(raw)
        message = describe_validation_error(caught.value)
        for expected in decision.fields:
            assert expected in message
        assert message.count(";") == len(decision.fields) - 1, message
        assert unknown_fields(decision.shape.model, decision.shape.payload_objects(raw)) == list(
            decision.unknown
        )
        return
    written = decision.shape.parse(raw)
    assert comparable(written) == comparable(read_json(raw))
    model: type[BaseModel] = decision.shape.model
    assert unknown_fields(model, decision.shape.payload_objects(raw)) == []


def test_tolerated_and_rejected_examples_say_why() -> None:
    for mapping in DIRECTORIES.values():
        for decision in mapping.values():
            if isinstance(decision, Tolerated | Rejected):
                assert "digest §16 item" in decision.reason
