"""Field types and shared objects of OCPI 2.2.1 (spec chapter "Types"), plus the base of every OCPI model.

The wire rules live here once, so every module states its fields as the spec does and gets the same
behaviour everywhere:

* ``Annotated[str, CiString(36)]`` / ``Annotated[str, String(255)]``: the spec's ``CiString(n)`` and
  ``string(n)``. CiStrings keep the case they were sent in; compare them with `ci_key` / `ci_equal`.
* `DateTime`: accepts the six shapes of the spec plus ``+00:00``-style offsets, holds an aware UTC
  `datetime`, and is always written as ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``.
* `Number`: a `Decimal` inside (never a float in our code), a JSON number on the wire.
* ``ListOf[X]`` for ``*`` fields (absent, ``null`` and ``[]`` all mean empty) and ``NonEmptyList[X]`` for
  ``+`` fields.
* `OcpiModel`: ignores unknown fields (tolerant reader; `unknown_fields` lists them for a warning) and
  serialises without absent optionals and empty ``*`` lists (`OcpiModel.to_ocpi`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from types import UnionType
from typing import Annotated, Any, ClassVar, Generic, TypeVar, Union, cast, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    create_model,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

__all__ = [
    "URL",
    "BusinessDetails",
    "CiString",
    "CountryAlpha3",
    "CountryCode",
    "CurrencyCode",
    "DateTime",
    "DisplayText",
    "GeoLocation",
    "Image",
    "ImageCategory",
    "LanguageCode",
    "Latitude",
    "ListOf",
    "LocalDate",
    "Longitude",
    "NonEmptyList",
    "Number",
    "OcpiModel",
    "PartyId",
    "PatchModel",
    "Price",
    "Role",
    "String",
    "TimeOfDay",
    "check_coordinates",
    "ci_equal",
    "ci_key",
    "describe_pattern",
    "format_datetime",
    "patch_model",
    "unknown_fields",
]

# --- Character classes and the patterns built from them -----------------------------------------------

PRINTABLE_ASCII_PATTERN = r"^[ -~]*$"
# string(n) in 2.2+: printable UTF-8, so every control character (C0, DEL and C1) is refused.
NO_CONTROL_CHARACTERS_PATTERN = r"^[^\x00-\x1F\x7F-\x9F]*$"
VISIBLE_ASCII_PATTERN = r"^[!-~]+$"
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s\x00-\x1F\x7F-\x9F]+$"
TWO_LETTERS_PATTERN = r"^[A-Za-z]{2}$"
THREE_LETTERS_PATTERN = r"^[A-Za-z]{3}$"
PARTY_ID_PATTERN = r"^[A-Za-z0-9]{3}$"
LATITUDE_PATTERN = r"^-?[0-9]{1,2}\.[0-9]{5,7}$"
LONGITUDE_PATTERN = r"^-?[0-9]{1,3}\.[0-9]{5,7}$"
TIME_OF_DAY_PATTERN = r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$"
DATE_PATTERN = r"^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
# The spec's shapes: seconds, optional fraction, optional "Z". Offsets such as +00:00 are a common
# deviation we accept and normalise to UTC.
DATETIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})?$"
)

_PATTERN_DESCRIPTIONS: dict[str, str] = {
    PRINTABLE_ASCII_PATTERN: "only printable ASCII characters are allowed",
    NO_CONTROL_CHARACTERS_PATTERN: "control characters (CR, LF, TAB, ...) are not allowed",
    VISIBLE_ASCII_PATTERN: "only printable ASCII without spaces is allowed (U+0021 to U+007E)",
    URL_PATTERN: "expected an http(s) URL without spaces",
    TWO_LETTERS_PATTERN: "expected a code of two letters (ISO 3166-1 alpha-2 country, ISO 639-1 language)",
    THREE_LETTERS_PATTERN: "expected a code of three letters (ISO 4217 currency, ISO 3166-1 alpha-3 country)",
    PARTY_ID_PATTERN: "expected an ISO 15118 party id (three letters or digits)",
    LATITUDE_PATTERN: "expected a latitude like 51.047599 (5 to 7 decimals)",
    LONGITUDE_PATTERN: "expected a longitude like 3.729944 (5 to 7 decimals)",
    TIME_OF_DAY_PATTERN: "expected a local time HH:MM between 00:00 and 23:59",
    DATE_PATTERN: "expected a local date YYYY-MM-DD",
}


def describe_pattern(pattern: str) -> str | None:
    """Say in words what a field pattern of this module demands.

    Validation errors carry the raw regular expression; a partner reading a 2001 answer deserves a
    sentence instead. Returns None for a pattern this module does not define.
    """
    return _PATTERN_DESCRIPTIONS.get(pattern)


# --- Strings ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CiString:
    """The spec's ``CiString(n)``: printable ASCII, at most ``max_length`` characters, case-insensitive.

    Use as ``Annotated[str, CiString(36)]``. The value keeps the case it arrived in (so it round-trips);
    lookups and comparisons go through `ci_key` / `ci_equal`.
    """

    max_length: int

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.str_schema(max_length=self.max_length, pattern=PRINTABLE_ASCII_PATTERN)


@dataclass(frozen=True, slots=True)
class String:
    """The spec's ``string(n)``: printable UTF-8 (no control characters), at most ``max_length`` characters.

    Use as ``Annotated[str, String(255)]``.
    """

    max_length: int

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.str_schema(max_length=self.max_length, pattern=NO_CONTROL_CHARACTERS_PATTERN)


@dataclass(frozen=True, slots=True)
class _Code:
    """A short code with a fixed alphabet; upper-cased on input when the team decided codes are upper."""

    pattern: str
    upper: bool

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.str_schema(pattern=self.pattern, to_upper=self.upper)


def ci_key(value: str) -> str:
    """Return the form of a CiString under which it is stored and looked up.

    CiStrings are printable ASCII, so upper-casing is a complete case fold; country codes and party ids
    are already upper case, which keeps keys built from several CiStrings readable.
    """
    return value.upper()


def ci_equal(left: str, right: str) -> bool:
    """Compare two CiStrings as the spec wants ids compared: without regard to case."""
    return left.upper() == right.upper()


CountryCode = Annotated[str, _Code(TWO_LETTERS_PATTERN, upper=True)]
"""ISO 3166-1 alpha-2 (the spec's ``CiString(2)``), normalised to upper case."""
PartyId = Annotated[str, _Code(PARTY_ID_PATTERN, upper=True)]
"""ISO 15118 party id (the spec's ``CiString(3)``), normalised to upper case."""
CurrencyCode = Annotated[str, _Code(THREE_LETTERS_PATTERN, upper=True)]
"""ISO 4217 currency code (the spec's ``string(3)``), normalised to upper case."""
CountryAlpha3 = Annotated[str, _Code(THREE_LETTERS_PATTERN, upper=False)]
"""ISO 3166-1 alpha-3 country (the spec's ``string(3)``), kept as sent."""
LanguageCode = Annotated[str, _Code(TWO_LETTERS_PATTERN, upper=False)]
"""ISO 639-1 language (the spec's ``string(2)``), kept as sent."""
URL = Annotated[str, Field(max_length=255, pattern=URL_PATTERN)]
"""The spec's ``URL``: string(255). Kept verbatim (no normalisation), so a URL round-trips byte for byte."""
TimeOfDay = Annotated[str, Field(pattern=TIME_OF_DAY_PATTERN)]
"""Local time ``HH:MM`` (string(5)), as used by opening hours and tariff restrictions."""
LocalDate = Annotated[str, Field(pattern=DATE_PATTERN)]
"""Local date ``YYYY-MM-DD`` (string(10)), as used by tariff restrictions."""
# The spec calls these string(10) and string(11) but its own regexes allow a sign and 7 decimals
# (11 and 12 characters); the regexes are the precise rule, so they alone decide.
Latitude = Annotated[str, Field(pattern=LATITUDE_PATTERN)]
"""Latitude in decimal degrees as the spec writes it, e.g. ``51.047599``."""
Longitude = Annotated[str, Field(pattern=LONGITUDE_PATTERN)]
"""Longitude in decimal degrees as the spec writes it, e.g. ``3.729944``."""


# --- DateTime ---------------------------------------------------------------------------------------------

_DATETIME_RE = re.compile(DATETIME_PATTERN)


def _parse_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise PydanticCustomError(
                "datetime_naive", "a datetime object must be timezone-aware (OCPI times are UTC)"
            )
        return value.astimezone(UTC)
    if not isinstance(value, str):
        raise PydanticCustomError(
            "datetime_type", "expected an OCPI DateTime string such as 2015-06-29T20:39:09Z"
        )
    if _DATETIME_RE.match(value) is None:
        raise PydanticCustomError(
            "datetime_format",
            "'{value}' is not an OCPI DateTime: expected YYYY-MM-DDTHH:MM:SS[.fff][Z]",
            {"value": value},
        )
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise PydanticCustomError(
            "datetime_value",
            "'{value}' is not a real date and time: {reason}",
            {"value": value, "reason": str(exc)},
        ) from exc
    # A DateTime without a zone designator is UTC by definition of the spec.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """Write a datetime the one way OCPI partners parse reliably: UTC, ``Z``, no trailing fraction zeros.

    Naive datetimes are taken to be UTC, as the spec does for DateTimes without a zone.
    """
    utc = value if value.tzinfo is None else value.astimezone(UTC)
    text = utc.replace(tzinfo=None).isoformat(timespec="microseconds")
    return text.rstrip("0").rstrip(".") + "Z"


class _DateTimeSchema:
    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _parse_datetime,
            serialization=core_schema.plain_serializer_function_ser_schema(
                format_datetime, when_used="json", return_schema=core_schema.str_schema()
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "format": "date-time", "pattern": DATETIME_PATTERN}


DateTime = Annotated[datetime, _DateTimeSchema()]
"""The spec's ``DateTime``: an aware UTC `datetime` inside, ``2015-06-29T20:39:09Z`` on the wire."""


# --- Number -----------------------------------------------------------------------------------------------


def _number_to_json(value: Decimal) -> int | float:
    # Whole numbers stay exact at any size. Other values go out through a double: a double holds every
    # decimal of up to 15 significant digits exactly enough that its shortest repr (what the JSON writer
    # prints) is that decimal again. Longer values only come from unrounded arithmetic and get the
    # nearest double, which is as much as the partners' JSON parsers keep anyway.
    if value == value.to_integral_value():
        return int(value)
    return float(value)


Number = Annotated[
    Decimal,
    Field(allow_inf_nan=False),
    PlainSerializer(_number_to_json, return_type=int | float, when_used="json"),
]
"""The spec's ``number``: `Decimal` in our code, a JSON number (never a string) on the wire.

Values of up to 15 significant digits (every OCPI number with its 4 decimals below 10^11) cross the
JSON boundary exactly in both directions.
"""


# --- Lists ------------------------------------------------------------------------------------------------

_Item = TypeVar("_Item")


def _absent_list_is_empty(value: Any) -> Any:
    return [] if value is None else value


ListOf = Annotated[list[_Item], BeforeValidator(_absent_list_is_empty)]
"""A ``*`` field: absent, ``null`` and ``[]`` all mean an empty list. Give it ``default_factory=list``."""
NonEmptyList = Annotated[list[_Item], Field(min_length=1)]
"""A ``+`` field: a JSON array with at least one element."""


# --- The base model ---------------------------------------------------------------------------------------


class OcpiModel(BaseModel):
    """Base of every OCPI object.

    Unknown fields are ignored (a tolerant reader keeps a partner's object usable when the partner adds
    fields; `unknown_fields` lists them so the caller can log a warning). Optional fields hold None when
    absent or ``null``; ``*`` lists hold ``[]``. Serialisation drops both, so what we send is exactly the
    object's content and nothing else.
    """

    model_config = ConfigDict(extra="ignore")

    def to_ocpi(self) -> dict[str, Any]:
        """Return the object as a JSON-ready dict, without absent optionals and empty ``*`` lists.

        DateTimes become OCPI DateTime strings, Numbers JSON numbers and enums their values.
        """
        return cast(
            dict[str, Any], self.__pydantic_serializer__.to_python(self, mode="json", exclude_defaults=True)
        )

    def to_ocpi_json(self) -> bytes:
        """Return the object as compact JSON bytes, the same content as `to_ocpi`."""
        return self.__pydantic_serializer__.to_json(self, exclude_defaults=True)


# --- Patches ----------------------------------------------------------------------------------------------

FullModel = TypeVar("FullModel", bound=OcpiModel)


class PatchModel(OcpiModel, Generic[FullModel]):
    """A PATCH body for ``FullModel``: every field optional, ``last_updated`` required (spec §2.6).

    Each field validates exactly as in the full object. A ``null`` field counts as absent, because a PATCH
    cannot remove data. Rules that relate several fields are checked by `apply_to` on the merged object,
    where all fields are known.
    """

    target: ClassVar[type[OcpiModel]]
    appended_lists: ClassVar[frozenset[str]] = frozenset()

    last_updated: DateTime

    def changes(self) -> dict[str, Any]:
        """Return the fields this PATCH sets, by name, with their validated values."""
        return {name: value for name in self.model_fields_set if (value := getattr(self, name)) is not None}

    def apply_to(self, current: FullModel) -> FullModel:
        """Return ``current`` with this PATCH applied, validated again as a whole object.

        Lists in a PATCH replace the stored list, except the ones the module appends to (the Session's
        ``charging_periods``), whose entries are added at the end. Raises `pydantic.ValidationError` when
        the merged object breaks a rule (for example a Location made public that keeps
        ``publish_allowed_to``).
        """
        if not isinstance(current, self.target):
            raise TypeError(
                f"{type(self).__name__} patches a {self.target.__name__}, not a {type(current).__name__}"
            )
        merged: dict[str, Any] = dict(current)
        for name, value in self.changes().items():
            merged[name] = [*merged[name], *value] if name in self.appended_lists else value
        return type(current).model_validate(merged)


def patch_model(
    full: type[FullModel], *, name: str, appended_lists: frozenset[str] = frozenset()
) -> type[PatchModel[FullModel]]:
    """Build the PATCH model of an OCPI object from the object's own fields.

    Deriving it keeps the two in step: a field or rule added to the object is patchable with the same
    validation at once.
    """
    fields: dict[str, Any] = {}
    for field_name, info in full.model_fields.items():
        if field_name == "last_updated":
            continue
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        fields[field_name] = (annotation | None, FieldInfo(default=None, description=info.description))
    model = create_model(
        name,
        __base__=PatchModel[full],  # type: ignore[valid-type]
        __module__=full.__module__,
        __doc__=f"PATCH body of a {full.__name__}: any of its fields, and always ``last_updated``.",
        **fields,
    )
    patch = cast(type[PatchModel[FullModel]], model)
    patch.target = full
    patch.appended_lists = appended_lists
    return patch


# --- Unknown fields ---------------------------------------------------------------------------------------


def _nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    origin = get_origin(annotation)
    if origin is Annotated:
        yield from _nested_models(get_args(annotation)[0])
    elif origin in (list, Union, UnionType):
        for argument in get_args(annotation):
            yield from _nested_models(argument)


@cache
def _field_models(model: type[BaseModel]) -> Mapping[str, type[BaseModel] | None]:
    """Map each field name of ``model`` to the model its JSON value is made of, if any."""
    result: dict[str, type[BaseModel] | None] = {}
    for field_name, info in model.model_fields.items():
        nested = list(_nested_models(info.annotation))
        result[field_name] = nested[0] if len(nested) == 1 else None
    return result


def unknown_fields(model: type[BaseModel], payload: Any, path: str = "") -> list[str]:
    """List the JSON paths of the fields in ``payload`` that ``model`` does not define.

    The models ignore such fields; the API logs this list as a warning so a partner's typo (``floor``
    for ``floor_level``) or extension does not vanish silently. Pure: looks only at the payload's shape,
    whether or not it is valid.
    """
    found: list[str] = []
    if isinstance(payload, list):
        for index, item in enumerate(payload):
            found.extend(unknown_fields(model, item, f"{path}[{index}]"))
        return found
    if not isinstance(payload, dict):
        return found
    known = _field_models(model)
    for key, value in payload.items():
        field_path = f"{path}.{key}" if path else str(key)
        if key not in known:
            found.append(field_path)
            continue
        nested = known[key]
        if nested is not None:
            found.extend(unknown_fields(nested, value, field_path))
    return found


# --- Shared objects ---------------------------------------------------------------------------------------


class Role(StrEnum):
    """The role a party plays (spec ``Role``)."""

    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NAP = "NAP"
    NSP = "NSP"
    OTHER = "OTHER"
    SCSP = "SCSP"


class ImageCategory(StrEnum):
    """What an image shows."""

    CHARGER = "CHARGER"
    ENTRANCE = "ENTRANCE"
    LOCATION = "LOCATION"
    NETWORK = "NETWORK"
    OPERATOR = "OPERATOR"
    OTHER = "OTHER"
    OWNER = "OWNER"


class DisplayText(OcpiModel):
    """A text for people, in one language (plain text, no markup)."""

    language: LanguageCode
    text: Annotated[str, String(512)]


class Price(OcpiModel):
    """An amount excluding VAT and, when known, including VAT."""

    excl_vat: Number
    incl_vat: Number | None = None


class GeoLocation(OcpiModel):
    """A WGS84 point, kept as the decimal strings the spec sends (so it round-trips exactly)."""

    latitude: Latitude
    longitude: Longitude

    @model_validator(mode="after")
    def _within_the_globe(self) -> GeoLocation:
        check_coordinates(self.latitude, self.longitude)
        return self


def check_coordinates(latitude: str, longitude: str) -> None:
    """Refuse a point off the globe, which the spec's regexes alone let through (e.g. latitude 95.0)."""
    if abs(Decimal(latitude)) > 90:
        raise PydanticCustomError(
            "latitude_range", "latitude {value} is outside -90..90", {"value": latitude}
        )
    if abs(Decimal(longitude)) > 180:
        raise PydanticCustomError(
            "longitude_range", "longitude {value} is outside -180..180", {"value": longitude}
        )


class Image(OcpiModel):
    """A picture (or its thumbnail) of a charger, location, operator or brand."""

    url: URL
    thumbnail: URL | None = None
    category: ImageCategory
    type: Annotated[str, CiString(4)]
    width: Annotated[int, Field(ge=0, le=99999)] | None = None
    height: Annotated[int, Field(ge=0, le=99999)] | None = None


class BusinessDetails(OcpiModel):
    """Name, website and logo of a company."""

    name: Annotated[str, String(100)]
    website: URL | None = None
    logo: Image | None = None
