"""What the engine returns: CDR-style totals, warnings, and an auditable breakdown per slice of time.

The engine's hot path fills `SliceRecord`s (plain slotted objects) and group sums; the friendlier
`PricedSlice`/`Charge` views are built only when someone reads `PricingResult.slices`, so pricing a
hundred thousand CDRs for totals does not pay for a breakdown nobody looks at.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from laddhub.pricing.compiled import CompiledComponent, CompiledTariff
from laddhub.pricing.diagnostics import PricingWarning
from laddhub.pricing.tariff import ZERO, Dimension, Price, PriceComponent
from laddhub.pricing.timeline import US_PER_HOUR, PeriodKind, from_us

ONE = Decimal(1)
KWH_PER_WH = Decimal("0.001")


class CostCategory(enum.Enum):
    """The CDR sub-total a charge is reported in."""

    FIXED = "total_fixed_cost"
    ENERGY = "total_energy_cost"
    TIME = "total_time_cost"
    PARKING = "total_parking_cost"
    RESERVATION = "total_reservation_cost"


# The engine's record of one slice, as a plain tuple because the hot loop creates one per slice:
# (period index, kind, start µs, end µs, energy kWh, kWh before, elapsed µs, current, power, mask,
#  energy component, time component, FLAT component billed here).
RecordTuple = tuple[
    int,
    PeriodKind,
    int,
    int,
    Decimal,
    Decimal,
    int,
    Decimal | None,
    Decimal | None,
    int,
    CompiledComponent | None,
    CompiledComponent | None,
    CompiledComponent | None,
]


class StepExtras(NamedTuple):
    """Where the session's step_size round-ups landed: kWh and µs added, by recorded slice position.

    Kept apart because one slice can take both the energy and the time round-up.
    """

    energy: dict[int, Decimal]
    time_us: dict[int, int]


class SliceRecord:
    """One slice of a period over which every restriction is constant, as the engine's loop records it."""

    __slots__ = (
        "current_a",
        "elapsed_us",
        "end_us",
        "energy_comp",
        "energy_extra",
        "energy_kwh",
        "flat_comp",
        "kind",
        "kwh_before",
        "mask",
        "period_index",
        "power_kw",
        "start_us",
        "time_comp",
        "time_extra_us",
    )

    def __init__(
        self,
        period_index: int,
        kind: PeriodKind,
        start_us: int,
        end_us: int,
        energy_kwh: Decimal,
        kwh_before: Decimal,
        elapsed_us: int,
        current_a: Decimal | None,
        power_kw: Decimal | None,
        mask: int,
    ) -> None:
        self.period_index = period_index
        self.kind = kind
        self.start_us = start_us
        self.end_us = end_us
        self.energy_kwh = energy_kwh
        self.kwh_before = kwh_before
        self.elapsed_us = elapsed_us
        self.current_a = current_a
        self.power_kw = power_kw
        self.mask = mask
        self.energy_comp: CompiledComponent | None = None
        self.time_comp: CompiledComponent | None = None
        self.flat_comp: CompiledComponent | None = None
        self.energy_extra = ZERO
        self.time_extra_us = 0


@dataclass(frozen=True, slots=True)
class Charge:
    """One priced quantity: which element and component applied, how much was used and billed, the cost.

    Quantities are kWh for ENERGY, hours for the time dimensions and 1 for FLAT; `billed_quantity`
    includes the step_size round-up where the session's rounding landed on this slice.
    """

    dimension: Dimension
    category: CostCategory
    element_index: int
    component: PriceComponent
    quantity: Decimal
    billed_quantity: Decimal
    cost: Price


@dataclass(frozen=True, slots=True)
class PricedSlice:
    """A stretch of one input period with constant prices, and the charges that apply to it."""

    period_index: int
    kind: PeriodKind
    start: datetime
    end: datetime
    energy_kwh: Decimal
    kwh_before: Decimal
    elapsed_seconds: Decimal
    current_a: Decimal | None
    power_kw: Decimal | None
    charges: tuple[Charge, ...]
    unpriced: tuple[Dimension, ...]


class Totals(NamedTuple):
    """The CDR totals (OCPI 7.4): money as excl/incl VAT, energy in kWh, times in hours."""

    total_cost: Price
    total_fixed_cost: Price
    total_energy: Decimal
    total_energy_cost: Price
    total_time: Decimal
    total_time_cost: Price
    total_parking_time: Decimal
    total_parking_cost: Price
    total_reservation_time: Decimal
    total_reservation_cost: Price


