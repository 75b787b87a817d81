"""How reported money is rounded: once, on totals, with a rule the caller can change."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True, slots=True)
class MoneyRounding:
    """Round reported totals to `decimals` places with a `decimal` rounding mode; `None` keeps full precision.

    OCPI leaves money rounding to law and contract, so the engine computes at full precision and rounds
    only what it reports (default: cents, half-up), never the components before summing.
    """

    decimals: int | None = 2
    mode: str = ROUND_HALF_UP
    quantum: Decimal | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        # Worked out once: the engine rounds a dozen amounts per session.
        quantum = None if self.decimals is None else Decimal(1).scaleb(-self.decimals)
        object.__setattr__(self, "quantum", quantum)

    def apply(self, amount: Decimal) -> Decimal:
        """`amount` rounded by this rule."""
        if self.quantum is None:
            return amount
        return amount.quantize(self.quantum, rounding=self.mode)


CENTS_HALF_UP = MoneyRounding()
NO_ROUNDING = MoneyRounding(decimals=None)
