"""Meter readings become priced charging periods that start wherever the price or the activity changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from laddhub.chargers.metering import (
    Activity,
    MeterReading,
    build_periods,
    energy_at,
    period_starts,
    price,
    price_changes,
    time_to_deliver,
)
from laddhub.ocpi.v2_2_1.cdrs import CdrDimensionType, CdrLocation, ChargingPeriod
from laddhub.ocpi.v2_2_1.sessions import Session
from laddhub.ocpi.v2_2_1.tariffs import Tariff as OcpiTariff
from laddhub.pricing.cdr_builder import build_cdr
from laddhub.pricing.compiled import compile_tariff
from laddhub.pricing.engine import price_timeline
from laddhub.pricing.lenient import read_cdr
from laddhub.pricing.ocpi_adapter import tariff_from_ocpi

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)
LONG = timedelta(days=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def reading(moment: datetime, kwh: str, power: str, activity: Activity = Activity.CHARGING) -> MeterReading:
    kw = Decimal(power)
    return MeterReading(moment, Decimal(kwh), kw, (kw * 1000 / 230).quantize(Decimal("0.0001")), activity)


def volumes(period: ChargingPeriod) -> dict[str, Decimal]:
    return {d.type.value: d.volume for d in period.dimensions}


def ocpi_tariff(spec_dir: Path, name: str) -> OcpiTariff:
    return OcpiTariff.model_validate(json.loads((spec_dir / f"{name}.json").read_text()))


def test_energy_grows_linearly_between_readings_and_is_zero_before_the_first() -> None:
    readings = [reading(at("2026-01-05T10:00:00"), "0", "11"), reading(at("2026-01-05T11:00:00"), "11", "0")]
    assert energy_at(readings, at("2026-01-05T09:00:00")) == 0
    assert energy_at(readings, at("2026-01-05T10:30:00")) == Decimal("5.5")
    assert energy_at(readings, at("2026-01-05T12:00:00")) == Decimal("11")


def test_time_to_deliver_rounds_up_to_the_microsecond_and_never_ends_at_zero_power() -> None:
    assert time_to_deliver(Decimal("11"), Decimal("11")) == HOUR
    assert time_to_deliver(Decimal("1"), Decimal("3")) == timedelta(minutes=20)
    assert time_to_deliver(Decimal("0.000000001"), Decimal("7")) == timedelta(microseconds=1)
    assert time_to_deliver(Decimal("5"), Decimal("0")) is None


def test_a_time_of_day_price_change_starts_a_new_period_without_a_reading_there(spec_dir: Path) -> None:
    tariff = ocpi_tariff(spec_dir, "tariff_14_step_size")
    compiled = compile_tariff(tariff_from_ocpi(tariff))
    # 16:35 to 17:10 Berlin time (CEST in June): the TIME price changes at 17:00 local.
    start, end = at("2019-06-17T14:35:00"), at("2019-06-17T15:10:00")
    readings = [reading(start, "0", "11")]
    result = price(compiled, BERLIN, readings, end)
    periods = build_periods(
        readings, end, price_cuts=price_changes(result), max_period=LONG, tariff_id=tariff.id
    )
    assert [p.start_date_time for p in periods] == [start, at("2019-06-17T15:00:00")]
    assert [volumes(p)["TIME"] for p in periods] == [Decimal("0.4167"), Decimal("0.1667")]
    assert sum(volumes(p)["ENERGY"] for p in periods) == Decimal("6.4167")
    assert {p.tariff_id for p in periods} == {tariff.id}


def test_charging_to_parking_starts_a_period_with_parking_time_and_zero_power() -> None:
    start = at("2026-03-02T08:00:00")
    readings = [
        reading(start, "0", "22"),
        reading(start + HOUR, "22", "0", Activity.PARKING),
    ]
    periods = build_periods(readings, start + 2 * HOUR, price_cuts=[], max_period=LONG, tariff_id=None)
    assert [volumes(p) for p in periods] == [
        {"ENERGY": Decimal("22"), "TIME": Decimal("1"), "MAX_CURRENT": Decimal("95.6522"), "MAX_POWER": 22},
        {"ENERGY": 0, "PARKING_TIME": Decimal("1"), "MAX_CURRENT": 0, "MAX_POWER": 0},
    ]


def test_reservation_time_is_its_own_period_without_energy() -> None:
    start = at("2026-03-02T08:00:00")
    readings = [
        MeterReading(start, Decimal(0), Decimal(0), Decimal(0), Activity.RESERVED),
        reading(start + timedelta(minutes=15), "0", "11"),
    ]
    periods = build_periods(readings, start + HOUR, price_cuts=[], max_period=LONG, tariff_id="T")
    assert [p.dimensions[0].type for p in periods] == [
        CdrDimensionType.RESERVATION_TIME,
        CdrDimensionType.ENERGY,
    ]
    assert volumes(periods[0]) == {"RESERVATION_TIME": Decimal("0.25")}
    assert volumes(periods[1])["TIME"] == Decimal("0.75")


def test_long_stretches_are_cut_for_driver_feedback_and_the_maximum_power_follows_the_readings() -> None:
    start = at("2026-03-02T08:00:00")
    readings = [reading(start, "0", "11"), reading(start + timedelta(minutes=20), "3.6667", "7")]
    periods = build_periods(
        readings, start + HOUR, price_cuts=[], max_period=timedelta(minutes=15), tariff_id=None
    )
    assert [p.start_date_time - start for p in periods] == [timedelta(minutes=m) for m in (0, 15, 30, 45)]
    assert [volumes(p)["MAX_POWER"] for p in periods] == [11, 11, 7, 7]


def test_period_starts_refuse_a_period_length_of_zero() -> None:
    with pytest.raises(ValueError, match="positive"):
        period_starts(
            [reading(at("2026-01-01T00:00:00"), "0", "1")], at("2026-01-01T01:00:00"), [], timedelta(0)
        )


def _readings(start: datetime, steps: list[tuple[int, int, bool]]) -> list[MeterReading]:
    """Readings from (minutes, power kW, parking) steps, energy accumulated exactly."""
    result: list[MeterReading] = []
    moment, kwh = start, Decimal(0)
    for minutes, power, parking in steps:
        kw = Decimal(0) if parking else Decimal(power)
        result.append(reading(moment, str(kwh), str(kw), Activity.PARKING if parking else Activity.CHARGING))
        kwh += kw * minutes / 60
        moment += timedelta(minutes=minutes)
    return result


STEPS = st.lists(
    st.tuples(st.integers(1, 90), st.sampled_from([4, 11, 22, 40, 50]), st.booleans()), min_size=1, max_size=6
)


@settings(max_examples=40, deadline=None)
@given(
    steps=STEPS,
    offset_minutes=st.integers(0, 24 * 60),
    name=st.sampled_from(
        [
            "tariff_4_complex",
            "tariffrestriction_example_max_power",
            "tariffrestriction_example_max_duration",
            "tariff_14_step_size",
            "tariff_10_025kwh_parking_start",
        ]
    ),
)
def test_a_cdr_built_from_the_periods_costs_what_the_readings_cost(
    spec_dir: Path, steps: list[tuple[int, int, bool]], offset_minutes: int, name: str
) -> None:
    tariff = ocpi_tariff(spec_dir, name)
    compiled = compile_tariff(tariff_from_ocpi(tariff))
    start = at("2019-06-15T00:00:00") + timedelta(minutes=offset_minutes)
    readings = _readings(start, steps)
    end = start + timedelta(minutes=sum(m for m, _, _ in steps))
    direct = price(compiled, BERLIN, readings, end)
    periods = build_periods(
        readings, end, price_cuts=price_changes(direct), max_period=timedelta(minutes=30), tariff_id=tariff.id
    )
    session = Session.model_validate(
        {
            "country_code": "DE",
            "party_id": "ALL",
            "id": "S1",
            "start_date_time": start,
            "end_date_time": end,
            "kwh": sum(volumes(p).get("ENERGY", 0) for p in periods),
            "cdr_token": {
                "country_code": "NL",
                "party_id": "MSP",
                "uid": "U1",
                "type": "RFID",
                "contract_id": "C",
            },
            "auth_method": "WHITELIST",
            "location_id": "L1",
            "evse_uid": "E1",
            "connector_id": "1",
            "currency": "EUR",
            "charging_periods": [p.to_ocpi() for p in periods],
            "status": "COMPLETED",
            "last_updated": end,
        }
    )
    location = CdrLocation.model_validate(
        {
            "id": "L1",
            "address": "A",
            "city": "B",
            "country": "DEU",
            "coordinates": {"latitude": "52.50000", "longitude": "13.30000"},
            "evse_uid": "E1",
            "evse_id": "DE*ALL*E1",
            "connector_id": "1",
            "connector_standard": "IEC_62196_T2",
            "connector_format": "SOCKET",
            "connector_power_type": "AC_3_PHASE",
        }
    )
    cdr, _ = build_cdr(session, tariff, location, BERLIN, cdr_id="C1", last_updated=end)
    reported = read_cdr(session.to_ocpi())
    from_periods = price_timeline(tariff_from_ocpi(tariff), reported.timeline, BERLIN).totals.total_cost
    assert (cdr.total_cost.excl_vat, cdr.total_cost.incl_vat) == (
        from_periods.excl_vat,
        from_periods.incl_vat,
    )
    again = read_cdr(cdr.to_ocpi())
    assert price_timeline(again.tariffs[0], again.timeline, BERLIN).totals.total_cost == from_periods
    # Volumes carry four decimals, so the reported periods may cost a cent more or less than the meter.
    assert abs(from_periods.excl_vat - direct.totals.total_cost.excl_vat) <= Decimal("0.01")


@settings(max_examples=40, deadline=None)
@given(steps=STEPS, cut=st.integers(1, 400))
def test_closed_periods_never_change_as_the_session_goes_on(
    spec_dir: Path, steps: list[tuple[int, int, bool]], cut: int
) -> None:
    tariff = ocpi_tariff(spec_dir, "tariff_4_complex")
    compiled = compile_tariff(tariff_from_ocpi(tariff))
    start = at("2019-06-17T06:50:00")
    readings = _readings(start, steps)
    end = start + timedelta(minutes=sum(m for m, _, _ in steps))
    earlier = min(start + timedelta(minutes=cut), end)
    so_far = [r for r in readings if r.at <= earlier]

    def periods_until(moment: datetime, known: list[MeterReading]) -> list[ChargingPeriod]:
        result = price(compiled, BERLIN, known, moment)
        return build_periods(
            known, moment, price_cuts=price_changes(result), max_period=timedelta(minutes=20), tariff_id="14"
        )

    before = periods_until(earlier, so_far)
    after = periods_until(end, readings)
    closed = before[:-1]
    assert after[: len(closed)] == closed
