"""Which of a connector's tariffs applies to a session (spec §8.3).

A connector lists tariff ids; at any moment at most one tariff per type is valid. The session's context
picks the type: a driver's charging preference CHEAP, FAST or GREEN asks for the matching PROFILE_*
tariff, anything else (no preference, REGULAR) for the REGULAR one. A tariff without a type applies to
every session and is the fallback. AD_HOC_PAYMENT tariffs are for payment at the charger's own terminal,
which the simulated chargers do not have, so they never apply here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from laddhub.ocpi.v2_2_1.tariffs import Tariff, TariffType
from laddhub.ocpi.v2_2_1.tokens import ProfileType

_PROFILE_TARIFF = {
    ProfileType.CHEAP: TariffType.PROFILE_CHEAP,
    ProfileType.FAST: TariffType.PROFILE_FAST,
    ProfileType.GREEN: TariffType.PROFILE_GREEN,
}


def valid_at(tariff: Tariff, moment: datetime) -> bool:
    """Whether the tariff is in force at `moment`: from its start (inclusive) to its end (exclusive)."""
    if tariff.start_date_time is not None and moment < tariff.start_date_time:
        return False
    return tariff.end_date_time is None or moment < tariff.end_date_time


def preferred_types(profile: ProfileType | None) -> tuple[TariffType | None, ...]:
    """The tariff types to look for, best first, for a session with this charging preference."""
    wanted = _PROFILE_TARIFF.get(profile) if profile is not None else None
    fallback: tuple[TariffType | None, ...] = (TariffType.REGULAR, None)
    return fallback if wanted is None else (wanted, *fallback)


def choose_tariff(tariffs: Sequence[Tariff], *, at: datetime, profile: ProfileType | None) -> Tariff | None:
    """The tariff that applies to a session starting at `at`; None when the connector has none for it.

    `tariffs` are the connector's, in its `tariff_ids` order, which breaks a tie between two tariffs of one
    type that a careless CPO let overlap.
    """
    valid = [t for t in tariffs if valid_at(t, at)]
    for wanted in preferred_types(profile):
        for tariff in valid:
            if tariff.type is wanted:
                return tariff
    return None


def supports_profile(tariffs: Sequence[Tariff], *, at: datetime, profile: ProfileType) -> bool:
    """Whether a connector can honour a charging preference: REGULAR always, others with their tariff.

    The spec lets a driver pick a profile only where the connector has a tariff for it (§6.4).
    """
    wanted = _PROFILE_TARIFF.get(profile)
    return wanted is None or any(t.type is wanted and valid_at(t, at) for t in tariffs)
