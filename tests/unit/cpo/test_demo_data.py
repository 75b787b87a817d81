"""The demo files are valid OCPI import files whose Connectors name existing Tariffs."""

from __future__ import annotations

from laddhub.demo_data import demo_objects
from laddhub.ocpi.v2_2_1.locations import Location, Status
from laddhub.ocpi.v2_2_1.tariffs import Tariff
from laddhub.pricing.linter import lint_tariff
from laddhub.services.cpo_locations import tariffs_named

STAMP = {"last_updated": "2026-11-24T00:00:00Z"}


def stamped(value: object) -> object:
    if isinstance(value, dict):
        return {k: stamped(v) for k, v in value.items()} | (STAMP if "id" in value or "uid" in value else {})
    if isinstance(value, list):
        return [stamped(item) for item in value]
    return value


def test_demo_locations_are_valid_and_show_several_evse_states_and_a_private_site() -> None:
    locations = [Location.model_validate(stamped(item)) for item in demo_objects("locations.json")]
    statuses = {evse.status for location in locations for evse in location.evses}
    assert {Status.AVAILABLE, Status.CHARGING, Status.OUTOFORDER} <= statuses
    assert [location.publish for location in locations].count(False) == 1


def test_demo_connectors_name_demo_tariffs_and_the_tariffs_lint_clean() -> None:
    tariffs = demo_objects("tariffs.json")
    ids = {tariff["id"] for tariff in tariffs}
    for tariff in tariffs:
        Tariff.model_validate(tariff | STAMP)
        assert lint_tariff(tariff | STAMP) == [], tariff["id"]
    assert {t for location in demo_objects("locations.json") for t in tariffs_named(location)} == ids
