"""Build the CDR of a finished session: priced charging periods and totals, valid as an OCPI 2.2.1 CDR.

The CPO prices the session's timeline with the tariff that applied, then writes one ChargingPeriod per
stretch with constant prices (the spec asks for a new period wherever a different price component becomes
active), with the volumes an eMSP needs to re-compute the totals: ENERGY, TIME / PARKING_TIME /
RESERVATION_TIME, and the current and power the restrictions were evaluated against.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from laddhub.ocpi.v2_2_1.cdrs import CDR, CdrLocation
from laddhub.ocpi.v2_2_1.sessions import Session
from laddhub.ocpi.v2_2_1.tariffs import Tariff as OcpiTariff
from laddhub.pricing.engine import price_timeline
from laddhub.pricing.ocpi_adapter import cdr_input_from_ocpi, tariff_from_ocpi
from laddhub.pricing.result import PricedSlice, PricingResult
from laddhub.pricing.rounding import CENTS_HALF_UP, MoneyRounding
from laddhub.pricing.tariff import ZERO, Price
from laddhub.pricing.timeline import PeriodKind, Timeline

VOLUME_PLACES = Decimal("0.0001")
_TIME_DIMENSION = {
    PeriodKind.CHARGING: "TIME",
    PeriodKind.PARKING: "PARKING_TIME",
    PeriodKind.RESERVATION: "RESERVATION_TIME",
}


@dataclass(frozen=True, slots=True)
class _Group:
    """Consecutive slices with one activity and the same components: one CDR ChargingPeriod."""

    kind: PeriodKind
    start: datetime
    end: datetime
    kwh_start: Decimal
    kwh_end: Decimal
    current_a: Decimal | None
    power_kw: Decimal | None
    key: tuple[object, ...]


def _price_key(view: PricedSlice) -> tuple[object, ...]:
    return (
        view.kind,
        tuple((c.dimension, c.element_index) for c in view.charges if c.dimension.value != "FLAT"),
    )


def _max(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    if a is None:
        return b
    return a if b is None else max(a, b)


def _groups(result: PricingResult) -> list[_Group]:
    groups: list[_Group] = []
    for view in result.slices:
        if view.end == view.start and not view.energy_kwh:
            continue
        key = _price_key(view)
        kwh_end = view.kwh_before + view.energy_kwh
        last = groups[-1] if groups else None
        if last is not None and last.key == key and last.end == view.start:
            groups[-1] = _Group(
                last.kind,
                last.start,
                view.end,
                last.kwh_start,
                kwh_end,
                _max(last.current_a, view.current_a),
                _max(last.power_kw, view.power_kw),
                key,
            )
        else:
            groups.append(
                _Group(
                    view.kind,
                    view.start,
                    view.end,
                    view.kwh_before,
                    kwh_end,
                    view.current_a,
                    view.power_kw,
                    key,
                )
            )
    return groups


def _volume(value: Decimal) -> Decimal:
    return value.quantize(VOLUME_PLACES)


def charging_periods(result: PricingResult, tariff_id: str) -> list[dict[str, Any]]:
    """OCPI ChargingPeriods for a priced session, one per stretch with constant prices.

    Energy volumes are rounded on the cumulative meter reading, so they add up exactly to the rounded
    total; MAX_CURRENT / MAX_POWER carry the values the restrictions were evaluated against.
    """
    periods = []
    for group in _groups(result):
        dimensions: list[dict[str, Any]] = []
        energy = _volume(group.kwh_end) - _volume(group.kwh_start)
        if group.kind is not PeriodKind.RESERVATION:
            dimensions.append({"type": "ENERGY", "volume": energy})
        hours = Decimal((group.end - group.start).total_seconds()) / 3600
        if hours:
            dimensions.append({"type": _TIME_DIMENSION[group.kind], "volume": _volume(hours)})
        if group.current_a is not None:
            dimensions.append({"type": "MAX_CURRENT", "volume": _volume(group.current_a)})
        if group.power_kw is not None:
            dimensions.append({"type": "MAX_POWER", "volume": _volume(group.power_kw)})
        periods.append({"start_date_time": group.start, "dimensions": dimensions, "tariff_id": tariff_id})
    return periods


def _money(price: Price) -> dict[str, Decimal]:
    return {
        "excl_vat": price.excl_vat,
        "incl_vat": price.incl_vat if price.incl_vat is not None else price.excl_vat,
    }


def build_cdr(
    session: Session,
    tariff: OcpiTariff,
    location: CdrLocation,
    zone: ZoneInfo,
    *,
    cdr_id: str,
    last_updated: datetime,
    end_date_time: datetime | None = None,
    reservation_expired: bool | None = None,
    rounding: MoneyRounding = CENTS_HALF_UP,
) -> tuple[CDR, PricingResult]:
    """The CDR of a finished session, priced under `tariff` in `zone`, and the pricing result behind it.

    `last_updated` is the CDR's creation time (the engine never reads a clock). The session's
    `end_date_time` is used unless `end_date_time` is given; a session without either cannot be billed.
    `reservation_expired` says whether an unused reservation expired (priced by RESERVATION_EXPIRES
    elements) or was cancelled (priced as a reservation only); the periods alone cannot tell the two apart,
    so without it a reservation that never turned into charging is taken to have expired.
    """
    end = end_date_time or session.end_date_time
    if end is None:
        raise ValueError(f"session {session.id} has no end_date_time; a CDR needs the session's end")
    source = cdr_input_from_ocpi(session)
    timeline = Timeline(
        source.timeline.start,
        end,
        source.timeline.periods,
        reservation_expired=source.timeline.reservation_expired
        if reservation_expired is None
        else reservation_expired and source.timeline.reservation_expired,
    )
    result = price_timeline(tariff_from_ocpi(tariff), timeline, zone, rounding=rounding)
    totals = result.totals
    data: dict[str, Any] = {
        "country_code": session.country_code,
        "party_id": session.party_id,
        "id": cdr_id,
        "start_date_time": session.start_date_time,
        "end_date_time": end,
        "session_id": session.id,
        "cdr_token": session.cdr_token,
        "auth_method": session.auth_method,
        "authorization_reference": session.authorization_reference,
        "cdr_location": location,
        "meter_id": session.meter_id,
        "currency": session.currency,
        "tariffs": [tariff],
        "charging_periods": charging_periods(result, tariff.id),
        "total_cost": _money(totals.total_cost),
        "total_fixed_cost": _money(totals.total_fixed_cost),
        "total_energy": _volume(totals.total_energy),
        "total_energy_cost": _money(totals.total_energy_cost),
        "total_time": _volume(totals.total_time),
        "total_time_cost": _money(totals.total_time_cost),
        "total_parking_time": _volume(totals.total_parking_time),
        "total_parking_cost": _money(totals.total_parking_cost),
        "last_updated": last_updated,
    }
    if totals.total_reservation_time > ZERO or totals.total_reservation_cost.excl_vat:
        data["total_reservation_cost"] = _money(totals.total_reservation_cost)
    return CDR.model_validate({k: v for k, v in data.items() if v is not None}), result
