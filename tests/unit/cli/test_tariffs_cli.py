"""`laddhub tariffs`: lint, price, price-cdr (with --check and --json), compare and dynamic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from laddhub.cli.app import app

runner = CliRunner()


@pytest.fixture(scope="module")
def spec(ocpi_examples: Path) -> Path:
    return ocpi_examples / "2.2.1"


def invoke(*args: str) -> Any:
    return runner.invoke(app, ["tariffs", *args])


def test_lint_passes_a_spec_tariff_and_fails_a_broken_one(spec: Path, tmp_path: Path) -> None:
    assert invoke("lint", str(spec / "tariff_1_simple_2hour.json")).exit_code == 0
    broken = json.loads((spec / "tariff_1_simple_2hour.json").read_text())
    broken["currency"] = "eur"
    broken["elements"][0]["restrictions"] = {"dayOfWeek": ["MONDAY"]}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = invoke("lint", str(path), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert {e["path"] for e in report["errors"]} == {"$.currency", "$.elements[0].restrictions.dayOfWeek"}


def test_price_cdr_json_matches_the_spec_cdr_and_check_passes(spec: Path) -> None:
    result = invoke("price-cdr", str(spec / "cdr_example.json"), "--json", "--check")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["total_cost"] == {"excl_vat": 4, "incl_vat": 4.4}
    assert report["total_time_cost"] == {"excl_vat": 4, "incl_vat": 4.4}
    assert report["differences"] == []
    assert {w["code"] for w in report["warnings"]} >= {"TIME_ZONE_INFERRED", "ENERGY_FROM_TOTAL"}
    assert report["breakdown"][0]["dimension"] == "TIME"


def test_price_cdr_check_fails_when_another_tariff_disagrees(spec: Path) -> None:
    result = invoke(
        "price-cdr",
        str(spec / "cdr_example.json"),
        "--tariff",
        str(spec / "tariff_8_simple_025kwh.json"),
        "--check",
    )
    assert result.exit_code == 1
    assert "total_cost.excl_vat: CDR says 4.0, computed 3.84" in result.stdout


def test_price_cdr_accepts_a_partial_cdr_with_strings_and_offsets(tmp_path: Path) -> None:
    cdr = {
        "start_date_time": "2026-05-04T10:00:00+02:00",
        "end_date_time": "2026-05-04T09:00:00.5Z",
        "currency": "EUR",
        "cdr_location": {"country": "NLD"},
        "charging_periods": [
            {"start_date_time": "2026-05-04T08:00:00Z", "dimensions": [{"type": "ENERGY", "volume": "10.5"}]}
        ],
        "tariffs": [
            {
                "id": "T",
                "currency": "EUR",
                "elements": [{"price_components": [{"type": "ENERGY", "price": "0.40", "step_size": 1}]}],
            }
        ],
    }
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(cdr))
    result = invoke("price-cdr", str(path), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["total_cost"] == {"excl_vat": 4.2, "incl_vat": 4.2}
    assert {"TIMESTAMP_OFFSET", "NUMBER_AS_STRING"} <= {w["code"] for w in report["warnings"]}


def test_price_prints_a_breakdown_and_the_estimate(spec: Path) -> None:
    result = invoke(
        "price",
        str(spec / "tariff_4_complex.json"),
        "--kwh",
        "30",
        "--start",
        "2019-06-22T13:30",
        "--power",
        "11",
        "--current",
        "48",
        "--parking",
        "71m",
        "--tz",
        "Europe/Berlin",
    )
    assert result.exit_code == 0, result.output
    assert "parking" in result.stdout
    assert "estimate (2 scenarios)" in result.stdout


def test_price_json_gives_min_expected_max(spec: Path) -> None:
    result = invoke(
        "price",
        str(spec / "tariff_8_simple_025kwh.json"),
        "--kwh",
        "20",
        "--start",
        "2026-05-04T10:00Z",
        "--power",
        "11",
        "--json",
    )
    report = json.loads(result.stdout)
    assert report["expected"] == report["minimum"] == report["maximum"] == {"excl_vat": 5, "incl_vat": 5.5}


def test_compare_ranks_a_directory_of_tariffs(spec: Path, tmp_path: Path) -> None:
    for name in ("tariff_1_simple_2hour", "tariff_8_simple_025kwh", "tariff_10_025kwh_parking_start"):
        (tmp_path / f"{name}.json").write_text((spec / f"{name}.json").read_text())
    result = invoke(
        "compare",
        str(tmp_path),
        "--kwh",
        "30",
        "--start",
        "2026-05-04T10:00",
        "--power",
        "11",
        "--parking",
        "30m",
        "--tz",
        "Europe/Berlin",
        "--json",
    )
    assert result.exit_code == 0, result.output
    ranking = json.loads(result.stdout)["ranking"]
    assert [r["expected"]["excl_vat"] for r in ranking] == [5.47, 7.5, 9]


def test_dynamic_generates_a_tariff_that_lints_clean(tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text(
        "start,price\n2026-10-24T22:00Z,80\n2026-10-24T23:00Z,95\n2026-10-25T00:00Z,120\n2026-10-25T01:00Z,60\n"
    )
    out = tmp_path / "dynamic.json"
    result = invoke(
        "dynamic",
        "--prices",
        str(prices),
        "--unit",
        "mwh",
        "--margin",
        "0.10",
        "--vat",
        "21",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    tariff = json.loads(out.read_text())
    assert tariff["elements"][-1] == {
        "price_components": [{"type": "ENERGY", "price": 0.22, "vat": 21, "step_size": 1}]
    }
    assert invoke("lint", str(out)).exit_code == 0


def test_unreadable_input_exits_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    result = invoke("price-cdr", str(path))
    assert result.exit_code == 2
    assert "not valid JSON" in result.output
