"""Smart charging of our sessions: charging profiles set by partners, and drivers' charging preferences.

ChargingProfiles (spec §11): a partner may set, read or clear the profile of a session of its own tokens.
It gets a synchronous ChargingProfileResponse, then the charger's result at its `response_url`. Once it
has set a profile successfully, it hears of every change of the session's active profile by an
ActiveChargingProfile PUT to its own chargingprofiles endpoint.

ChargingPreferences (spec §6.2): the token's owner says what the driver wants (profile type, departure,
energy need). They are stored with the session; the profile type picks the tariff type when charging
starts (`chargers.tariff_choice`), which is why a profile without a matching tariff is not supported.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from laddhub.chargers.tariff_choice import supports_profile
from laddhub.ocpi.common import ci_key
from laddhub.ocpi.status import InvalidParameters, NotFound
from laddhub.ocpi.v2_2_1.chargingprofiles import (
    ActiveChargingProfile,
    ChargingProfileResponse,
    ChargingProfileResponseType,
)
from laddhub.ocpi.v2_2_1.locations import EVSE, Capability, Location, Status
from laddhub.ocpi.v2_2_1.sessions import (
    ChargingPreferences,
    ChargingPreferencesResponse,
    Session,
    SessionStatus,
)
from laddhub.ocpi.v2_2_1.tariffs import Tariff
from laddhub.ocpi.v2_2_1.tokens import ProfileType
from laddhub.services.callbacks import Purpose, owe
from laddhub.services.charger_requests import Parties, RequestKind, Target, submit
from laddhub.services.partner_directory import endpoint, join
from laddhub.store.charging_records import SessionSmartChargingRecord
from laddhub.store.tables import PartnerRecord
from laddhub.store.uow import UnitOfWork

ACTIVE_PROFILE_HORIZON_S = 1800
"""How far ahead an ActiveChargingProfile update looks (the spec advises 5 to 60 minutes)."""
_OVER = frozenset({SessionStatus.COMPLETED, SessionStatus.INVALID})
_PLANNED = frozenset({ProfileType.CHEAP, ProfileType.GREEN})


async def _record(
    uow: UnitOfWork, session: Session, *, create: bool, now: datetime
) -> SessionSmartChargingRecord | None:
    statement = select(SessionSmartChargingRecord).where(
        SessionSmartChargingRecord.country_code == ci_key(session.country_code),
        SessionSmartChargingRecord.party_id == ci_key(session.party_id),
        SessionSmartChargingRecord.session_key == ci_key(session.id),
    )
    found: SessionSmartChargingRecord | None = (await uow.session.execute(statement)).scalar_one_or_none()
    if found is None and create:
        found = SessionSmartChargingRecord(
            country_code=ci_key(session.country_code),
            party_id=ci_key(session.party_id),
            session_key=ci_key(session.id),
            profile_updates=False,
            updated_at=now,
        )
        uow.session.add(found)
    return found


async def preferences_of(uow: UnitOfWork, session: Session) -> ChargingPreferences | None:
    """The driver's charging preferences for a session, if its eMSP gave any."""
    record = await _record(uow, session, create=False, now=session.last_updated)
    if record is None or record.preferences is None:
        return None
    return ChargingPreferences.model_validate_json(record.preferences)


async def our_session(uow: UnitOfWork, ours: tuple[str, str], session_id: str) -> Session | None:
    """Our session with this id under our party `ours` (not a partner's copy)."""
    record = await uow.sessions.get(ours[0], ours[1], session_id)
    if record is None or record.partner_id is not None:
        return None
    return uow.sessions.parse(record)


async def session_evse(uow: UnitOfWork, session: Session) -> tuple[Location, EVSE] | None:
    """The Location and EVSE a session of ours takes place at."""
    record = await uow.locations.get(session.country_code, session.party_id, session.location_id)
    if record is None or record.partner_id is not None:
        return None
    location = uow.locations.parse(record)
    evse = next((e for e in location.evses if ci_key(e.uid) == ci_key(session.evse_uid)), None)
    return None if evse is None else (location, evse)


def _owned_by(session: Session, caller: PartnerRecord) -> bool:
    wanted = (ci_key(session.cdr_token.country_code), ci_key(session.cdr_token.party_id))
    return any((ci_key(r.country_code), ci_key(r.party_id)) == wanted for r in caller.roles)


def _token_party(session: Session) -> tuple[str, str]:
    return (session.cdr_token.country_code, session.cdr_token.party_id)


async def request_profile_change(
    uow: UnitOfWork,
    *,
    caller: PartnerRecord,
    ours: tuple[str, str],
    session_id: str,
    kind: RequestKind,
    body: dict[str, Any],
    response_url: str,
    simulator_on: bool,
    answer_after: timedelta,
    timeout_s: int,
    min_interval: timedelta,
    now: datetime,
) -> ChargingProfileResponse:
    """Accept (or not) a partner's set / get / clear request for a session's profile.

    The charger acts on an accepted request after `answer_after`; the result goes to `response_url`.
    """

    def respond(result: ChargingProfileResponseType) -> ChargingProfileResponse:
        return ChargingProfileResponse(result=result, timeout=timeout_s)

    session = await our_session(uow, ours, session_id)
    if session is None:
        return respond(ChargingProfileResponseType.UNKNOWN_SESSION)
    if not _owned_by(session, caller) or session.status in _OVER:
        return respond(ChargingProfileResponseType.REJECTED)
    place = await session_evse(uow, session)
    if place is None or Capability.CHARGING_PROFILE_CAPABLE not in place[1].capabilities:
        return respond(ChargingProfileResponseType.NOT_SUPPORTED)
    if not simulator_on or place[1].status is Status.UNKNOWN:
        return respond(ChargingProfileResponseType.REJECTED)
    record = await _record(uow, session, create=True, now=now)
    assert record is not None
    last = record.last_profile_request_at
    if last is not None and min_interval > timedelta(0) and now - last < min_interval:
        return respond(ChargingProfileResponseType.TOO_OFTEN)
    record.last_profile_request_at = now
    record.updated_at = now
    await submit(
        uow,
        partner_id=caller.id,
        kind=kind,
        target=Target(
            session.country_code, session.party_id, session.location_id, session.evse_uid, session.id
        ),
        parties=Parties(ours, _token_party(session)),
        payload=body,
        response_url=response_url,
        now=now,
        answer_after=answer_after,
        wait_at_most=timedelta(seconds=timeout_s),
    )
    return respond(ChargingProfileResponseType.ACCEPTED)


