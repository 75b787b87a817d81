"""Which tariff a session gets, and how eMSPs' reservation ids map to ids unique across eMSPs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from laddhub.chargers.reservations import (
    KnownReservation,
    Placement,
    ReservationStatus,
    place,
    reservation_key,
)
from laddhub.chargers.tariff_choice import choose_tariff, supports_profile
from laddhub.ocpi.v2_2_1.tariffs import Tariff
from laddhub.ocpi.v2_2_1.tokens import ProfileType

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def tariff(tariff_id: str, tariff_type: str | None = None, **extra: Any) -> Tariff:
    data: dict[str, Any] = {
        "country_code": "NL",
        "party_id": "CPO",
        "id": tariff_id,
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.3, "step_size": 1}]}],
        "last_updated": "2026-11-01T00:00:00Z",
        **extra,
    }
    if tariff_type:
        data["type"] = tariff_type
    return Tariff.model_validate(data)


def test_a_preference_picks_its_profile_tariff_else_regular_else_untyped() -> None:
    tariffs = [tariff("ANY"), tariff("REG", "REGULAR"), tariff("FAST", "PROFILE_FAST")]
    assert choose_tariff(tariffs, at=NOW, profile=ProfileType.FAST).id == "FAST"  # type: ignore[union-attr]
    assert choose_tariff(tariffs, at=NOW, profile=ProfileType.CHEAP).id == "REG"  # type: ignore[union-attr]
    assert choose_tariff(tariffs, at=NOW, profile=None).id == "REG"  # type: ignore[union-attr]
    assert choose_tariff(tariffs[:1], at=NOW, profile=ProfileType.GREEN).id == "ANY"  # type: ignore[union-attr]


def test_tariffs_outside_their_validity_and_ad_hoc_tariffs_never_apply() -> None:
    tariffs = [
        tariff("OLD", "REGULAR", end_date_time="2026-11-01T00:00:00Z"),
        tariff("NEXT", "REGULAR", start_date_time="2026-12-01T00:00:00Z"),
        tariff("CARD", "AD_HOC_PAYMENT"),
    ]
    assert choose_tariff(tariffs, at=NOW, profile=None) is None
    current = [*tariffs, tariff("NOW", "REGULAR", start_date_time="2026-11-01T00:00:00Z")]
    assert choose_tariff(current, at=NOW, profile=None).id == "NOW"  # type: ignore[union-attr]


def test_a_profile_is_supported_only_with_its_tariff() -> None:
    tariffs = [tariff("REG", "REGULAR"), tariff("GREEN", "PROFILE_GREEN")]
    assert supports_profile(tariffs, at=NOW, profile=ProfileType.REGULAR)
    assert supports_profile(tariffs, at=NOW, profile=ProfileType.GREEN)
    assert not supports_profile(tariffs, at=NOW, profile=ProfileType.CHEAP)


def test_two_emsps_using_the_same_reservation_id_have_different_keys() -> None:
    assert reservation_key("NL", "AAA", "1") != reservation_key("NL", "BBB", "1")
    assert reservation_key("nl", "aaa", "res-1") == reservation_key("NL", "AAA", "RES-1")


def test_repeating_a_reservation_id_replaces_at_the_same_location_and_conflicts_elsewhere() -> None:
    held = KnownReservation(charger_id=7, location_key="LOC1", status=ReservationStatus.ACTIVE)
    assert place(None, "LOC1") is Placement.NEW
    assert place(held, "loc1") is Placement.REPLACE
    assert place(held, "LOC2") is Placement.CONFLICT
    ended = KnownReservation(charger_id=7, location_key="LOC1", status=ReservationStatus.EXPIRED)
    assert place(ended, "LOC2") is Placement.NEW
