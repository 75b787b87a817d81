"""Write the engine's tariff back as OCPI 2.2.1 Tariff JSON (what `dynamic` publishes)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from laddhub.pricing.report import number
from laddhub.pricing.tariff import Price, PriceComponent, Restrictions, Tariff, TariffElement
from laddhub.pricing.timeline import iso


def _price(price: Price) -> dict[str, Any]:
    data: dict[str, Any] = {"excl_vat": number(price.excl_vat)}
    if price.incl_vat is not None:
        data["incl_vat"] = number(price.incl_vat)
    return data


def _component(component: PriceComponent) -> dict[str, Any]:
    data: dict[str, Any] = {"type": component.dimension.value, "price": number(component.price)}
    if component.vat is not None:
        data["vat"] = number(component.vat)
    data["step_size"] = component.step_size
    return data


def _restrictions(r: Restrictions) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if r.start_time is not None:
        data["start_time"] = r.start_time.strftime("%H:%M")
    if r.end_time is not None:
        data["end_time"] = r.end_time.strftime("%H:%M")
    if r.start_date is not None:
        data["start_date"] = r.start_date.isoformat()
    if r.end_date is not None:
        data["end_date"] = r.end_date.isoformat()
    for name in ("min_kwh", "max_kwh", "min_current", "max_current", "min_power", "max_power"):
        value: Decimal | None = getattr(r, name)
        if value is not None:
            data[name] = number(value)
    for name in ("min_duration", "max_duration"):
        seconds: int | None = getattr(r, name)
        if seconds is not None:
            data[name] = seconds
    if r.day_of_week:
        data["day_of_week"] = [day.name for day in sorted(r.day_of_week)]
    if r.reservation is not None:
        data["reservation"] = r.reservation.value
    return data


def _element(element: TariffElement) -> dict[str, Any]:
    data: dict[str, Any] = {"price_components": [_component(c) for c in element.price_components]}
    restrictions = _restrictions(element.restrictions)
    if restrictions:
        data["restrictions"] = restrictions
    return data


def tariff_to_ocpi(tariff: Tariff, last_updated: datetime) -> dict[str, Any]:
    """The OCPI 2.2.1 Tariff object for `tariff`, stamped with `last_updated` (no clock is read here)."""
    data: dict[str, Any] = {
        "country_code": tariff.country_code,
        "party_id": tariff.party_id,
        "id": tariff.id,
        "currency": tariff.currency,
    }
    if tariff.type is not None:
        data["type"] = tariff.type
    if tariff.alt_text:
        data["tariff_alt_text"] = [{"language": lang, "text": text} for lang, text in tariff.alt_text]
    if tariff.min_price is not None:
        data["min_price"] = _price(tariff.min_price)
    if tariff.max_price is not None:
        data["max_price"] = _price(tariff.max_price)
    data["elements"] = [_element(e) for e in tariff.elements]
    if tariff.start_date_time is not None:
        data["start_date_time"] = iso(tariff.start_date_time)
    if tariff.end_date_time is not None:
        data["end_date_time"] = iso(tariff.end_date_time)
    data["last_updated"] = iso(last_updated)
    return data
