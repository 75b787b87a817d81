"""A strict linter for OCPI tariffs: what a partner's tariff gets wrong, each finding with its JSON path.

Where `lenient.py` prices whatever it can, the linter tells a CPO what to fix before publishing: unknown or
misspelled fields, wrong-case codes, missing required fields, wrong types, elements that can never match or
are shadowed by an earlier element, a dimension without a fallback element, and step sizes that will be
ignored. Errors break the spec; warnings are legal tariffs that will probably not price as intended.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry

from laddhub.pricing.lenient import ReadError, read_tariff
from laddhub.pricing.restrictions import end_of_window_us, time_of_day_us
from laddhub.pricing.tariff import Dimension, ReservationKind, Restrictions, Tariff, TariffElement

ERROR = "error"
WARNING = "warning"

_TIME = re.compile(r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$")
_DATE = re.compile(r"^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z)?$")
_DATETIME_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")

TARIFF_TYPES = ("AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN", "REGULAR")
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: `severity` "error" or "warning", and a JSON path like `$.elements[1].restrictions`."""

    severity: str
    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity} {self.path}: {self.message} [{self.code}]"


# Field -> (required, checker name). The checker names map to methods of _Linter.
_TARIFF_FIELDS: dict[str, tuple[bool, str]] = {
    "country_code": (True, "country_code"),
    "party_id": (True, "party_id"),
    "id": (True, "id"),
    "currency": (True, "currency"),
    "type": (False, "tariff_type"),
    "tariff_alt_text": (False, "display_texts"),
    "tariff_alt_url": (False, "string"),
    "min_price": (False, "price"),
    "max_price": (False, "price"),
    "elements": (True, "elements"),
    "start_date_time": (False, "datetime"),
    "end_date_time": (False, "datetime"),
    "energy_mix": (False, "object"),
    "last_updated": (True, "datetime"),
    "tax_included": (False, "tax_included"),
    "preauthorize_amount": (False, "number"),
}
_ELEMENT_FIELDS: dict[str, tuple[bool, str]] = {
    "price_components": (True, "price_components"),
    "restrictions": (False, "restrictions"),
}
_COMPONENT_FIELDS: dict[str, tuple[bool, str]] = {
    "type": (True, "dimension"),
    "price": (True, "number"),
    "vat": (False, "number"),
    "step_size": (True, "integer"),
}
_RESTRICTION_FIELDS: dict[str, tuple[bool, str]] = {
    "start_time": (False, "clock"),
    "end_time": (False, "clock"),
    "start_date": (False, "day"),
    "end_date": (False, "day"),
    "min_kwh": (False, "number"),
    "max_kwh": (False, "number"),
    "min_current": (False, "number"),
    "max_current": (False, "number"),
    "min_power": (False, "number"),
    "max_power": (False, "number"),
    "min_duration": (False, "integer"),
    "max_duration": (False, "integer"),
    "day_of_week": (False, "days"),
    "reservation": (False, "reservation"),
}
_PRICE_FIELDS: dict[str, tuple[bool, str]] = {
    "excl_vat": (False, "number"),
    "incl_vat": (False, "number"),
    "before_taxes": (False, "number"),
    "after_taxes": (False, "number"),
}
_TEXT_FIELDS: dict[str, tuple[bool, str]] = {"language": (True, "string"), "text": (True, "string")}


