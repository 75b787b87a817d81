"""JSON-ready views of a pricing result: the OCPI total fields, warnings and the breakdown.

Money is reported as `{"excl_vat": .., "incl_vat": ..}` after the result's rounding, times in decimal
hours, energy in kWh. JSON has no decimal type, so amounts become JSON numbers only here, at the edge.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from laddhub.pricing.explanation import ExplanationRow, explain
from laddhub.pricing.result import PricingResult, Totals
from laddhub.pricing.tariff import Price

QUANTITY_PLACES = Decimal("0.000001")
MONEY_FIELDS = (
    "total_cost",
    "total_fixed_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_reservation_cost",
)
QUANTITY_FIELDS = ("total_energy", "total_time", "total_parking_time", "total_reservation_time")


def number(value: Decimal) -> float | int:
    """A Decimal as a JSON number (integral values stay integers)."""
    return int(value) if value == value.to_integral_value() else float(value)


def quantity(value: Decimal) -> float | int:
    """A kWh or hours figure, to the microhour (3.6 ms) - finer than any meter or step."""
    return number(value.quantize(QUANTITY_PLACES).normalize())


def money(price: Price) -> dict[str, float | int | None]:
    """An OCPI 2.2.1 Price object."""
    return {
        "excl_vat": number(price.excl_vat),
        "incl_vat": None if price.incl_vat is None else number(price.incl_vat),
    }


def totals_to_json(totals: Totals) -> dict[str, Any]:
    """The OCPI CDR total fields of `totals` (plus the reservation time, which OCPI does not carry)."""
    data: dict[str, Any] = {name: money(getattr(totals, name)) for name in MONEY_FIELDS}
    data.update({name: quantity(getattr(totals, name)) for name in QUANTITY_FIELDS})
    return data


def row_to_json(row: ExplanationRow) -> dict[str, Any]:
    """One explanation row."""
    return {
        "slice": row.slice_index,
        "period": row.period_index,
        "kind": row.kind.value,
        "start": row.start.isoformat().replace("+00:00", "Z"),
        "end": row.end.isoformat().replace("+00:00", "Z"),
        "local_start": row.local_start.isoformat(),
        "dimension": row.dimension.value,
        "element": row.element_index,
        "price": None if row.price is None else number(row.price),
        "vat": None if row.vat is None else number(row.vat),
        "step_size": row.step_size,
        "quantity": quantity(row.quantity),
        "billed_quantity": quantity(row.billed_quantity),
        "unit": row.unit,
        "cost": None if row.cost is None else money(row.cost),
        "rejected": [{"element": r.element_index, "reasons": list(r.reasons)} for r in row.rejected],
    }


def result_to_json(result: PricingResult, *, breakdown: bool = True) -> dict[str, Any]:
    """The whole result as one JSON object: tariff, currency, totals, clamps, warnings, breakdown."""
    data: dict[str, Any] = {"tariff_id": result.tariff_id, "currency": result.currency}
    data.update(totals_to_json(result.totals))
    data["clamped"] = list(result.clamped)
    data["warnings"] = [{"code": w.code, "message": w.message} for w in result.warnings]
    if breakdown:
        data["breakdown"] = [row_to_json(row) for row in explain(result)]
    return data
