"""Which time zone a session's local-time restrictions are evaluated in.

The Location's `time_zone` is the answer when known. A CDR's CdrLocation has no time zone in OCPI 2.2.1, so
the zone is otherwise inferred from the country (ISO 3166 alpha-3 or alpha-2) using the IANA `zone.tab`
shipped with `tzdata`; where a country has several zones, the coordinates pick the zone whose reference
city is nearest. Every inference is reported as a warning, and a caller's override always wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry

from laddhub.pricing.diagnostics import PricingWarning

UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class ZoneCandidate:
    """One zone of a country, with its reference city's coordinates in degrees."""

    name: str
    latitude: float
    longitude: float


def _degrees(text: str, whole_digits: int) -> float:
    sign = -1.0 if text[0] == "-" else 1.0
    digits = text[1:]
    degrees = int(digits[:whole_digits])
    minutes = int(digits[whole_digits : whole_digits + 2])
    seconds = int(digits[whole_digits + 2 :] or 0)
    return sign * (degrees + minutes / 60 + seconds / 3600)


def _split_coordinates(text: str) -> tuple[float, float]:
    split = max(text.rfind("+"), text.rfind("-"))
    latitude, longitude = text[:split], text[split:]
    return _degrees(latitude, 2), _degrees(longitude, 3)


@cache
def zones_by_country() -> dict[str, tuple[ZoneCandidate, ...]]:
    """ISO alpha-2 country code -> its IANA zones in `zone.tab` order (the main zone first)."""
    table = resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text(encoding="utf-8")
    zones: dict[str, list[ZoneCandidate]] = {}
    for line in table.splitlines():
        if not line or line.startswith("#"):
            continue
        country, coordinates, name = line.split("\t")[:3]
        latitude, longitude = _split_coordinates(coordinates)
        zones.setdefault(country, []).append(ZoneCandidate(name, latitude, longitude))
    return {country: tuple(candidates) for country, candidates in zones.items()}


def alpha2(country: str) -> str | None:
    """The alpha-2 code of an ISO 3166 alpha-3 or alpha-2 country code in any case, or None if unknown."""
    code = country.strip().upper()
    found = pycountry.countries.get(alpha_3=code) if len(code) == 3 else pycountry.countries.get(alpha_2=code)
    return None if found is None else str(found.alpha_2)


def _distance(candidate: ZoneCandidate, latitude: float, longitude: float) -> float:
    """Great-circle angle (radians) between a zone's reference city and a point."""
    phi1, phi2 = math.radians(candidate.latitude), math.radians(latitude)
    delta = math.radians(longitude - candidate.longitude)
    cosine = math.sin(phi1) * math.sin(phi2) + math.cos(phi1) * math.cos(phi2) * math.cos(delta)
    return math.acos(max(-1.0, min(1.0, cosine)))


def resolve_zone(
    *,
    override: str | None = None,
    time_zone: str | None = None,
    country: str | None = None,
    coordinates: tuple[Decimal, Decimal] | None = None,
) -> tuple[ZoneInfo, list[PricingWarning]]:
    """The zone to price in, and warnings saying how it was chosen when it was not simply given.

    Order: the caller's override, the Location's `time_zone`, the country's only zone, the country's zone
    nearest to the coordinates (trying latitude/longitude swapped too, a known defect of real CDRs), the
    country's main zone, and finally UTC.
    """
    warnings: list[PricingWarning] = []
    for given, source in ((override, "--tz"), (time_zone, "time_zone")):
        if given:
            try:
                return ZoneInfo(given), warnings
            except (ZoneInfoNotFoundError, ValueError):
                warnings.append(
                    PricingWarning("UNKNOWN_TIME_ZONE", f"{source} {given!r} is not an IANA zone")
                )
    code = alpha2(country) if country else None
    candidates = zones_by_country().get(code or "", ())
    if not candidates:
        warnings.append(
            PricingWarning(
                "TIME_ZONE_UNKNOWN",
                f"no time zone known for country {country!r}; local-time restrictions are evaluated in UTC",
            )
        )
        return UTC_ZONE, warnings
    if len(candidates) == 1:
        chosen = candidates[0]
        how = f"the only zone of {country}"
    elif coordinates is not None:
        latitude, longitude = float(coordinates[0]), float(coordinates[1])
        straight = min(candidates, key=lambda c: _distance(c, latitude, longitude))
        swapped = min(candidates, key=lambda c: _distance(c, longitude, latitude))
        if _distance(swapped, longitude, latitude) < _distance(straight, latitude, longitude):
            chosen = swapped
            how = f"the zone of {country} nearest to the coordinates read with latitude and longitude swapped"
        else:
            chosen = straight
            how = f"the zone of {country} nearest to the coordinates"
    else:
        chosen = candidates[0]
        how = f"the main zone of {country}, which has {len(candidates)} zones"
    warnings.append(PricingWarning("TIME_ZONE_INFERRED", f"time zone {chosen.name} assumed: {how}"))
    return ZoneInfo(chosen.name), warnings
