"""The CDR builder: a finished session becomes a valid OCPI CDR that re-prices to its own totals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from laddhub.ocpi.v2_2_1.cdrs import CDR, CdrLocation
from laddhub.ocpi.v2_2_1.sessions import Session
from laddhub.ocpi.v2_2_1.tariffs import Tariff as OcpiTariff
from laddhub.pricing.cdr_builder import build_cdr
from laddhub.pricing.engine import price_timeline
from laddhub.pricing.lenient import read_cdr
from laddhub.pricing.ocpi_adapter import cdr_input_from_ocpi, tariff_from_ocpi
from tests.unit.pricing.scenario import BERLIN

LOCATION = {
    "id": "LOC1",
    "address": "Kurfürstendamm 1",
    "city": "Berlin",
    "country": "DEU",
    "coordinates": {"latitude": "52.503100", "longitude": "13.332200"},
    "evse_uid": "3256",
    "evse_id": "DE*ALL*E041503003",
    "connector_id": "1",
    "connector_standard": "IEC_62196_T2",
    "connector_format": "SOCKET",
    "connector_power_type": "AC_3_PHASE",
}


def finished_session(periods: list[dict[str, Any]], end: str) -> Session:
    return Session.model_validate(
        {
            "country_code": "DE",
            "party_id": "ALL",
            "id": "S-101",
            "start_date_time": periods[0]["start_date_time"],
            "end_date_time": end,
            "kwh": 30,
            "cdr_token": {
                "country_code": "NL",
                "party_id": "LAD",
                "uid": "012345678",
                "type": "RFID",
                "contract_id": "NL-LAD-C12345678-X",
            },
            "auth_method": "WHITELIST",
            "location_id": "LOC1",
            "evse_uid": "3256",
            "connector_id": "1",
            "currency": "EUR",
            "charging_periods": periods,
            "status": "COMPLETED",
            "last_updated": end,
        }
    )


@pytest.fixture
def complex_tariff(spec_dir: Path) -> OcpiTariff:
    return OcpiTariff.model_validate(json.loads((spec_dir / "tariff_4_complex.json").read_text()))


def test_finished_session_becomes_a_valid_priced_cdr(complex_tariff: OcpiTariff) -> None:
    session = finished_session(
        [
            {
                "start_date_time": "2019-06-17T07:30:00Z",
                "dimensions": [{"type": "ENERGY", "volume": 30}, {"type": "CURRENT", "volume": 16}],
            },
            {
                "start_date_time": "2019-06-17T10:15:00Z",
                "dimensions": [{"type": "PARKING_TIME", "volume": 0.7}],
            },
        ],
        end="2019-06-17T10:57:00Z",
    )
    cdr, result = build_cdr(
        session,
        complex_tariff,
        CdrLocation.model_validate(LOCATION),
        BERLIN,
        cdr_id="CDR-101",
        last_updated=datetime(2019, 6, 17, 11, tzinfo=UTC),
    )
    assert isinstance(cdr, CDR)
    assert (cdr.total_cost.excl_vat, cdr.total_cost.incl_vat) == (Decimal("9.00"), Decimal("10.30"))
    assert result.totals.total_cost.excl_vat == cdr.total_cost.excl_vat
    assert [p.dimensions[1].type.value for p in cdr.charging_periods] == ["TIME", "PARKING_TIME"]
    assert all(p.tariff_id == "14" for p in cdr.charging_periods)
    assert CDR.model_validate(cdr.to_ocpi()) == cdr

    again = read_cdr(json.loads(json.dumps(cdr.to_ocpi())))
    assert again.warnings == ()
    repriced = price_timeline(again.tariffs[0], again.timeline, BERLIN)
    assert repriced.totals == result.totals


def test_cdr_periods_split_where_the_price_changes(spec_dir: Path) -> None:
    tariff = OcpiTariff.model_validate(json.loads((spec_dir / "tariff_14_step_size.json").read_text()))
    session = finished_session(
        [{"start_date_time": "2019-06-17T14:35:00Z", "dimensions": [{"type": "ENERGY", "volume": 6}]}],
        end="2019-06-17T15:10:00Z",
    )
    location = CdrLocation.model_validate(LOCATION)
    cdr, _ = build_cdr(
        session, tariff, location, BERLIN, cdr_id="C2", last_updated=datetime(2019, 6, 17, 16, tzinfo=UTC)
    )
    assert [p.start_date_time.strftime("%H:%M") for p in cdr.charging_periods] == ["14:35", "15:00"]
    assert cdr.total_cost.excl_vat == Decimal("1.30")
    energy = sum(d.volume for p in cdr.charging_periods for d in p.dimensions if d.type.value == "ENERGY")
    assert energy == cdr.total_energy == 6


def test_a_session_without_an_end_cannot_become_a_cdr(complex_tariff: OcpiTariff) -> None:
    session = finished_session(
        [{"start_date_time": "2019-06-17T07:30:00Z", "dimensions": [{"type": "ENERGY", "volume": 3}]}],
        end="2019-06-17T08:00:00Z",
    ).model_copy(update={"end_date_time": None})
    with pytest.raises(ValueError, match="no end_date_time"):
        build_cdr(
            session,
            complex_tariff,
            CdrLocation.model_validate(LOCATION),
            BERLIN,
            cdr_id="C3",
            last_updated=datetime(2019, 6, 17, 9, tzinfo=UTC),
        )


def test_spec_cdr_model_converts_to_the_engine_and_prices_to_its_totals(spec_dir: Path) -> None:
    cdr = CDR.model_validate(json.loads((spec_dir / "cdr_example.json").read_text()))
    source = cdr_input_from_ocpi(cdr)
    result = price_timeline(tariff_from_ocpi(cdr.tariffs[0]), source.timeline, BERLIN)
    assert result.totals.total_cost.excl_vat == cdr.total_cost.excl_vat
    assert result.totals.total_cost.incl_vat == cdr.total_cost.incl_vat
