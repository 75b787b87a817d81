"""Small per-kWh costs that turn drivers' profiles and price signals into a preference between hours.

The costs are far below the fairness steps of the optimiser (0.01 per kWh) so they only ever choose among
plans that deliver the same energy just as fairly. Prices are normalised to [0, 1] over the horizon, since
only their order matters for choosing hours. FAST prefers early hours, CHEAP (and REGULAR, more mildly)
cheap hours, GREEN hours with low emissions when an emissions series is given, else cheap ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt

from laddhub.loadmgmt.planning_periods import Period
from laddhub.loadmgmt.sessions import ProfileType, Session
from laddhub.loadmgmt.signals import PriceSeries

FloatArray = npt.NDArray[np.float64]

# (weight of the normalised price, weight of lateness) per profile, per kWh.
_WEIGHTS = {
    ProfileType.FAST: (0.0, 1e-3),
    ProfileType.REGULAR: (5e-4, 1e-4),
    ProfileType.CHEAP: (1e-3, 1e-5),
    ProfileType.GREEN: (1e-3, 1e-5),
}


def period_costs(
    sessions: Sequence[Session],
    periods: Sequence[Period],
    now: datetime,
    prices: PriceSeries | None,
    emissions: PriceSeries | None,
    departures: Sequence[datetime],
) -> FloatArray:
    """Cost per kWh for every session and period (sessions x periods).

    Lateness is measured against each car's own stay (0 now, 1 at its expected departure), so among
    otherwise equal plans a car about to leave charges before one staying all day: a plan that finishes
    short stays first loses least when cars leave earlier than they said.
    """
    starts = np.array([(p.start - now).total_seconds() / 3600.0 for p in periods])
    price = _normalised(prices, periods)
    green = _normalised(emissions, periods) if emissions is not None else price
    costs = np.zeros((len(sessions), len(periods)))
    for i, session in enumerate(sessions):
        price_weight, lateness_weight = _WEIGHTS[session.profile_type]
        signal = green if session.profile_type is ProfileType.GREEN else price
        stay_hours = max((departures[i] - now).total_seconds() / 3600.0, 1e-9)
        lateness = np.minimum(starts / stay_hours, 1.0)
        costs[i] = price_weight * signal + lateness_weight * lateness
    return costs


def _normalised(series: PriceSeries | None, periods: Sequence[Period]) -> FloatArray:
    """The series sampled at each period's middle, scaled to [0, 1]; zeros when absent or flat."""
    if series is None:
        return np.zeros(len(periods))
    values = []
    for period in periods:
        value = series.price_at(period.start + (period.end - period.start) / 2)
        values.append(np.nan if value is None else float(value))
    sampled = np.array(values, dtype=np.float64)
    if np.all(np.isnan(sampled)):
        return np.zeros(len(periods))
    sampled = np.where(np.isnan(sampled), np.nanmax(sampled), sampled)
    low, high = float(sampled.min()), float(sampled.max())
    if high - low <= 0:
        return np.zeros(len(periods))
    return (sampled - low) / (high - low)