async def profile_set_by(
    uow: UnitOfWork, session: Session, partner_id: int, profile_json: str, now: datetime
) -> None:
    """Remember that `partner_id` set a profile successfully: it now hears of active-profile changes."""
    record = await _record(uow, session, create=True, now=now)
    assert record is not None
    record.profile = profile_json
    record.profile_partner_id = partner_id
    record.profile_updates = True
    record.updated_at = now


async def profile_cleared(uow: UnitOfWork, session: Session, now: datetime) -> None:
    """Forget the session's profile (cleared by its sender, or ended)."""
    record = await _record(uow, session, create=False, now=now)
    if record is not None:
        record.profile = None
        record.updated_at = now


async def announce_active_profile(
    uow: UnitOfWork, session: Session, active: ActiveChargingProfile, *, ours: tuple[str, str], now: datetime
) -> bool:
    """PUT the new active profile to the partner that set one on this session, if any; say if one is owed.

    Never for a session on which no partner ever set a profile successfully (spec §11.2).
    """
    record = await _record(uow, session, create=False, now=now)
    if record is None or not record.profile_updates or record.profile_partner_id is None:
        return False
    partner = await uow.partners.get(record.profile_partner_id)
    if partner is None:
        return False
    base = endpoint(partner, "chargingprofiles", "SENDER")
    if base is None:
        return False
    await owe(
        uow,
        partner_id=partner.id,
        purpose=Purpose.ACTIVE_CHARGING_PROFILE,
        method="PUT",
        url=join(base, session.id),
        payload=active.to_ocpi(),
        ours=ours,
        theirs=_token_party(session),
        now=now,
    )
    return True


async def put_preferences(
    uow: UnitOfWork,
    *,
    caller: PartnerRecord,
    ours: tuple[str, str],
    session_id: str,
    preferences: ChargingPreferences,
    now: datetime,
) -> ChargingPreferencesResponse:
    """Store a driver's charging preferences for a session of the caller's tokens, or say why not.

    404 for a session the caller cannot see; 404 with 2001 when its EVSE does not take preferences (the
    spec's rule). CHEAP and GREEN plan charging in time, so they need a departure time and an energy need.
    """
    session = await our_session(uow, ours, session_id)
    if session is None or not _owned_by(session, caller):
        raise NotFound(f"no session {session_id} of your tokens")
    place = await session_evse(uow, session)
    if place is None or Capability.CHARGING_PREFERENCES_CAPABLE not in place[1].capabilities:
        raise InvalidParameters(
            f"EVSE {session.evse_uid} does not accept charging preferences "
            "(it lacks CHARGING_PREFERENCES_CAPABLE)",
            http_status=404,
        )
    if session.status in _OVER:
        return ChargingPreferencesResponse.NOT_POSSIBLE
    connector_tariffs = await connector_tariffs_of(uow, session, place)
    if not supports_profile(connector_tariffs, at=now, profile=preferences.profile_type):
        return ChargingPreferencesResponse.PROFILE_TYPE_NOT_SUPPORTED
    if preferences.profile_type in _PLANNED:
        if preferences.departure_time is None:
            return ChargingPreferencesResponse.DEPARTURE_REQUIRED
        if preferences.energy_need is None:
            return ChargingPreferencesResponse.ENERGY_NEED_REQUIRED
    if preferences.departure_time is not None and preferences.departure_time <= now:
        return ChargingPreferencesResponse.NOT_POSSIBLE
    record = await _record(uow, session, create=True, now=now)
    assert record is not None
    record.preferences = json.dumps(preferences.to_ocpi())
    record.updated_at = now
    return ChargingPreferencesResponse.ACCEPTED


async def connector_tariffs_of(
    uow: UnitOfWork, session: Session, place: tuple[Location, EVSE]
) -> list[Tariff]:
    """The tariffs the session's connector lists, in its order (those we do not hold are skipped)."""
    _, evse = place
    connector = next((c for c in evse.connectors if ci_key(c.id) == ci_key(session.connector_id)), None)
    if connector is None:
        return []
    return await tariffs_by_ids(uow, session.country_code, session.party_id, connector.tariff_ids)


async def tariffs_by_ids(uow: UnitOfWork, country_code: str, party_id: str, ids: list[str]) -> list[Tariff]:
    """Our tariffs with these ids, in the given order."""
    found: list[Tariff] = []
    for tariff_id in ids:
        record = await uow.tariffs.get(country_code, party_id, tariff_id)
        if record is not None and record.partner_id is None:
            found.append(uow.tariffs.parse(record))
    return found