def _charge(
    dimension: Dimension,
    category: CostCategory,
    compiled: CompiledComponent,
    quantity: Decimal,
    billed: Decimal,
) -> Charge:
    return Charge(
        dimension,
        category,
        compiled.element_index,
        compiled.component,
        quantity,
        billed,
        Price(billed * compiled.unit_excl, billed * compiled.unit_incl),
    )


def _hours(us: int) -> Decimal:
    return Decimal(us) / US_PER_HOUR


def build_slice(record: SliceRecord) -> PricedSlice:
    """The readable view of one engine record."""
    charges: list[Charge] = []
    unpriced: list[Dimension] = []
    kind = record.kind
    if record.flat_comp is not None:
        category = CostCategory.RESERVATION if kind is PeriodKind.RESERVATION else CostCategory.FIXED
        charges.append(_charge(Dimension.FLAT, category, record.flat_comp, ONE, ONE))
    if kind is not PeriodKind.RESERVATION and (record.energy_kwh or kind is PeriodKind.CHARGING):
        if record.energy_comp is not None:
            billed = record.energy_kwh + record.energy_extra
            charges.append(
                _charge(Dimension.ENERGY, CostCategory.ENERGY, record.energy_comp, record.energy_kwh, billed)
            )
        elif record.energy_kwh:
            unpriced.append(Dimension.ENERGY)
    time_dimension = Dimension.PARKING_TIME if kind is PeriodKind.PARKING else Dimension.TIME
    if record.time_comp is not None:
        category = {
            PeriodKind.CHARGING: CostCategory.TIME,
            PeriodKind.PARKING: CostCategory.PARKING,
            PeriodKind.RESERVATION: CostCategory.RESERVATION,
        }[kind]
        used = record.end_us - record.start_us
        charges.append(
            _charge(
                time_dimension,
                category,
                record.time_comp,
                _hours(used),
                _hours(used + record.time_extra_us),
            )
        )
    elif record.end_us > record.start_us:
        unpriced.append(time_dimension)
    return PricedSlice(
        period_index=record.period_index,
        kind=kind,
        start=from_us(record.start_us),
        end=from_us(record.end_us),
        energy_kwh=record.energy_kwh,
        kwh_before=record.kwh_before,
        elapsed_seconds=Decimal(record.elapsed_us) / 1_000_000,
        current_a=record.current_a,
        power_kw=record.power_kw,
        charges=tuple(charges),
        unpriced=tuple(unpriced),
    )


class PricingResult:
    """The priced session: rounded `totals`, `exact_totals`, `warnings`, and the lazy `slices` breakdown.

    `clamped` names the bound (`min_price` / `max_price`) that moved the excl- or incl-VAT total, so a
    reader of the sub-totals knows why they do not add up to the total.
    """

    __slots__ = (
        "_recorder",
        "_records",
        "_slices",
        "clamped",
        "compiled",
        "currency",
        "exact_totals",
        "reservation_expired",
        "tariff_id",
        "totals",
        "warnings",
        "zone",
    )

    def __init__(
        self,
        *,
        tariff_id: str,
        currency: str,
        totals: Totals,
        exact_totals: Totals,
        warnings: tuple[PricingWarning, ...],
        clamped: tuple[str, ...],
        recorder: Callable[[], tuple[list[RecordTuple], StepExtras]],
        compiled: CompiledTariff,
        zone: ZoneInfo,
        reservation_expired: bool,
    ) -> None:
        self.compiled = compiled
        self.zone = zone
        self.reservation_expired = reservation_expired
        self.tariff_id = tariff_id
        self.currency = currency
        self.totals = totals
        self.exact_totals = exact_totals
        self.warnings = warnings
        self.clamped = clamped
        self._recorder = recorder
        self._records: tuple[SliceRecord, ...] | None = None
        self._slices: tuple[PricedSlice, ...] | None = None

    @property
    def records(self) -> tuple[SliceRecord, ...]:
        """The engine's raw slice records (for the explanation, which re-checks restrictions on them)."""
        if self._records is None:
            raw_records, extras = self._recorder()
            records = []
            for position, raw in enumerate(raw_records):
                record = SliceRecord(*raw[:10])
                record.energy_comp, record.time_comp, record.flat_comp = raw[10], raw[11], raw[12]
                record.energy_extra = extras.energy.get(position, ZERO)
                record.time_extra_us = extras.time_us.get(position, 0)
                records.append(record)
            self._records = tuple(records)
        return self._records

    @property
    def slices(self) -> tuple[PricedSlice, ...]:
        """Per slice of time: the charges with element, component, quantities and costs."""
        if self._slices is None:
            self._slices = tuple(build_slice(record) for record in self.records)
        return self._slices
