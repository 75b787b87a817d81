"""PATCH bodies (spec §2.6): any field of the object, always last_updated, the object's own field rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from laddhub.ocpi.common import OcpiModel, PatchModel
from laddhub.ocpi.v2_2_1.locations import (
    EVSE,
    Connector,
    ConnectorPatch,
    EvsePatch,
    Location,
    LocationPatch,
    Status,
)
from laddhub.ocpi.v2_2_1.sessions import Session, SessionPatch
from laddhub.ocpi.v2_2_1.tokens import Token, TokenPatch
from laddhub.ocpi.validation import describe_validation_error
from tests.unit.ocpi import builders

LATER = "2019-06-24T13:00:00Z"


@pytest.mark.parametrize(
    ("patch", "full"),
    [
        (LocationPatch, Location),
        (EvsePatch, EVSE),
        (ConnectorPatch, Connector),
        (SessionPatch, Session),
        (TokenPatch, Token),
    ],
)
def test_patch_models_offer_every_field_and_require_only_last_updated(
    patch: type[PatchModel[Any]], full: type[OcpiModel]
) -> None:
    assert set(patch.model_fields) == set(full.model_fields)
    required = {name for name, info in patch.model_fields.items() if info.is_required()}
    assert required == {"last_updated"}
    with pytest.raises(ValidationError) as caught:
        patch.model_validate({})
    assert describe_validation_error(caught.value) == "last_updated: required field is missing"


def test_patch_fields_follow_the_rules_of_the_full_object() -> None:
    with pytest.raises(ValidationError) as caught:
        LocationPatch.model_validate(
            {
                "name": "x\ny",
                "evses": [builders.evse(status="BROKEN")],
                "country_code": "NLD",
                "last_updated": LATER,
            }
        )
    message = describe_validation_error(caught.value)
    assert "name: value 'x\\ny': control characters" in message
    assert "evses[0].status: value 'BROKEN' is not one of AVAILABLE" in message
    assert "country_code: value 'NLD': expected a code of two letters" in message


def test_changes_are_the_fields_sent_without_nulls() -> None:
    patch = EvsePatch.model_validate_json(
        f'{{"status": "CHARGING", "floor_level": null, "capabilities": [], "last_updated": "{LATER}"}}'
    )
    assert patch.changes() == {
        "status": Status.CHARGING,
        "capabilities": [],
        "last_updated": datetime(2019, 6, 24, 13, tzinfo=UTC),
    }
    assert patch.to_ocpi() == {"status": "CHARGING", "capabilities": [], "last_updated": LATER}


def test_applying_a_patch_changes_only_what_it_carries() -> None:
    current = EVSE.model_validate(builders.evse(physical_reference="1"))
    updated = EvsePatch.model_validate({"status": "CHARGING", "last_updated": LATER}).apply_to(current)
    assert updated.status is Status.CHARGING
    assert updated.physical_reference == "1"
    assert updated.connectors == current.connectors
    assert updated.last_updated == datetime(2019, 6, 24, 13, tzinfo=UTC)
    assert current.status is Status.AVAILABLE


def test_patched_lists_replace_the_stored_list() -> None:
    current = Connector.model_validate(builders.connector(tariff_ids=["11", "12"]))
    updated = ConnectorPatch.model_validate({"tariff_ids": ["15"], "last_updated": LATER}).apply_to(current)
    assert updated.tariff_ids == ["15"]


def test_session_patches_append_charging_periods() -> None:
    first = builders.charging_period(("ENERGY", 1.5), start="2019-06-23T08:00:00Z")
    second = builders.charging_period(("ENERGY", 2.2), start="2019-06-23T08:16:02Z")
    current = Session.model_validate(builders.session(charging_periods=[first]))
    patch = SessionPatch.model_validate({"kwh": 3.7, "charging_periods": [second], "last_updated": LATER})
    updated = patch.apply_to(current)
    assert [period.to_ocpi() for period in updated.charging_periods] == [first, second]
    assert str(updated.kwh) == "3.7"
    unchanged = SessionPatch.model_validate({"charging_periods": [], "last_updated": LATER}).apply_to(updated)
    assert len(unchanged.charging_periods) == 2


def test_rules_across_fields_are_checked_on_the_merged_object() -> None:
    current = Location.model_validate(
        builders.location(publish=False, publish_allowed_to=[{"group_id": "G1"}])
    )
    patch = LocationPatch.model_validate({"publish": True, "last_updated": LATER})
    with pytest.raises(ValidationError) as caught:
        patch.apply_to(current)
    assert (
        describe_validation_error(caught.value) == "publish_allowed_to may only be set when publish is false"
    )


def test_a_token_patch_can_invalidate_a_token() -> None:
    current = Token.model_validate(builders.token())
    updated = TokenPatch.model_validate({"valid": False, "last_updated": LATER}).apply_to(current)
    assert updated.valid is False
    assert updated.uid == current.uid


def test_a_patch_applies_only_to_its_own_kind_of_object() -> None:
    patch = EvsePatch.model_validate({"status": "CHARGING", "last_updated": LATER})
    with pytest.raises(TypeError, match="EvsePatch patches a EVSE, not a Location"):
        patch.apply_to(Location.model_validate(builders.location()))  # type: ignore[arg-type]
