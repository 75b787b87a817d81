"""Conversions between the OCPI 2.2.1 pydantic models and the engine's own types.

The models are the validated boundary; the engine works on plain dataclasses. A validated model is read
through the same lenient reader as raw JSON (it never needs to tolerate anything there), so there is one
mapping from OCPI fields to engine fields to keep right.
"""

from __future__ import annotations

from laddhub.ocpi.v2_2_1.cdrs import CDR
from laddhub.ocpi.v2_2_1.sessions import Session
from laddhub.ocpi.v2_2_1.tariffs import Tariff as OcpiTariff
from laddhub.pricing.lenient import CdrInput, read_cdr, read_tariff
from laddhub.pricing.tariff import Tariff


def tariff_from_ocpi(model: OcpiTariff) -> Tariff:
    """The engine's tariff for a validated OCPI Tariff."""
    tariff, _ = read_tariff(model.model_dump(mode="python", exclude_none=True))
    return tariff


def cdr_input_from_ocpi(model: CDR | Session) -> CdrInput:
    """What pricing needs from a validated CDR or (finished) Session: its timeline, tariffs and totals."""
    return read_cdr(model.model_dump(mode="python", exclude_none=True))
