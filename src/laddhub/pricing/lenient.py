"""Lenient reading of raw OCPI JSON (tariffs and CDRs) into the engine's types.

Real partners' files are often partial or slightly wrong. Where the linter is strict, this reader takes
what pricing needs and tolerates the common deviations, reporting each one as a warning with its JSON path:
numbers written as strings, timestamps with a UTC offset, camelCase keys, enum values in the wrong case, a
single object where a list belongs, a missing step_size, a CDR without its end time or currency.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from laddhub.pricing.diagnostics import PricingWarning
from laddhub.pricing.tariff import (
    ZERO,
    Dimension,
    Price,
    PriceComponent,
    ReservationKind,
    Restrictions,
    Tariff,
    TariffElement,
    TaxIncluded,
    Weekday,
)
from laddhub.pricing.timeline import US_PER_HOUR, Period, PeriodKind, Timeline, to_us

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?$", re.I
)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class ReadError(ValueError):
    """The input lacks something pricing cannot do without; the message names the JSON path."""


class Reader:
    """Reads values at JSON paths, collecting a warning for each thing it had to tolerate."""

    def __init__(self) -> None:
        self.warnings: list[PricingWarning] = []

    def warn(self, code: str, path: str, message: str) -> None:
        """Record one tolerance at `path`."""
        self.warnings.append(PricingWarning(code, f"{path}: {message}"))

    def obj(self, value: object, path: str) -> Mapping[str, Any]:
        """A JSON object with keys normalised to snake_case (camelCase keys are tolerated and reported)."""
        if not isinstance(value, Mapping):
            raise ReadError(f"{path}: expected an object, got {type(value).__name__}")
        result: dict[str, Any] = {}
        for key, item in value.items():
            name = _CAMEL.sub(r"_\1", str(key)).lower()
            if name != key:
                self.warn("CAMEL_CASE_KEY", f"{path}.{key}", f"read as {name!r}")
            result[name] = item
        return result

    def items(self, value: object, path: str) -> list[object]:
        """A JSON array; `null` is empty and a lone object is taken as a one-item array (reported)."""
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self.warn(
            "SINGLE_OBJECT_FOR_LIST", path, "a single value where a list belongs; read as a list of one"
        )
        return [value]

    def number(self, value: object, path: str) -> Decimal:
        """A JSON number as Decimal; strings holding a number are tolerated and reported."""
        if isinstance(value, bool):
            raise ReadError(f"{path}: expected a number, got a boolean")
        if isinstance(value, int | float | Decimal):
            return Decimal(str(value))
        if isinstance(value, str):
            try:
                parsed = Decimal(value.strip().replace(",", "."))
            except InvalidOperation:
                raise ReadError(f"{path}: {value!r} is not a number") from None
            if not parsed.is_finite():
                raise ReadError(f"{path}: {value!r} is not a finite number")
            self.warn("NUMBER_AS_STRING", path, f"number written as the string {value!r}")
            return parsed
        raise ReadError(f"{path}: expected a number, got {type(value).__name__}")

    def optional_number(self, data: Mapping[str, Any], key: str, path: str) -> Decimal | None:
        """`data[key]` as a number, or None when absent or null."""
        value = data.get(key)
        return None if value is None else self.number(value, f"{path}.{key}")

    def integer(self, value: object, path: str) -> int:
        """A JSON integer; a number with a fraction is rounded up (reported)."""
        number = self.number(value, path)
        whole = int(number.to_integral_value(rounding="ROUND_CEILING"))
        if whole != number:
            self.warn("FRACTIONAL_INTEGER", path, f"{number} read as {whole}")
        return whole

    def enum_value(self, value: object, path: str, allowed: Sequence[str]) -> str:
        """An enum string; wrong case is tolerated and reported."""
        if not isinstance(value, str):
            raise ReadError(f"{path}: expected one of {', '.join(allowed)}")
        if value in allowed:
            return value
        upper = value.strip().upper()
        if upper in allowed:
            self.warn("ENUM_CASE", path, f"{value!r} read as {upper!r}")
            return upper
        raise ReadError(f"{path}: {value!r} is not one of {', '.join(allowed)}")

    def timestamp(self, value: object, path: str) -> datetime:
        """An OCPI DateTime as aware UTC; offsets other than Z are tolerated and reported."""
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if not isinstance(value, str):
            raise ReadError(f"{path}: expected a DateTime string")
        match = _TIMESTAMP.match(value.strip())
        if match is None:
            raise ReadError(f"{path}: {value!r} is not an RFC 3339 DateTime")
        year, month, day, hour, minute, second, fraction, zone = match.groups()
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=UTC,
        )
        if zone and zone.upper() != "Z":
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            moment -= sign * offset
            self.warn("TIMESTAMP_OFFSET", path, f"{value!r} carries a UTC offset; converted to UTC")
        return moment

    def clock(self, value: object, path: str) -> time:
        """A restriction time `HH:MM`; `H:MM` and `HH:MM:SS` are tolerated and reported."""
        match = _CLOCK.match(str(value).strip()) if isinstance(value, str) else None
        if match is None:
            raise ReadError(f"{path}: {value!r} is not a time HH:MM")
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
        if hour == 24 and minute == 0 and second == 0:
            self.warn("TIME_24_00", path, "24:00 read as 00:00 (end of day)")
            hour = 0
        if len(match[1]) != 2 or match[3] is not None:
            self.warn("TIME_FORMAT", path, f"{value!r} read as {hour:02d}:{minute:02d}")
        return time(hour, minute, second)

    def day(self, value: object, path: str) -> date:
        """A restriction date `YYYY-MM-DD`."""
        try:
            return date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            raise ReadError(f"{path}: {value!r} is not a date YYYY-MM-DD") from None


def _price(reader: Reader, value: object, path: str) -> Price:
    """A 2.2.1 Price or a 2.3.0 PriceLimit/Price (`before_taxes`/`after_taxes`)."""
    data = reader.obj(value, path)
    if "excl_vat" in data:
        return Price(
            reader.number(data["excl_vat"], f"{path}.excl_vat"),
            reader.optional_number(data, "incl_vat", path),
        )
    if "before_taxes" in data:
        after = reader.optional_number(data, "after_taxes", path)
        before = reader.number(data["before_taxes"], f"{path}.before_taxes")
        if after is None and data.get("taxes"):
            taxes = [
                reader.obj(t, f"{path}.taxes[{i}]") for i, t in enumerate(reader.items(data["taxes"], path))
            ]
            after = before + sum((reader.number(t.get("amount", 0), f"{path}.taxes") for t in taxes), ZERO)
        return Price(before, after)
    raise ReadError(f"{path}: a price needs excl_vat (2.2.1) or before_taxes (2.3.0)")


def _restrictions(reader: Reader, value: object, path: str) -> Restrictions:
    if value is None:
        return Restrictions()
    data = reader.obj(value, path)

    def get_time(key: str) -> time | None:
        return None if data.get(key) is None else reader.clock(data[key], f"{path}.{key}")

    def get_date(key: str) -> date | None:
        return None if data.get(key) is None else reader.day(data[key], f"{path}.{key}")

    def get_seconds(key: str) -> int | None:
        return None if data.get(key) is None else reader.integer(data[key], f"{path}.{key}")

    days = frozenset(
        Weekday[reader.enum_value(day, f"{path}.day_of_week[{i}]", [d.name for d in Weekday])]
        for i, day in enumerate(reader.items(data.get("day_of_week"), f"{path}.day_of_week"))
    )
    reservation = data.get("reservation")
    return Restrictions(
        start_time=get_time("start_time"),
        end_time=get_time("end_time"),
        start_date=get_date("start_date"),
        end_date=get_date("end_date"),
        min_kwh=reader.optional_number(data, "min_kwh", path),
        max_kwh=reader.optional_number(data, "max_kwh", path),
        min_current=reader.optional_number(data, "min_current", path),
        max_current=reader.optional_number(data, "max_current", path),
        min_power=reader.optional_number(data, "min_power", path),
        max_power=reader.optional_number(data, "max_power", path),
        min_duration=get_seconds("min_duration"),
        max_duration=get_seconds("max_duration"),
        day_of_week=days,
        reservation=None
        if reservation is None
        else ReservationKind(
            reader.enum_value(reservation, f"{path}.reservation", [k.value for k in ReservationKind])
        ),
    )


def _component(reader: Reader, value: object, path: str) -> PriceComponent:
    data = reader.obj(value, path)
    if "type" not in data or "price" not in data:
        raise ReadError(f"{path}: a price component needs type and price")
    dimension = Dimension(reader.enum_value(data["type"], f"{path}.type", [d.value for d in Dimension]))
    step = data.get("step_size")
    if step is None:
        if dimension is not Dimension.FLAT:
            reader.warn("STEP_SIZE_MISSING", f"{path}.step_size", "missing; 1 assumed")
        step_size = 1
    else:
        step_size = reader.integer(step, f"{path}.step_size")
    return PriceComponent(
        dimension=dimension,
        price=reader.number(data["price"], f"{path}.price"),
        step_size=step_size,
        vat=reader.optional_number(data, "vat", path),
    )


def read_tariff(
    value: object, path: str = "$", reader: Reader | None = None
) -> tuple[Tariff, list[PricingWarning]]:
    """A Tariff (2.2.1, or 2.3.0 with `tax_included` and PriceLimit) from JSON, leniently."""
    reader = reader or Reader()
    data = reader.obj(value, path)
    elements: list[TariffElement] = []
    for i, raw in enumerate(reader.items(data.get("elements"), f"{path}.elements")):
        element_path = f"{path}.elements[{i}]"
        element = reader.obj(raw, element_path)
        components = tuple(
            _component(reader, c, f"{element_path}.price_components[{j}]")
            for j, c in enumerate(
                reader.items(element.get("price_components"), f"{element_path}.price_components")
            )
        )
        if not components:
            reader.warn("ELEMENT_WITHOUT_PRICES", element_path, "has no price components; it never applies")
        elements.append(
            TariffElement(components, _restrictions(reader, element.get("restrictions"), element_path))
        )
    if not elements:
        raise ReadError(f"{path}.elements: a tariff needs at least one element")
    currency = data.get("currency")
    if not isinstance(currency, str) or not currency:
        reader.warn("CURRENCY_MISSING", f"{path}.currency", "missing")
        currency = ""
    elif currency != currency.upper():
        reader.warn("CURRENCY_CASE", f"{path}.currency", f"{currency!r} read as {currency.upper()!r}")
        currency = currency.upper()
    tax = data.get("tax_included")
    alt_text = tuple(
        (str(t.get("language", "")), str(t.get("text", "")))
        for t in (
            reader.obj(x, f"{path}.tariff_alt_text") for x in reader.items(data.get("tariff_alt_text"), path)
        )
    )
    tariff = Tariff(
        id=str(data.get("id", "")),
        currency=currency,
        elements=tuple(elements),
        min_price=None
        if data.get("min_price") is None
        else _price(reader, data["min_price"], f"{path}.min_price"),
        max_price=None
        if data.get("max_price") is None
        else _price(reader, data["max_price"], f"{path}.max_price"),
        start_date_time=None
        if data.get("start_date_time") is None
        else reader.timestamp(data["start_date_time"], f"{path}.start_date_time"),
        end_date_time=None
        if data.get("end_date_time") is None
        else reader.timestamp(data["end_date_time"], f"{path}.end_date_time"),
        tax_included=TaxIncluded.NO
        if tax is None
        else TaxIncluded(reader.enum_value(tax, f"{path}.tax_included", [t.value for t in TaxIncluded])),
        country_code=str(data.get("country_code", "")),
        party_id=str(data.get("party_id", "")),
        type=None if data.get("type") is None else str(data["type"]),
        alt_text=alt_text,
    )
    return tariff, reader.warnings


@dataclass(frozen=True, slots=True)
class CdrInput:
    """What pricing needs from a CDR, read leniently, plus the totals the CDR states (for `--check`)."""

    timeline: Timeline
    currency: str
    tariffs: tuple[Tariff, ...]
    country: str | None
    coordinates: tuple[Decimal, Decimal] | None
    time_zone: str | None
    stated: dict[str, Decimal | Price] = field(default_factory=dict)
    warnings: tuple[PricingWarning, ...] = ()


_STATED_MONEY = (
    "total_cost",
    "total_fixed_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_reservation_cost",
)
_STATED_QUANTITIES = ("total_energy", "total_time", "total_parking_time")
_SPAN_TOLERANCE_US = 1_000_000


def _hours_to_us(hours: Decimal) -> int:
    return int((hours * US_PER_HOUR).to_integral_value())


def _period_parts(
    reader: Reader, dims: dict[str, Decimal], start: datetime, end: datetime, path: str
) -> list[tuple[PeriodKind, datetime, datetime]]:
    """Split a ChargingPeriod into its reservation, charging and parking parts, in that order.

    Volumes in hours carry only ~4 decimals (0.36 s), so when they agree with the period's span to within
    a second the exact span is billed, the last part taking the remainder; otherwise the volumes are.
    """
    span_us = (end - start) // timedelta(microseconds=1)
    volumes = [
        (kind, _hours_to_us(dims[name]))
        for kind, name in (
            (PeriodKind.RESERVATION, "RESERVATION_TIME"),
            (PeriodKind.CHARGING, "TIME"),
            (PeriodKind.PARKING, "PARKING_TIME"),
        )
        if dims.get(name)
    ]
    if not volumes:
        if "ENERGY" not in dims:
            reader.warn(
                "PERIOD_WITHOUT_VOLUMES",
                path,
                "no ENERGY, TIME or PARKING_TIME; its span counted as charging",
            )
        return [(PeriodKind.CHARGING, start, end)]
    total_us = sum(us for _, us in volumes)
    if abs(total_us - span_us) <= _SPAN_TOLERANCE_US:
        kind, last_us = volumes[-1]
        volumes[-1] = (kind, last_us + span_us - total_us)
    elif span_us >= 0:
        reader.warn(
            "PERIOD_VOLUMES_DIFFER_FROM_SPAN",
            path,
            f"time volumes add up to {Decimal(total_us) / US_PER_HOUR:.4f} h but the period spans "
            f"{Decimal(span_us) / US_PER_HOUR:.4f} h; the volumes are billed",
        )
    parts: list[tuple[PeriodKind, datetime, datetime]] = []
    cursor = start
    for kind, us in volumes:
        part_end = cursor + timedelta(microseconds=us)
        parts.append((kind, cursor, part_end))
        cursor = part_end
    return parts


def _representative(dims: dict[str, Decimal], average: str, peak: str, low: str) -> Decimal | None:
    """The value a current/power restriction compares: the average if given, else the peak, else the low."""
    for name in (average, peak, low):
        if name in dims:
            return dims[name]
    return None


def _spread_stated_energy(
    reader: Reader, periods: list[Period], dims: list[dict[str, Decimal]], stated: Decimal | Price | None
) -> list[Period]:
    """Periods without any ENERGY volume get the CDR's total_energy spread over charging time (reported).

    Without this an energy-priced tariff would price such a CDR (the spec's own example is one) at zero.
    """
    has_energy = any(name in d for d in dims for name in ("ENERGY", "ENERGY_IMPORT", "ENERGY_EXPORT"))
    if has_energy or not isinstance(stated, Decimal) or stated <= 0:
        return periods
    charging_us = sum(to_us(p.end) - to_us(p.start) for p in periods if p.kind is PeriodKind.CHARGING)
    if charging_us <= 0:
        return periods
    reader.warn(
        "ENERGY_FROM_TOTAL",
        "$.charging_periods",
        f"no period reports ENERGY; total_energy {stated} kWh is spread over the charging time",
    )
    spread: list[Period] = []
    given = ZERO
    last_charging = max(i for i, p in enumerate(periods) if p.kind is PeriodKind.CHARGING)
    for i, period in enumerate(periods):
        if period.kind is PeriodKind.CHARGING:
            share = (
                stated - given
                if i == last_charging
                else stated * (to_us(period.end) - to_us(period.start)) / charging_us
            )
            given += share
            period = replace(period, energy_kwh=share)
        spread.append(period)
    return spread


def read_cdr(value: object) -> CdrInput:
    """What pricing needs from a (possibly partial) CDR or finished Session, with warnings for tolerances."""
    reader = Reader()
    data = reader.obj(value, "$")
    raw_periods = reader.items(data.get("charging_periods"), "$.charging_periods")
    starts = [
        reader.timestamp(
            reader.obj(p, f"$.charging_periods[{i}]").get("start_date_time"),
            f"$.charging_periods[{i}].start_date_time",
        )
        for i, p in enumerate(raw_periods)
    ]
    if data.get("start_date_time") is not None:
        session_start = reader.timestamp(data["start_date_time"], "$.start_date_time")
    elif starts:
        session_start = min(starts)
        reader.warn("START_MISSING", "$.start_date_time", "missing; the first period's start is used")
    else:
        raise ReadError("$.start_date_time: missing, and there are no charging periods to take it from")

    tariffs = tuple(
        read_tariff(t, f"$.tariffs[{i}]", reader)[0]
        for i, t in enumerate(reader.items(data.get("tariffs"), "$.tariffs"))
    )
    periods: list[Period] = []
    period_dims: list[dict[str, Decimal]] = []
    for i, raw in enumerate(raw_periods):
        path = f"$.charging_periods[{i}]"
        period = reader.obj(raw, path)
        dims: dict[str, Decimal] = {}
        for j, raw_dim in enumerate(reader.items(period.get("dimensions"), f"{path}.dimensions")):
            dim_path = f"{path}.dimensions[{j}]"
            dim = reader.obj(raw_dim, dim_path)
            name = str(dim.get("type", "")).upper()
            if name != dim.get("type"):
                reader.warn("ENUM_CASE", f"{dim_path}.type", f"{dim.get('type')!r} read as {name!r}")
            dims[name] = dims.get(name, ZERO) + reader.number(dim.get("volume"), f"{dim_path}.volume")
        period_dims.append(dims)
    if data.get("end_date_time") is not None:
        session_end = reader.timestamp(data["end_date_time"], "$.end_date_time")
    else:
        tail = (
            _hours_to_us(sum((period_dims[-1].get(k, ZERO) for k in ("TIME", "PARKING_TIME")), ZERO))
            if period_dims
            else 0
        )
        session_end = (max(starts) if starts else session_start) + timedelta(microseconds=tail)
        reader.warn("END_MISSING", "$.end_date_time", "missing; derived from the last period's volumes")
    order = sorted(range(len(starts)), key=lambda k: starts[k])
    for position, i in enumerate(order):
        path = f"$.charging_periods[{i}]"
        start = starts[i]
        end = starts[order[position + 1]] if position + 1 < len(order) else max(session_end, start)
        dims = period_dims[i]
        energy = dims.get("ENERGY", dims.get("ENERGY_IMPORT", ZERO) - dims.get("ENERGY_EXPORT", ZERO))
        current = _representative(dims, "CURRENT", "MAX_CURRENT", "MIN_CURRENT")
        power = _representative(dims, "POWER", "MAX_POWER", "MIN_POWER")
        parts = _period_parts(reader, dims, start, end, path)
        for kind, part_start, part_end in parts:
            periods.append(
                Period(
                    start=part_start,
                    end=part_end,
                    kind=kind,
                    energy_kwh=energy if kind is PeriodKind.CHARGING else ZERO,
                    current_a=current,
                    power_kw=power,
                )
            )
        if energy and not any(k is PeriodKind.CHARGING for k, _, _ in parts):
            reader.warn(
                "ENERGY_OUTSIDE_CHARGING", path, f"{energy} kWh reported in a period without charging time"
            )
            periods.append(Period(start=start, end=start, kind=PeriodKind.CHARGING, energy_kwh=energy))
    kinds = {p.kind for p in periods}
    expired = PeriodKind.RESERVATION in kinds and kinds == {PeriodKind.RESERVATION}
    if expired:
        reader.warn(
            "RESERVATION_EXPIRED",
            "$.charging_periods",
            "only reservation time: priced as an expired reservation",
        )

    currency = data.get("currency")
    if not isinstance(currency, str) or not currency:
        currency = tariffs[0].currency if tariffs else ""
        reader.warn("CURRENCY_MISSING", "$.currency", f"missing; {currency or 'none'} taken from the tariff")
    location = reader.obj(data.get("cdr_location") or data.get("location") or {}, "$.cdr_location")
    coordinates: tuple[Decimal, Decimal] | None = None
    if location.get("coordinates") is not None:
        raw_coordinates = reader.obj(location["coordinates"], "$.cdr_location.coordinates")
        try:
            coordinates = (
                Decimal(str(raw_coordinates["latitude"])),
                Decimal(str(raw_coordinates["longitude"])),
            )
        except (KeyError, InvalidOperation):
            reader.warn("COORDINATES_UNREADABLE", "$.cdr_location.coordinates", "ignored")
    stated: dict[str, Decimal | Price] = {}
    for name in _STATED_MONEY:
        if data.get(name) is not None:
            stated[name] = _price(reader, data[name], f"$.{name}")
    for name in _STATED_QUANTITIES:
        if data.get(name) is not None:
            stated[name] = reader.number(data[name], f"$.{name}")
    periods = _spread_stated_energy(reader, periods, period_dims, stated.get("total_energy"))
    country = location.get("country")
    time_zone = location.get("time_zone") or data.get("time_zone")
    return CdrInput(
        timeline=Timeline(session_start, session_end, tuple(periods), reservation_expired=expired),
        currency=currency,
        tariffs=tariffs,
        country=None if country is None else str(country),
        coordinates=coordinates,
        time_zone=None if time_zone is None else str(time_zone),
        stated=stated,
        warnings=tuple(reader.warnings),
    )
