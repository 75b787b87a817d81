"""`laddhub tariffs`: lint, price, re-price CDRs, compare and generate tariffs from the command line.

A thin edge around `laddhub.pricing`: it reads files, picks the time zone, calls the engine and prints
Rich tables (or JSON with `--json`). It is also the one place that may read the clock (for the
`last_updated` of a generated tariff).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.table import Table

from laddhub.pricing.diagnostics import PricingWarning
from laddhub.pricing.dynamic import HourlyPrice, LoadForecast, TariffIdentity, tariff_from_hourly_prices
from laddhub.pricing.engine import price_timeline
from laddhub.pricing.estimates import Estimate, PlannedCharge, compare, estimate
from laddhub.pricing.explanation import explain
from laddhub.pricing.lenient import ReadError, read_cdr, read_tariff
from laddhub.pricing.linter import ERROR, lint_tariff
from laddhub.pricing.report import MONEY_FIELDS, money, result_to_json, row_to_json
from laddhub.pricing.result import PricingResult
from laddhub.pricing.rounding import MoneyRounding
from laddhub.pricing.tariff import Price, Tariff
from laddhub.pricing.timezones import resolve_zone
from laddhub.pricing.writing import tariff_to_ocpi

app = typer.Typer(
    help="Lint, price and compare OCPI tariffs; re-price CDRs; generate dynamic tariffs.",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
ZoneOption = Annotated[
    str | None, typer.Option("--tz", help="IANA time zone of the location (else inferred, with a warning).")
]
DecimalsOption = Annotated[int, typer.Option("--decimals", help="Decimals of reported money (half-up).")]
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")


def _fail(message: str, code: int = 2) -> NoReturn:
    errors.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        _fail(f"cannot read {path}: {error.strerror}")
    except json.JSONDecodeError as error:
        _fail(f"{path} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}")


def _tariff(path: Path) -> tuple[Tariff, list[PricingWarning]]:
    try:
        return read_tariff(_load_json(path))
    except ReadError as error:
        _fail(f"{path}: {error}")


def parse_duration(text: str) -> timedelta:
    """`20m`, `1h30m`, `90s`, `1.5h` as a timedelta."""
    match = _DURATION.match(text.strip().lower())
    if not text.strip() or match is None or not any(match.groups()):
        raise typer.BadParameter(f"{text!r} is not a duration like 20m, 1h30m or 90s")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def _decimal(text: str, name: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise typer.BadParameter(f"{name} {text!r} is not a number") from None


def _start(text: str, zone: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"--start {text!r} is not an ISO date-time like 2026-05-04T18:30") from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise typer.BadParameter(f"--tz {name!r} is not an IANA time zone") from None


def _zone_for_tariff(tariff: Tariff, override: str | None) -> tuple[ZoneInfo, list[PricingWarning]]:
    return resolve_zone(override=override, country=tariff.country_code or None)


def _show_warnings(warnings: Iterable[PricingWarning]) -> None:
    for warning in warnings:
        errors.print(f"[yellow]warning[/yellow] {warning.code}: {warning.message}")


def _money_text(value: Decimal) -> str:
    """Reported totals keep their rounding; breakdown amounts are shown to 4 places at most."""
    if value.as_tuple().exponent < -4:  # type: ignore[operator]
        value = value.quantize(Decimal("0.0001")).normalize()
    return f"{value:f}"


def _amount(price: Price | None) -> str:
    if price is None:
        return ""
    incl = "" if price.incl_vat is None else f" / {_money_text(price.incl_vat)}"
    return f"{_money_text(price.excl_vat)}{incl}"


def _quantity(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.0001')).normalize():f}"


def print_breakdown(result: PricingResult) -> None:
    """The per-slice breakdown and the totals of a priced session as Rich tables."""
    table = Table(title=f"Tariff {result.tariff_id}: breakdown ({result.currency}, excl / incl VAT)")
    for column in (
        "#",
        "local start",
        "activity",
        "dimension",
        "element",
        "price",
        "billed",
        "cost",
        "why not earlier",
    ):
        table.add_column(column, overflow="fold")
    for row in explain(result):
        billed = _quantity(row.billed_quantity)
        if row.billed_quantity != row.quantity:
            billed += f" (used {_quantity(row.quantity)})"
        table.add_row(
            str(row.period_index),
            row.local_start.strftime("%a %Y-%m-%d %H:%M"),
            row.kind.value.lower(),
            row.dimension.value,
            "-" if row.element_index is None else str(row.element_index),
            "" if row.price is None else f"{row.price}" + ("" if row.vat is None else f" +{row.vat}%"),
            f"{billed} {row.unit}".strip(),
            _amount(row.cost) or "free",
            "; ".join(f"#{r.element_index}: {', '.join(r.reasons)}" for r in row.rejected),
        )
    console.print(table)
    totals = result.totals
    summary = Table(title="Totals")
    summary.add_column("field")
    summary.add_column("value", justify="right")
    for name in MONEY_FIELDS:
        summary.add_row(name, _amount(getattr(totals, name)))
    summary.add_row("total_energy (kWh)", _quantity(totals.total_energy))
    summary.add_row("total_time (h)", _quantity(totals.total_time))
    summary.add_row("total_parking_time (h)", _quantity(totals.total_parking_time))
    console.print(summary)
    if result.clamped:
        console.print(f"total clamped by {', '.join(result.clamped)} (sub-totals are before the clamp)")


@app.command()
def lint(
    tariff: Annotated[Path, typer.Argument(help="OCPI Tariff JSON file.", dir_okay=False)],
    as_json: JsonOption = False,
) -> None:
    """Check a tariff against the spec and for elements that will not price as intended."""
    findings = lint_tariff(_load_json(tariff))
    if as_json:
        payload = {
            severity + "s": [
                {"path": f.path, "code": f.code, "message": f.message}
                for f in findings
                if f.severity == severity
            ]
            for severity in ("error", "warning")
        }
        console.print_json(json.dumps(payload))
    else:
        for severity, style in (("error", "red"), ("warning", "yellow")):
            listed = [f for f in findings if f.severity == severity]
            console.print(f"[bold {style}]{len(listed)} {severity}(s)[/bold {style}]")
            for finding in listed:
                console.print(
                    f"  [{style}]{finding.path}[/{style}] {finding.message} [dim]({finding.code})[/dim]"
                )
    if any(f.severity == ERROR for f in findings):
        raise typer.Exit(1)


def _plan(
    kwh: str,
    start: str,
    power: str,
    parking: str,
    min_power: str | None,
    flex: str,
    current: str | None,
    zone: ZoneInfo,
) -> PlannedCharge:
    try:
        return PlannedCharge(
            current_a=None if current is None else _decimal(current, "--current"),
            start=_start(start, zone),
            energy_kwh=_decimal(kwh, "--kwh"),
            power_kw=_decimal(power, "--power"),
            parking=parse_duration(parking) if parking else timedelta(0),
            min_power_kw=None if min_power is None else _decimal(min_power, "--min-power"),
            start_flex=parse_duration(flex) if flex else timedelta(0),
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def _estimate_json(item: Estimate) -> dict[str, Any]:
    return {
        "tariff_id": item.tariff_id,
        "currency": item.currency,
        "minimum": money(item.minimum),
        "expected": money(item.expected_cost),
        "maximum": money(item.maximum),
        "scenarios": item.scenarios,
    }


@app.command()
def price(
    tariff: Annotated[Path, typer.Argument(help="OCPI Tariff JSON file.", dir_okay=False)],
    kwh: Annotated[str, typer.Option(help="Energy to charge (kWh).")],
    start: Annotated[str, typer.Option(help="Start, ISO 8601; without an offset it is local time.")],
    power: Annotated[str, typer.Option(help="Expected average power (kW).")],
    parking: Annotated[str, typer.Option(help="Time parked after charging, e.g. 20m.")] = "",
    min_power: Annotated[str | None, typer.Option(help="Slowest plausible power (default: half).")] = None,
    flex: Annotated[str, typer.Option(help="The start may move this much either way, e.g. 30m.")] = "",
    current: Annotated[str | None, typer.Option(help="Charging current (A, all phases), if known.")] = None,
    tz: ZoneOption = None,
    decimals: DecimalsOption = 2,
    as_json: JsonOption = False,
) -> None:
    """Estimate a planned charge under a tariff: min / expected / max cost and the expected breakdown."""
    engine_tariff, warnings = _tariff(tariff)
    zone, zone_warnings = _zone_for_tariff(engine_tariff, tz)
    plan = _plan(kwh, start, power, parking, min_power, flex, current, zone)
    result = estimate(engine_tariff, plan, zone, rounding=MoneyRounding(decimals))
    all_warnings = [*warnings, *zone_warnings, *result.expected.warnings]
    if as_json:
        payload = _estimate_json(result)
        payload["warnings"] = [{"code": w.code, "message": w.message} for w in all_warnings]
        payload["breakdown"] = [row_to_json(row) for row in explain(result.expected)]
        console.print_json(json.dumps(payload))
        return
    _show_warnings(all_warnings)
    print_breakdown(result.expected)
    console.print(
        f"estimate ({result.scenarios} scenarios): min {_amount(result.minimum)}, expected "
        f"{_amount(result.expected_cost)}, max {_amount(result.maximum)} {result.currency}"
    )


def _differences(
    result: PricingResult, stated: dict[str, Decimal | Price], rounding: MoneyRounding
) -> list[str]:
    found: list[str] = []
    for name, value in stated.items():
        ours = getattr(result.totals, name)
        if isinstance(value, Price) and isinstance(ours, Price):
            for part in ("excl_vat", "incl_vat"):
                theirs, computed = getattr(value, part), getattr(ours, part)
                if theirs is not None and computed is not None and rounding.apply(theirs) != computed:
                    found.append(f"{name}.{part}: CDR says {theirs}, computed {computed}")
        elif (
            isinstance(value, Decimal) and isinstance(ours, Decimal) and abs(value - ours) > Decimal("0.001")
        ):
            found.append(f"{name}: CDR says {value}, computed {_quantity(ours)}")
    return found


@app.command("price-cdr")
def price_cdr(
    cdr: Annotated[Path, typer.Argument(help="CDR JSON file (partial CDRs are accepted).", dir_okay=False)],
    tariff: Annotated[
        Path | None,
        typer.Option(help="Price with this tariff instead of the CDR's tariffs[0].", dir_okay=False),
    ] = None,
    tz: ZoneOption = None,
    check: Annotated[
        bool, typer.Option("--check", help="Compare with the CDR's totals; exit 1 if any differ.")
    ] = False,
    decimals: DecimalsOption = 2,
    as_json: JsonOption = False,
) -> None:
    """Price an existing CDR (leniently) and show its totals, warnings and breakdown."""
    try:
        source = read_cdr(_load_json(cdr))
    except ReadError as error:
        _fail(f"{cdr}: {error}")
    warnings = list(source.warnings)
    if tariff is not None:
        engine_tariff, tariff_warnings = _tariff(tariff)
        warnings.extend(tariff_warnings)
    elif source.tariffs:
        engine_tariff = source.tariffs[0]
    else:
        _fail(f"{cdr} has no tariffs; pass --tariff")
    zone, zone_warnings = resolve_zone(
        override=tz, time_zone=source.time_zone, country=source.country, coordinates=source.coordinates
    )
    rounding = MoneyRounding(decimals)
    result = price_timeline(engine_tariff, source.timeline, zone, rounding=rounding)
    warnings.extend(zone_warnings)
    if source.currency and engine_tariff.currency and source.currency != engine_tariff.currency:
        warnings.append(
            PricingWarning(
                "CURRENCY_MISMATCH",
                f"the CDR is in {source.currency} but the tariff in {engine_tariff.currency}",
            )
        )
    differences = _differences(result, source.stated, rounding) if check else []
    if as_json:
        payload = result_to_json(result)
        payload["warnings"] = [{"code": w.code, "message": w.message} for w in [*warnings, *result.warnings]]
        if check:
            payload["differences"] = differences
        console.print_json(json.dumps(payload))
    else:
        _show_warnings([*warnings, *result.warnings])
        print_breakdown(result)
        if check:
            for difference in differences:
                console.print(f"[red]differs[/red] {difference}")
            if not differences:
                console.print("[green]the CDR's totals match[/green]")
    if differences:
        raise typer.Exit(1)


def _tariff_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
    if not files:
        _fail("no tariff files found")
    return files


@app.command("compare")
def compare_tariffs(
    paths: Annotated[list[Path], typer.Argument(help="Tariff JSON files or directories of them.")],
    kwh: Annotated[str, typer.Option(help="Energy to charge (kWh).")],
    start: Annotated[str, typer.Option(help="Start, ISO 8601; without an offset it is local time.")],
    power: Annotated[str, typer.Option(help="Expected average power (kW).")],
    parking: Annotated[str, typer.Option(help="Time parked after charging, e.g. 20m.")] = "",
    min_power: Annotated[str | None, typer.Option(help="Slowest plausible power (default: half).")] = None,
    flex: Annotated[str, typer.Option(help="The start may move this much either way, e.g. 30m.")] = "",
    current: Annotated[str | None, typer.Option(help="Charging current (A, all phases), if known.")] = None,
    tz: Annotated[str, typer.Option("--tz", help="IANA time zone of the charge.")] = "UTC",
    decimals: DecimalsOption = 2,
    as_json: JsonOption = False,
) -> None:
    """Rank tariffs by what this charge would cost under each, cheapest first."""
    zone = _zone(tz)
    tariffs = []
    for path in _tariff_files(paths):
        try:
            tariffs.append(read_tariff(_load_json(path))[0])
        except ReadError as error:
            errors.print(f"[yellow]skipped[/yellow] {path}: {error}")
    plan = _plan(kwh, start, power, parking, min_power, flex, current, zone)
    ranking = compare(tariffs, plan, zone, rounding=MoneyRounding(decimals))
    if as_json:
        console.print_json(json.dumps({"ranking": [_estimate_json(e) for e in ranking]}))
        return
    if len({e.currency for e in ranking}) > 1:
        errors.print(
            "[yellow]warning[/yellow] the tariffs use different currencies; each is ranked within its own"
        )
    table = Table(title=f"{kwh} kWh at {power} kW from {plan.start:%Y-%m-%d %H:%M %Z}")
    for column in ("rank", "tariff", "currency", "min", "expected", "max"):
        table.add_column(column, justify="right" if column in ("min", "expected", "max") else "left")
    for rank, item in enumerate(ranking, 1):
        table.add_row(
            str(rank),
            item.tariff_id,
            item.currency,
            _amount(item.minimum),
            _amount(item.expected_cost),
            _amount(item.maximum),
        )
    console.print(table)


def _read_series(path: Path, value_name: str) -> list[tuple[datetime, Decimal]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except OSError as error:
        _fail(f"cannot read {path}: {error.strerror}")
    series: list[tuple[datetime, Decimal]] = []
    for number, row in enumerate(rows, 1):
        if not row or row[0].strip().lower() in ("start", "time", "timestamp"):
            continue
        try:
            moment = datetime.fromisoformat(row[0].strip().replace("Z", "+00:00"))
            value = Decimal(row[1].strip())
        except (ValueError, IndexError, InvalidOperation):
            _fail(f"{path}:{number}: expected 'start,{value_name}' with an ISO start and a number")
        series.append((moment if moment.tzinfo else moment.replace(tzinfo=UTC), value))
    return series


@app.command()
def dynamic(
    prices: Annotated[Path, typer.Option(help="CSV of 'start,price': hourly energy prices.", dir_okay=False)],
    margin: Annotated[str, typer.Option(help="Added to every hourly price (per kWh).")] = "0",
    unit: Annotated[str, typer.Option(help="Unit of the CSV prices: kwh or mwh.")] = "kwh",
    load: Annotated[
        Path | None, typer.Option(help="CSV of 'start,load': expected load as a fraction of capacity.")
    ] = None,
    tariff_id: Annotated[str, typer.Option("--id", help="Tariff id.")] = "DYNAMIC",
    currency: Annotated[str, typer.Option(help="ISO 4217 currency.")] = "EUR",
    country: Annotated[str, typer.Option(help="CPO country code.")] = "NL",
    party: Annotated[str, typer.Option(help="CPO party id.")] = "LAD",
    vat: Annotated[str | None, typer.Option(help="VAT percentage of the energy price.")] = None,
    fallback: Annotated[
        str | None, typer.Option(help="Price outside the series (default: the highest).")
    ] = None,
    tz: Annotated[str, typer.Option("--tz", help="IANA time zone of the location.")] = "Europe/Amsterdam",
    out: Annotated[Path | None, typer.Option(help="Write the tariff JSON here instead of stdout.")] = None,
) -> None:
    """Generate an OCPI tariff from hourly prices (plus margin and load), lint it, and print it."""
    zone = _zone(tz)
    if unit.lower() not in ("kwh", "mwh"):
        raise typer.BadParameter("--unit must be kwh or mwh")
    divisor = Decimal(1000) if unit.lower() == "mwh" else Decimal(1)
    hourly = [HourlyPrice(start, value / divisor) for start, value in _read_series(prices, "price")]
    if not hourly:
        _fail(f"{prices} has no prices")
    forecast = [LoadForecast(start, value) for start, value in _read_series(load, "load")] if load else []
    identity = TariffIdentity(
        tariff_id,
        currency.upper(),
        country.upper(),
        party.upper(),
        None if vat is None else _decimal(vat, "--vat"),
    )
    generated = tariff_from_hourly_prices(
        hourly,
        zone,
        identity,
        margin_kwh=_decimal(margin, "--margin"),
        load=forecast,
        fallback_price=None if fallback is None else _decimal(fallback, "--fallback"),
    )
    document = tariff_to_ocpi(generated.tariff, datetime.now(UTC).replace(microsecond=0))
    for note in generated.notes:
        errors.print(f"[yellow]note[/yellow] {note}")
    findings = lint_tariff(document)
    for finding in findings:
        errors.print(f"[yellow]{finding.severity}[/yellow] {finding}")
    text = json.dumps(document, indent=2)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
        errors.print(f"wrote {out} ({len(generated.tariff.elements)} elements)")
    else:
        typer.echo(text)
    if any(f.severity == ERROR for f in findings):
        raise typer.Exit(1)
