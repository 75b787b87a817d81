"""The tariff linter: each kind of finding, with its JSON path, and the spec's tariffs linting clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from laddhub.pricing.linter import ERROR, WARNING, Finding, lint_tariff


def base(**changes: Any) -> dict[str, Any]:
    tariff: dict[str, Any] = {
        "country_code": "NL",
        "party_id": "LAD",
        "id": "T1",
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.30, "vat": 21.0, "step_size": 1}]}],
        "last_updated": "2026-11-01T00:00:00Z",
    }
    tariff.update(changes)
    return tariff


def codes(findings: list[Finding]) -> set[tuple[str, str, str]]:
    return {(f.severity, f.code, f.path) for f in findings}


@pytest.mark.parametrize(
    "name",
    [
        "tariff_1_simple_2hour",
        "tariff_3_alt_url",
        "tariff_6_025kwh_start_max_price",
        "tariff_10_025kwh_parking_start",
        "tariff_17_reservation_with_expire_fee",
        "tariffrestriction_example_max_power",
    ],
)
def test_spec_tariffs_have_no_findings(spec_dir: Path, name: str) -> None:
    assert lint_tariff(json.loads((spec_dir / f"{name}.json").read_text())) == []


def test_spec_put_example_lacks_last_updated(spec_dir: Path) -> None:
    findings = lint_tariff(json.loads((spec_dir / "tariff_put_example.json").read_text()))
    assert codes(findings) == {(ERROR, "MISSING_FIELD", "$.last_updated")}


def test_camel_case_field_is_an_unknown_field_with_the_snake_case_hint() -> None:
    tariff = base()
    tariff["elements"][0]["restrictions"] = {"dayOfWeek": ["MONDAY"]}
    [finding] = [f for f in lint_tariff(tariff) if f.severity == ERROR]
    assert finding.path == "$.elements[0].restrictions.dayOfWeek"
    assert "day_of_week" in finding.message


def test_misspelt_field_gets_the_closest_name() -> None:
    [finding] = lint_tariff(base(curency="EUR", currency=None))[:1]
    assert finding.code == "UNKNOWN_FIELD" and "'currency'" in finding.message


def test_wrong_case_codes_are_reported() -> None:
    findings = lint_tariff(base(currency="eur", country_code="nl"))
    assert (ERROR, "CODE_CASE", "$.currency") in codes(findings)
    assert (WARNING, "CODE_CASE", "$.country_code") in codes(findings)


def test_missing_required_fields_and_wrong_types() -> None:
    tariff = base(elements=[{"price_components": [{"type": "ENERGY", "price": "0.30"}]}])
    del tariff["id"]
    found = codes(lint_tariff(tariff))
    assert (ERROR, "MISSING_FIELD", "$.id") in found
    assert (ERROR, "MISSING_FIELD", "$.elements[0].price_components[0].step_size") in found
    assert (ERROR, "NUMBER_AS_STRING", "$.elements[0].price_components[0].price") in found


def test_element_that_can_never_match() -> None:
    tariff = base()
    tariff["elements"].insert(
        0,
        {
            "price_components": [{"type": "ENERGY", "price": 0.1, "step_size": 1}],
            "restrictions": {"min_kwh": 20, "max_kwh": 10},
        },
    )
    assert (WARNING, "NEVER_MATCHES", "$.elements[0].restrictions") in codes(lint_tariff(tariff))


def test_element_shadowed_by_a_looser_earlier_element_is_unreachable() -> None:
    tariff = base()
    tariff["elements"].append(
        {
            "price_components": [{"type": "ENERGY", "price": 0.1, "step_size": 1}],
            "restrictions": {"start_time": "22:00", "end_time": "06:00"},
        }
    )
    assert (WARNING, "UNREACHABLE", "$.elements[1]") in codes(lint_tariff(tariff))


def test_restricted_dimension_without_fallback_and_time_step_before_parking() -> None:
    tariff = base(
        elements=[
            {
                "price_components": [
                    {"type": "TIME", "price": 2, "step_size": 900},
                    {"type": "PARKING_TIME", "price": 1, "step_size": 60},
                ],
                "restrictions": {"start_time": "08:00", "end_time": "20:00"},
            }
        ]
    )
    found = codes(lint_tariff(tariff))
    assert (WARNING, "NO_FALLBACK", "$.elements[0]") in found
    assert (WARNING, "STEP_SIZE_NOT_LAST", "$.elements[0].price_components[0].step_size") in found
    assert not any(severity == ERROR for severity, _, _ in found)
