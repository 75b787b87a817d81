"""Profiles steer the plan: CHEAP waits for cheap hours, FAST charges now, GREEN follows emissions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from laddhub.loadmgmt.allocator import AllocationRequest, LoadAllocator
from laddhub.loadmgmt.sessions import ChargingPreferences, ProfileType
from laddhub.loadmgmt.signals import PricePoint, PriceSeries

from .helpers import NOW, session, single_phase_site

# Expensive for the next two hours, cheap after.
PRICES = PriceSeries(
    (
        PricePoint(NOW - timedelta(hours=1), Decimal("0.40")),
        PricePoint(NOW + timedelta(hours=2), Decimal("0.10")),
    )
)
# Dirty power later, clean now: the opposite of the price.
EMISSIONS = PriceSeries(
    (
        PricePoint(NOW - timedelta(hours=1), Decimal("50")),
        PricePoint(NOW + timedelta(hours=2), Decimal("400")),
    )
)


def _limit_now(profile: ProfileType, emissions: PriceSeries | None = None) -> float:
    site = single_phase_site(1, grid_amps=32)
    preferences = ChargingPreferences(profile, departure_time=NOW + timedelta(hours=6), energy_need_kwh=7.0)
    sessions = [session("E0", hours=6, kwh=None, preferences=preferences)]
    allocation = LoadAllocator(site).allocate(
        AllocationRequest(now=NOW, sessions=sessions, prices=PRICES, emissions=emissions)
    )
    return allocation.limits["E0"]


def test_cheap_waits_for_the_cheap_hours_when_it_can_still_get_its_energy() -> None:
    assert _limit_now(ProfileType.CHEAP) == 0.0


def test_fast_charges_now_whatever_the_price() -> None:
    assert _limit_now(ProfileType.FAST) == 32.0


def test_green_follows_the_emissions_signal_rather_than_the_price() -> None:
    assert _limit_now(ProfileType.GREEN, EMISSIONS) == 32.0
    assert _limit_now(ProfileType.GREEN) == 0.0


def test_cheap_still_charges_now_when_waiting_would_cost_energy() -> None:
    site = single_phase_site(1, grid_amps=32)
    preferences = ChargingPreferences(ProfileType.CHEAP, departure_time=NOW + timedelta(hours=3))
    # 3 h at 7.36 kW is 22 kWh, all of it needed: no hour can be skipped.
    sessions = [session("E0", hours=3, kwh=22.0, preferences=preferences)]
    allocation = LoadAllocator(site).allocate(AllocationRequest(now=NOW, sessions=sessions, prices=PRICES))
    assert allocation.limits["E0"] == 32.0