class _Linter:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, severity: str, path: str, code: str, message: str) -> None:
        self.findings.append(Finding(severity, path, code, message))

    def fields(
        self, value: object, path: str, schema: dict[str, tuple[bool, str]]
    ) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(ERROR, path, "NOT_AN_OBJECT", f"expected an object, got {type(value).__name__}")
            return None
        for key, item in value.items():
            if key not in schema:
                self.unknown(str(key), f"{path}.{key}", schema)
                continue
            if item is None:
                continue
            check: Callable[[object, str], None] = getattr(self, f"check_{schema[key][1]}")
            check(item, f"{path}.{key}")
        for key, (required, _) in schema.items():
            if required and value.get(key) is None:
                self.add(ERROR, f"{path}.{key}", "MISSING_FIELD", f"required field {key} is missing")
        return value

    def unknown(self, key: str, path: str, schema: dict[str, tuple[bool, str]]) -> None:
        snake = _CAMEL.sub(r"_\1", key).lower()
        if snake in schema:
            hint = f"; did you mean {snake!r}? (OCPI field names are snake_case)"
        else:
            close = difflib.get_close_matches(snake, list(schema), n=1, cutoff=0.75)
            hint = f"; did you mean {close[0]!r}?" if close else ""
        self.add(ERROR, path, "UNKNOWN_FIELD", f"unknown field {key!r}{hint}")

    def check_object(self, value: object, path: str) -> None:
        if not isinstance(value, Mapping):
            self.add(ERROR, path, "NOT_AN_OBJECT", f"expected an object, got {type(value).__name__}")

    def check_string(self, value: object, path: str, limit: int | None = None) -> bool:
        if not isinstance(value, str):
            self.add(ERROR, path, "NOT_A_STRING", f"expected a string, got {type(value).__name__}")
            return False
        if limit is not None and len(value) > limit:
            self.add(ERROR, path, "TOO_LONG", f"{len(value)} characters; at most {limit} allowed")
            return False
        return True

    def check_id(self, value: object, path: str) -> None:
        self.check_string(value, path, 36)

    def check_party_id(self, value: object, path: str) -> None:
        if self.check_string(value, path, 3) and value != str(value).upper():
            self.add(WARNING, path, "CODE_CASE", f"party_id {value!r} is conventionally upper case")

    def check_country_code(self, value: object, path: str) -> None:
        if not self.check_string(value, path, 2):
            return
        text = str(value)
        if text != text.upper():
            self.add(
                WARNING, path, "CODE_CASE", f"country code {text!r} should be upper case ({text.upper()!r})"
            )
        if pycountry.countries.get(alpha_2=text.upper()) is None:
            self.add(ERROR, path, "UNKNOWN_COUNTRY", f"{text!r} is not an ISO 3166-1 alpha-2 country code")

    def check_currency(self, value: object, path: str) -> None:
        if not self.check_string(value, path, 3):
            return
        text = str(value)
        if pycountry.currencies.get(alpha_3=text.upper()) is None:
            self.add(ERROR, path, "UNKNOWN_CURRENCY", f"{text!r} is not an ISO 4217 currency code")
        elif text != text.upper():
            self.add(ERROR, path, "CODE_CASE", f"currency {text!r} must be upper case ({text.upper()!r})")

    def check_number(self, value: object, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            if isinstance(value, str):
                try:
                    Decimal(value)
                    self.add(ERROR, path, "NUMBER_AS_STRING", f"number written as the string {value!r}")
                    return
                except InvalidOperation:
                    pass
            self.add(ERROR, path, "NOT_A_NUMBER", f"expected a number, got {value!r}")
        elif value < 0:
            self.add(ERROR, path, "NEGATIVE", f"{value} is negative")

    def check_integer(self, value: object, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return
            self.add(ERROR, path, "NOT_AN_INTEGER", f"expected an integer, got {value!r}")
        elif value < 0:
            self.add(ERROR, path, "NEGATIVE", f"{value} is negative")

    def check_enum(self, value: object, path: str, allowed: tuple[str, ...]) -> None:
        if not isinstance(value, str) or value not in allowed:
            upper = value.upper() if isinstance(value, str) else None
            hint = f" (wrong case: {upper!r})" if upper in allowed else ""
            self.add(ERROR, path, "BAD_ENUM", f"{value!r} is not one of {', '.join(allowed)}{hint}")

    def check_tariff_type(self, value: object, path: str) -> None:
        self.check_enum(value, path, TARIFF_TYPES)

    def check_dimension(self, value: object, path: str) -> None:
        self.check_enum(value, path, tuple(d.value for d in Dimension))

    def check_reservation(self, value: object, path: str) -> None:
        self.check_enum(value, path, tuple(k.value for k in ReservationKind))

    def check_tax_included(self, value: object, path: str) -> None:
        self.check_enum(value, path, ("YES", "NO", "N/A"))

    def check_days(self, value: object, path: str) -> None:
        if not isinstance(value, list):
            self.add(ERROR, path, "NOT_A_LIST", "day_of_week must be a list of days")
            return
        for i, day in enumerate(value):
            self.check_enum(day, f"{path}[{i}]", DAYS)
        if len(set(map(str, value))) != len(value):
            self.add(WARNING, path, "DUPLICATE_DAY", "a day is listed twice")

    def check_clock(self, value: object, path: str) -> None:
        if not isinstance(value, str) or not _TIME.match(value):
            self.add(ERROR, path, "BAD_TIME", f"{value!r} is not a time HH:MM (00:00-23:59)")

    def check_day(self, value: object, path: str) -> None:
        if not isinstance(value, str) or not _DATE.match(value):
            self.add(ERROR, path, "BAD_DATE", f"{value!r} is not a date YYYY-MM-DD")
            return
        try:
            date.fromisoformat(value)
        except ValueError:
            self.add(ERROR, path, "BAD_DATE", f"{value!r} is not a calendar date")

    def check_datetime(self, value: object, path: str) -> None:
        if isinstance(value, str) and _DATETIME.match(value):
            return
        if isinstance(value, str) and _DATETIME_OFFSET.match(value):
            self.add(WARNING, path, "DATETIME_OFFSET", f"{value!r} has a UTC offset; OCPI DateTimes end in Z")
            return
        self.add(ERROR, path, "BAD_DATETIME", f"{value!r} is not an OCPI DateTime (YYYY-MM-DDTHH:MM:SSZ)")

    def check_price(self, value: object, path: str) -> None:
        data = self.fields(value, path, _PRICE_FIELDS)
        if data is not None and "excl_vat" not in data and "before_taxes" not in data:
            self.add(
                ERROR,
                f"{path}.excl_vat",
                "MISSING_FIELD",
                "a price needs excl_vat (or before_taxes in 2.3.0)",
            )

    def check_display_texts(self, value: object, path: str) -> None:
        if not isinstance(value, list):
            self.add(ERROR, path, "NOT_A_LIST", "expected a list of DisplayText")
            return
        for i, text in enumerate(value):
            self.fields(text, f"{path}[{i}]", _TEXT_FIELDS)

    def check_elements(self, value: object, path: str) -> None:
        if not isinstance(value, list) or not value:
            self.add(ERROR, path, "EMPTY_ELEMENTS", "a tariff needs a non-empty list of elements")
            return
        for i, element in enumerate(value):
            self.fields(element, f"{path}[{i}]", _ELEMENT_FIELDS)

    def check_price_components(self, value: object, path: str) -> None:
        if not isinstance(value, list) or not value:
            self.add(ERROR, path, "EMPTY_COMPONENTS", "an element needs a non-empty list of price components")
            return
        seen: set[str] = set()
        for i, component in enumerate(value):
            data = self.fields(component, f"{path}[{i}]", _COMPONENT_FIELDS)
            kind = str(data.get("type")) if data is not None else ""
            if kind in seen:
                self.add(
                    WARNING, f"{path}[{i}]", "DUPLICATE_DIMENSION", f"a second {kind} component is never used"
                )
            seen.add(kind)

    def check_restrictions(self, value: object, path: str) -> None:
        self.fields(value, path, _RESTRICTION_FIELDS)


def _bounds_empty(low: Decimal | int | None, high: Decimal | int | None) -> bool:
    return low is not None and high is not None and low >= high


def _never_matches(r: Restrictions) -> list[str]:
    """Why an element's restrictions can never hold together."""
    reasons = []
    for name in ("kwh", "current", "power", "duration"):
        low, high = getattr(r, f"min_{name}"), getattr(r, f"max_{name}")
        if _bounds_empty(low, high):
            reasons.append(f"min_{name} {low} is not below max_{name} {high}")
    if r.start_date is not None and r.end_date is not None and r.start_date >= r.end_date:
        reasons.append(
            f"start_date {r.start_date} is not before end_date {r.end_date} (end_date is exclusive)"
        )
    if (
        r.start_time is not None
        and r.end_time is not None
        and r.start_time == r.end_time
        and r.start_time != time(0)
    ):
        reasons.append(f"start_time equals end_time ({r.start_time:%H:%M}): the window is empty")
    return reasons


def _window(r: Restrictions) -> tuple[int, int] | None:
    if r.start_time is None and r.end_time is None:
        return None
    start = time_of_day_us(r.start_time) if r.start_time is not None else 0
    end = end_of_window_us(r.end_time) if r.end_time is not None else 1440 * 60_000_000
    return start, end


def _window_contains(outer: tuple[int, int] | None, inner: tuple[int, int] | None) -> bool:
    if outer is None:
        return True
    if inner is None:
        return False
    (o_start, o_end), (i_start, i_end) = outer, inner
    if o_start < o_end and i_start < i_end:
        return o_start <= i_start and i_end <= o_end
    if o_start > o_end:
        if i_start < i_end:
            return i_start >= o_start or i_end <= o_end
        return i_start >= o_start and i_end <= o_end
    return False


def _looser(low_a: Any, high_a: Any, low_b: Any, high_b: Any) -> bool:
    """Whether the range [low_a, high_a) contains [low_b, high_b) (None = unbounded)."""
    low_ok = low_a is None or (low_b is not None and low_b >= low_a)
    high_ok = high_a is None or (high_b is not None and high_b <= high_a)
    return low_ok and high_ok


def _implied_by(earlier: Restrictions, later: Restrictions) -> bool:
    """True when `earlier` holds whenever `later` holds: the later element can never be reached."""
    if earlier.reservation != later.reservation:
        return False
    if earlier.day_of_week and (not later.day_of_week or not later.day_of_week <= earlier.day_of_week):
        return False
    if not _window_contains(_window(earlier), _window(later)):
        return False
    return all(
        _looser(
            getattr(earlier, f"min_{n}"),
            getattr(earlier, f"max_{n}"),
            getattr(later, f"min_{n}"),
            getattr(later, f"max_{n}"),
        )
        for n in ("kwh", "current", "power", "duration")
    ) and _looser(earlier.start_date, earlier.end_date, later.start_date, later.end_date)


def _semantic(tariff: Tariff, linter: _Linter) -> None:
    elements = tariff.elements
    for i, element in enumerate(elements):
        path = f"$.elements[{i}]"
        r = element.restrictions
        for reason in _never_matches(r):
            linter.add(WARNING, f"{path}.restrictions", "NEVER_MATCHES", f"element can never apply: {reason}")
        if r.reservation is not None:
            for j, component in enumerate(element.price_components):
                if component.dimension not in (Dimension.FLAT, Dimension.TIME):
                    linter.add(
                        WARNING,
                        f"{path}.price_components[{j}]",
                        "NOT_FOR_RESERVATION",
                        f"{component.dimension.value} never applies in a reservation element "
                        "(only FLAT and TIME do)",
                    )
        shadowed = []
        for component in element.price_components:
            by = next(
                (
                    k
                    for k in range(i)
                    if elements[k].component(component.dimension) is not None
                    and _implied_by(elements[k].restrictions, r)
                ),
                None,
            )
            if by is not None:
                shadowed.append((component.dimension, by))
        for dimension, by in shadowed:
            linter.add(
                WARNING,
                path,
                "UNREACHABLE",
                f"the {dimension.value} component is never used: element {by} has {dimension.value} and "
                "applies whenever this one does (first match wins)",
            )
    _fallbacks(elements, linter)
    _step_sizes(elements, linter)
    low, high = tariff.min_price, tariff.max_price
    if low is not None and high is not None and low.excl_vat > high.excl_vat:
        linter.add(ERROR, "$.min_price", "MIN_ABOVE_MAX", "min_price is above max_price")
    if (
        tariff.start_date_time is not None
        and tariff.end_date_time is not None
        and tariff.start_date_time >= tariff.end_date_time
    ):
        linter.add(ERROR, "$.end_date_time", "EMPTY_VALIDITY", "end_date_time is not after start_date_time")


def _fallbacks(elements: tuple[TariffElement, ...], linter: _Linter) -> None:
    for dimension in Dimension:
        having = [
            (i, e)
            for i, e in enumerate(elements)
            if e.component(dimension) and e.restrictions.reservation is None
        ]
        if having and not any(e.restrictions.is_empty for _, e in having):
            linter.add(
                WARNING,
                f"$.elements[{having[-1][0]}]",
                "NO_FALLBACK",
                f"no unrestricted element prices {dimension.value}: whenever no restriction holds it is "
                f"free; end the list with an unrestricted {dimension.value} element",
            )


def _step_sizes(elements: tuple[TariffElement, ...], linter: _Linter) -> None:
    has_parking = any(e.component(Dimension.PARKING_TIME) for e in elements)
    for i, element in enumerate(elements):
        for j, component in enumerate(element.price_components):
            path = f"$.elements[{i}].price_components[{j}].step_size"
            if component.dimension is Dimension.FLAT:
                continue
            if component.step_size == 0:
                linter.add(WARNING, path, "STEP_SIZE_ZERO", "step_size 0 means no rounding; use 1")
            if (
                component.dimension is Dimension.TIME
                and component.step_size > 1
                and has_parking
                and element.restrictions.reservation is None
            ):
                linter.add(
                    WARNING,
                    path,
                    "STEP_SIZE_NOT_LAST",
                    "TIME is not the last time-based dimension when the driver parks afterwards; its "
                    "step_size is then ignored (only the final phase, PARKING_TIME, is rounded)",
                )
    for dimension in (Dimension.ENERGY, Dimension.TIME, Dimension.PARKING_TIME):
        steps = {c.step_size for e in elements for c in e.price_components if c.dimension is dimension}
        if len(steps) > 1:
            linter.add(
                WARNING,
                "$.elements",
                "MIXED_STEP_SIZES",
                f"{dimension.value} components use step sizes {sorted(steps)}; only the step of the last one "
                "used in a session applies",
            )


def lint_tariff(data: object) -> list[Finding]:
    """All findings for a tariff JSON value, errors first; the semantic checks run when it is readable."""
    linter = _Linter()
    if linter.fields(data, "$", _TARIFF_FIELDS) is not None:
        # The semantic checks look at the tariff as the lenient reader understands it, so a misspelt
        # field (already an error above) does not hide what the tariff would do.
        try:
            tariff, _ = read_tariff(data)
        except ReadError as error:
            if not any(f.severity == ERROR for f in linter.findings):
                linter.add(ERROR, "$", "UNREADABLE", str(error))
        else:
            _semantic(tariff, linter)
    return sorted(linter.findings, key=lambda f: f.severity != ERROR)
