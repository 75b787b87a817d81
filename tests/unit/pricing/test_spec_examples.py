"""Every worked example of the spec (digest §8.9, with the corrected numbers) priced to the exact amount."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from laddhub.pricing.engine import price_timeline
from laddhub.pricing.lenient import read_cdr
from laddhub.pricing.result import PricingResult
from laddhub.pricing.rounding import NO_ROUNDING
from laddhub.pricing.tariff import Dimension, Price, Tariff
from laddhub.pricing.timeline import Timeline
from laddhub.pricing.timezones import resolve_zone
from tests.unit.pricing.scenario import BERLIN, charge, load_tariff, park, reserve, session

# A Monday; the examples do not say which day, only where the weekday matters.
MONDAY = datetime(2019, 6, 17, 10, 0, tzinfo=BERLIN)


def exact(tariff: Tariff, timeline: Timeline) -> PricingResult:
    return price_timeline(tariff, timeline, BERLIN, rounding=NO_ROUNDING)


def total(result: PricingResult) -> tuple[Decimal, Decimal | None]:
    return result.totals.total_cost.excl_vat, result.totals.total_cost.incl_vat


def D(value: str) -> Decimal:
    return Decimal(value)


def test_simple_energy_tariff_prices_twenty_kwh(spec_dir: Path) -> None:
    result = exact(load_tariff(spec_dir, "tariff_8_simple_025kwh"), session(MONDAY, charge(60, "20")))
    assert total(result) == (D("5.00"), D("5.500"))


def test_start_fee_and_energy_have_their_own_vat(spec_dir: Path) -> None:
    result = exact(load_tariff(spec_dir, "tariff_9_025kwh_start"), session(MONDAY, charge(60, "20")))
    assert total(result) == (D("5.50"), D("6.10"))
    assert result.totals.total_fixed_cost == Price(D("0.50"), D("0.600"))


@pytest.mark.parametrize(
    ("kwh", "expected"), [("20", (D("5.00"), D("5.500"))), ("1.5", (D("0.50"), D("0.55")))]
)
def test_min_price_lifts_only_a_lower_total(
    spec_dir: Path, kwh: str, expected: tuple[Decimal, Decimal]
) -> None:
    result = exact(load_tariff(spec_dir, "tariff_12_025kwh_min_price"), session(MONDAY, charge(30, kwh)))
    assert total(result) == expected


def test_parking_is_rounded_to_its_fifteen_minute_step(spec_dir: Path) -> None:
    tariff = load_tariff(spec_dir, "tariff_10_025kwh_parking_start")
    result = exact(tariff, session(MONDAY, charge(60, "20"), park(40)))
    assert total(result) == (D("7.00"), D("7.90"))
    assert result.exact_totals.total_parking_cost == Price(D("1.50"), D("1.80"))


@pytest.mark.parametrize(
    ("kwh", "expected", "clamped"),
    [
        ("50", (D("10.00"), D("11.00")), ("max_price.excl_vat", "max_price.incl_vat")),
        ("30", (D("8.00"), D("8.85")), ()),
    ],
)
def test_max_price_caps_excl_and_incl_independently(
    spec_dir: Path, kwh: str, expected: tuple[Decimal, Decimal], clamped: tuple[str, ...]
) -> None:
    tariff = load_tariff(spec_dir, "tariff_6_025kwh_start_max_price")
    result = exact(tariff, session(MONDAY, charge(120, kwh)))
    assert total(result) == expected
    assert result.clamped == clamped


def test_time_tariff_leaves_parking_free(spec_dir: Path) -> None:
    result = exact(
        load_tariff(spec_dir, "tariff_1_simple_2hour"), session(MONDAY, charge(150, "20"), park(30))
    )
    assert total(result) == (D("5.00"), D("5.500"))
    assert any(w.code == "UNPRICED_DIMENSION" and "PARKING_TIME" in w.message for w in result.warnings)


def test_charging_time_is_not_rounded_when_parking_follows(spec_dir: Path) -> None:
    tariff = load_tariff(spec_dir, "tariff_13_simple_3hour_5parking")
    result = exact(tariff, session(MONDAY, charge(150, "20"), park(42)))
    assert total(result) == (D("11.25"), D("12.75"))


def test_alt_text_tariff_incl_vat_rounds_to_cents(spec_dir: Path) -> None:
    tariff = load_tariff(spec_dir, "tariff_2_alt_text")
    timeline = session(MONDAY, charge(150))
    assert total(exact(tariff, timeline)) == (D("4.75"), D("4.99700"))
    assert total(price_timeline(tariff, timeline, BERLIN)) == (D("4.75"), D("5.00"))


def test_energy_step_of_100_wh_rounds_the_session_total(spec_dir: Path) -> None:
    tariff = load_tariff(spec_dir, "tariff_3_alt_url")
    result = price_timeline(tariff, session(MONDAY, charge(60, "20.45")), BERLIN)
    assert result.totals.total_fixed_cost == Price(D("0.50"), D("0.60"))
    assert result.totals.total_energy_cost == Price(D("5.13"), D("5.64"))
    assert total(result) == (D("5.63"), D("6.24"))
    cheaper = replace(
        tariff,
        elements=(
            replace(
                tariff.elements[0],
                price_components=tuple(
                    replace(c, price=D("0.22")) if c.dimension is Dimension.ENERGY else c
                    for c in tariff.elements[0].price_components
                ),
            ),
        ),
    )
    result = price_timeline(cheaper, session(MONDAY, charge(60, "20.45")), BERLIN)
    assert result.totals.total_energy_cost == Price(D("4.51"), D("4.96"))
    assert total(result) == (D("5.01"), D("5.56"))


def test_complex_tariff_monday_low_current_then_parking(spec_dir: Path) -> None:
    tariff = load_tariff(spec_dir, "tariff_4_complex")
    start = datetime(2019, 6, 17, 9, 30, tzinfo=BERLIN)
    result = exact(tariff, session(start, charge(165, "30", current="16"), park(42)))
    assert total(result) == (D("9.00"), D("10.300"))
    assert result.exact_totals.total_time_cost.excl_vat == D("2.75")
    assert result.exact_totals.total_parking_cost.excl_vat == D("3.75")


def test_complex_tariff_saturday_uses_corrected_arithmetic(spec_dir: Path) -> None:
    tariff = load_tariff(spec_dir, "tariff_4_complex")
    start = datetime(2019, 6, 22, 13, 30, tzinfo=BERLIN)
    result = exact(tariff, session(start, charge(114, "40", current="43"), park(71)))
    assert total(result) == (D("12.375"), D("13.975"))
    assert total(
        price_timeline(tariff, session(start, charge(114, "40", current="43"), park(71)), BERLIN)
    ) == (
        D("12.38"),
        D("13.98"),
    )


def test_free_of_charge_tariff_costs_nothing(spec_dir: Path) -> None:
    result = exact(
        load_tariff(spec_dir, "tariff_5_free_of_charge"), session(MONDAY, charge(90, "12"), park(20))
    )
    assert total(result) == (D("0.00"), D("0.00"))


def test_reservation_time_is_priced_by_the_reservation_element(spec_dir: Path) -> None:
    tariff = load_tariff(spec_dir, "tariff_15_reservation_5_euro_per_hour")
    result = exact(tariff, session(MONDAY, reserve(15), charge(60, "20")))
    assert total(result) == (D("6.75"), D("7.60"))
    assert result.exact_totals.total_reservation_cost == Price(D("1.25"), D("1.50"))


def test_reservation_fee_and_time_round_to_the_reservation_step(spec_dir: Path) -> None:
    tariff = load_tariff(spec_dir, "tariff_16_reservation_2_euro_fee_5_euro_per_hour")
    result = exact(tariff, session(MONDAY, reserve(13), charge(60, "20")))
    assert total(result) == (D("8.75"), D("10.00"))
    assert result.exact_totals.total_reservation_cost.excl_vat == D("3.25")


def test_expire_fee_applies_only_when_the_reservation_expires(spec_dir: Path) -> None:
    tariff = load_tariff(spec_dir, "tariff_17_reservation_with_expire_fee")
    used = exact(tariff, session(MONDAY, reserve(22), charge(60, "20")))
    assert total(used) == (D("6.50"), D("7.30"))
    expired = exact(tariff, session(MONDAY, reserve(60), expired=True))
    assert total(expired) == (D("6.00"), D("7.20"))


def test_expired_reservation_time_uses_the_expires_element(spec_dir: Path) -> None:
    tariff = load_tariff(spec_dir, "tariff_18_reservation_with_expire_time")
    used = exact(tariff, session(MONDAY, reserve(22), charge(60, "20")))
    assert total(used) == (D("7.00"), D("7.90"))
    expired = exact(tariff, session(MONDAY, reserve(90), expired=True))
    assert total(expired) == (D("9.00"), D("10.80"))


def test_step_size_charging_across_17h_then_short_parking(spec_dir: Path) -> None:
    tariff = load_tariff(spec_dir, "tariff_14_step_size")
    result = exact(tariff, session(datetime(2019, 6, 17, 16, 55, tzinfo=BERLIN), charge(10, "2"), park(2)))
    assert total(result) == (D("0.55"), D("0.55"))


def test_step_size_rounds_the_charging_total_with_the_last_step(spec_dir: Path) -> None:
    tariff = load_tariff(spec_dir, "tariff_14_step_size")
    result = exact(tariff, session(datetime(2019, 6, 17, 16, 35, tzinfo=BERLIN), charge(35, "6")))
    assert total(result) == (D("1.30"), D("1.30"))
    billed = [
        c.billed_quantity * 60 for s in result.slices for c in s.charges if c.dimension is Dimension.TIME
    ]
    assert billed == [D(25), D(20)]


def test_step_size_extra_parking_goes_to_the_last_paid_parking_slice(spec_dir: Path) -> None:
    tariff = load_tariff(spec_dir, "tariff_14_step_size")
    result = exact(tariff, session(datetime(2019, 6, 17, 19, 40, tzinfo=BERLIN), charge(12, "2"), park(20)))
    assert total(result) == (D("0.73"), D("0.73"))
    parking = [c for s in result.slices for c in s.charges if c.dimension is Dimension.PARKING_TIME]
    assert [c.billed_quantity * 60 for c in parking] == [D(15)]


def test_max_power_restriction_prices_each_period_by_its_power(spec_dir: Path) -> None:
    tariff = load_tariff(spec_dir, "tariffrestriction_example_max_power")
    timeline = session(
        MONDAY, charge(10, "1", power="6"), charge(50, "40", power="48"), charge(7.5, "0.5", power="4")
    )
    assert exact(tariff, timeline).totals.total_cost.excl_vat == D("20.30")


def test_max_duration_restriction_counts_from_session_start(spec_dir: Path) -> None:
    tariff = load_tariff(spec_dir, "tariffrestriction_example_max_duration")
    result = exact(tariff, session(MONDAY, charge(30, "5"), charge(10, "1.2")))
    assert result.totals.total_cost.excl_vat == D("0.30")


def test_cdr_example_prices_to_its_own_totals(spec_dir: Path) -> None:
    cdr = read_cdr(json.loads((spec_dir / "cdr_example.json").read_text()))
    zone, _ = resolve_zone(country="BEL", coordinates=cdr.coordinates)
    result = price_timeline(cdr.tariffs[0], cdr.timeline, zone)
    assert result.totals.total_cost == cdr.stated["total_cost"]
    assert result.totals.total_time_cost == cdr.stated["total_time_cost"]
    assert result.totals.total_time.quantize(D("0.001")) == cdr.stated["total_time"]


def test_ocpi_2_3_price_limits_and_tax_included_tariffs_price_as_their_examples(ocpi_examples: Path) -> None:
    v230 = ocpi_examples / "2.3.0"
    minimum = exact(load_tariff(v230, "tariff_12_025kwh_min_price"), session(MONDAY, charge(30, "1.5")))
    assert total(minimum) == (D("0.50"), D("0.55"))
    two_and_a_half_hours = session(MONDAY, charge(150))
    exclusive = exact(load_tariff(v230, "tariff_19_simple_north_american_exclusive"), two_and_a_half_hours)
    assert exclusive.totals.total_cost.excl_vat == D("5.00")
    inclusive = exact(load_tariff(v230, "tariff_20_simple_north_american_inclusive"), two_and_a_half_hours)
    assert total(inclusive) == (D("5.25"), D("5.25"))
