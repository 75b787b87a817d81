"""Lenient reading of partners' CDRs and tariffs, and the time zone a CDR is priced in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from laddhub.pricing.engine import price_timeline
from laddhub.pricing.lenient import ReadError, read_cdr, read_tariff
from laddhub.pricing.tariff import Dimension, Weekday
from laddhub.pricing.timeline import PeriodKind
from laddhub.pricing.timezones import resolve_zone

D = Decimal


def partial_cdr(**changes: Any) -> dict[str, Any]:
    cdr: dict[str, Any] = {
        "start_date_time": "2026-05-04T08:00:00Z",
        "end_date_time": "2026-05-04T09:30:00Z",
        "currency": "EUR",
        "cdr_location": {"country": "NLD"},
        "charging_periods": [
            {
                "start_date_time": "2026-05-04T08:00:00Z",
                "dimensions": [{"type": "ENERGY", "volume": 20}, {"type": "TIME", "volume": 1}],
            },
            {
                "start_date_time": "2026-05-04T09:00:00Z",
                "dimensions": [{"type": "PARKING_TIME", "volume": 0.5}],
            },
        ],
        "tariffs": [
            {
                "id": "T",
                "currency": "EUR",
                "elements": [{"price_components": [{"type": "ENERGY", "price": 0.25, "step_size": 1}]}],
            }
        ],
    }
    cdr.update(changes)
    return cdr


def codes(warnings: tuple[Any, ...] | list[Any]) -> list[str]:
    return [w.code for w in warnings]


def test_a_clean_partial_cdr_reads_without_warnings() -> None:
    cdr = read_cdr(partial_cdr())
    assert cdr.warnings == ()
    assert [p.kind for p in cdr.timeline.periods] == [PeriodKind.CHARGING, PeriodKind.PARKING]
    assert cdr.timeline.periods[0].energy_kwh == 20


def test_numbers_as_strings_offsets_and_fractions_are_tolerated_and_reported() -> None:
    data = partial_cdr(start_date_time="2026-05-04T10:00:00+02:00", end_date_time="2026-05-04T09:30:00.250Z")
    data["charging_periods"][0]["dimensions"][0]["volume"] = "20.0"
    data["tariffs"][0]["elements"][0]["price_components"][0]["price"] = "0.25"
    cdr = read_cdr(data)
    assert codes(cdr.warnings) == ["TIMESTAMP_OFFSET", "NUMBER_AS_STRING", "NUMBER_AS_STRING"]
    assert "$.start_date_time" in cdr.warnings[0].message
    assert cdr.timeline.start.hour == 8
    assert cdr.timeline.end.microsecond == 250_000


def test_missing_end_and_currency_are_derived() -> None:
    data = partial_cdr()
    del data["end_date_time"], data["currency"]
    cdr = read_cdr(data)
    assert set(codes(cdr.warnings)) == {"END_MISSING", "CURRENCY_MISSING"}
    assert cdr.timeline.end.isoformat() == "2026-05-04T09:30:00+00:00"
    assert cdr.currency == "EUR"


def test_camel_case_and_lower_case_enums_are_read_with_warnings() -> None:
    tariff, warnings = read_tariff(
        {
            "id": "T",
            "currency": "eur",
            "elements": [
                {
                    "priceComponents": [{"type": "time", "price": 2, "stepSize": 60}],
                    "restrictions": {"dayOfWeek": ["monday"], "startTime": "9:00"},
                }
            ],
        }
    )
    assert tariff.currency == "EUR"
    assert tariff.elements[0].price_components[0].dimension is Dimension.TIME
    assert tariff.elements[0].restrictions.day_of_week == frozenset({Weekday.MONDAY})
    assert {"CAMEL_CASE_KEY", "ENUM_CASE", "CURRENCY_CASE", "TIME_FORMAT"} <= set(codes(warnings))


def test_volumes_that_disagree_with_the_span_are_billed_and_reported() -> None:
    data = partial_cdr()
    data["charging_periods"][0]["dimensions"][1]["volume"] = 0.5
    cdr = read_cdr(data)
    assert codes(cdr.warnings) == ["PERIOD_VOLUMES_DIFFER_FROM_SPAN"]
    assert cdr.timeline.periods[0].end.isoformat() == "2026-05-04T08:30:00+00:00"


def test_reservation_only_cdr_is_an_expired_reservation() -> None:
    data = partial_cdr(
        charging_periods=[
            {
                "start_date_time": "2026-05-04T08:00:00Z",
                "dimensions": [{"type": "RESERVATION_TIME", "volume": 1}],
            }
        ],
        end_date_time="2026-05-04T09:00:00Z",
    )
    cdr = read_cdr(data)
    assert cdr.timeline.reservation_expired
    assert codes(cdr.warnings) == ["RESERVATION_EXPIRED"]


def test_unusable_input_names_the_path() -> None:
    data = partial_cdr()
    data["charging_periods"][1]["dimensions"][0]["volume"] = "lots"
    with pytest.raises(ReadError, match=r"\$\.charging_periods\[1\]\.dimensions\[0\]\.volume"):
        read_cdr(data)


def test_power_is_derived_from_energy_and_time_when_a_power_restriction_needs_it() -> None:
    data = partial_cdr()
    data["tariffs"][0]["elements"].insert(
        0,
        {
            "price_components": [{"type": "ENERGY", "price": 0.5, "step_size": 1}],
            "restrictions": {"min_power": 15},
        },
    )
    cdr = read_cdr(data)
    assert cdr.timeline.periods[0].power_kw is None
    priced = price_timeline(cdr.tariffs[0], cdr.timeline, resolve_zone(country="NLD")[0])
    assert priced.totals.total_cost.excl_vat == D("10.00")
    assert "POWER_DERIVED" in codes(priced.warnings)


@pytest.mark.parametrize(
    ("arguments", "zone", "warning"),
    [
        ({"override": "America/New_York", "country": "NLD"}, "America/New_York", None),
        ({"time_zone": "Europe/Oslo", "country": "NLD"}, "Europe/Oslo", None),
        ({"country": "NLD"}, "Europe/Amsterdam", "TIME_ZONE_INFERRED"),
        ({"country": "be"}, "Europe/Brussels", "TIME_ZONE_INFERRED"),
        (
            {"country": "USA", "coordinates": (D("34.05"), D("-118.24"))},
            "America/Los_Angeles",
            "TIME_ZONE_INFERRED",
        ),
        (
            {"country": "USA", "coordinates": (D("-118.24"), D("34.05"))},
            "America/Los_Angeles",
            "TIME_ZONE_INFERRED",
        ),
        ({"country": "XXX"}, "UTC", "TIME_ZONE_UNKNOWN"),
    ],
)
def test_time_zone_resolution(arguments: dict[str, Any], zone: str, warning: str | None) -> None:
    resolved, warnings = resolve_zone(**arguments)
    assert resolved.key == zone
    assert codes(warnings) == ([warning] if warning else [])
