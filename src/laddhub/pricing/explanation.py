"""The audit trail of a priced session: per slice and dimension, what applied and why nothing earlier did.

A dispute is settled by showing, for each stretch of the session, which element's component priced it and
which restriction ruled out every element that came before it. The engine keeps only masks on its hot
path; this module re-checks the restrictions of the passed-over elements with the readable predicates of
`restrictions.py` on demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from laddhub.pricing.compiled import CompiledTariff
from laddhub.pricing.restrictions import MatchContext, failed_restrictions
from laddhub.pricing.result import Charge, PricedSlice, PricingResult, SliceRecord
from laddhub.pricing.tariff import Dimension, Price
from laddhub.pricing.timeline import US_PER_HOUR, PeriodKind, from_us

_UNITS = {Dimension.ENERGY: "kWh", Dimension.FLAT: "", Dimension.TIME: "h", Dimension.PARKING_TIME: "h"}


@dataclass(frozen=True, slots=True)
class Rejection:
    """An element that had the dimension but did not apply, with the restrictions that failed."""

    element_index: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ExplanationRow:
    """One dimension of one slice: the applied element and component (if any), amounts, and rejections."""

    slice_index: int
    period_index: int
    kind: PeriodKind
    start: datetime
    end: datetime
    local_start: datetime
    dimension: Dimension
    element_index: int | None
    price: Decimal | None
    vat: Decimal | None
    step_size: int | None
    quantity: Decimal
    billed_quantity: Decimal
    unit: str
    cost: Price | None
    rejected: tuple[Rejection, ...]


def _context(result: PricingResult, record: SliceRecord) -> MatchContext:
    return MatchContext(
        local=from_us(record.start_us).astimezone(result.zone).replace(tzinfo=None),
        elapsed_us=record.elapsed_us,
        kwh=record.kwh_before,
        current_a=record.current_a,
        power_kw=record.power_kw,
        kind=record.kind,
        reservation_expired=result.reservation_expired,
    )


def _search_order(compiled: CompiledTariff, record: SliceRecord, expired: bool) -> list[int]:
    """Element indexes in the order the matcher considers them for this slice's activity."""
    order: list[int] = []
    for priority in compiled.priorities[(record.kind, expired)]:
        order.extend(i for i in range(len(compiled.restrictions)) if priority >> i & 1 and i not in order)
    order.extend(i for i in range(len(compiled.restrictions)) if i not in order)
    return order


def _rejections(
    result: PricingResult, record: SliceRecord, dimension: Dimension, chosen: int | None
) -> tuple[Rejection, ...]:
    compiled = result.compiled
    context = _context(result, record)
    rejected: list[Rejection] = []
    for index in _search_order(compiled, record, result.reservation_expired):
        if index == chosen:
            break
        if compiled.components[dimension][index] is None:
            continue
        reasons = failed_restrictions(compiled.restrictions[index], context)
        if dimension is Dimension.FLAT and not reasons:
            reasons = ["FLAT is billed once per session and was already billed"]
        rejected.append(Rejection(index, tuple(reasons)))
    return tuple(rejected)


def _row(
    result: PricingResult,
    index: int,
    record: SliceRecord,
    view: PricedSlice,
    dimension: Dimension,
    charge: Charge | None,
    quantity: Decimal,
) -> ExplanationRow:
    component = charge.component if charge is not None else None
    return ExplanationRow(
        slice_index=index,
        period_index=record.period_index,
        kind=record.kind,
        start=view.start,
        end=view.end,
        local_start=view.start.astimezone(result.zone),
        dimension=dimension,
        element_index=charge.element_index if charge is not None else None,
        price=component.price if component is not None else None,
        vat=component.vat if component is not None else None,
        step_size=component.step_size if component is not None else None,
        quantity=charge.quantity if charge is not None else quantity,
        billed_quantity=charge.billed_quantity if charge is not None else quantity,
        unit=_UNITS[dimension],
        cost=charge.cost if charge is not None else None,
        rejected=_rejections(result, record, dimension, charge.element_index if charge is not None else None),
    )


def explain(result: PricingResult) -> list[ExplanationRow]:
    """Rows for every priced or unpriced quantity of every slice, in time order, with rejection reasons."""
    rows: list[ExplanationRow] = []
    for index, (record, view) in enumerate(zip(result.records, result.slices, strict=True)):
        for charge in view.charges:
            rows.append(_row(result, index, record, view, charge.dimension, charge, charge.quantity))
        for dimension in view.unpriced:
            if dimension is Dimension.ENERGY:
                quantity = view.energy_kwh
            else:
                quantity = Decimal(record.end_us - record.start_us) / US_PER_HOUR
            rows.append(_row(result, index, record, view, dimension, None, quantity))
    return rows
