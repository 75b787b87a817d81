"""Warnings: what the engine and its readers noticed and tolerated instead of failing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PricingWarning:
    """One tolerated oddity. `code` is stable for programs; `message` says what happened and what was done."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
