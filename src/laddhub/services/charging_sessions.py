"""Our Sessions and CDRs as the charging activity produces them, stored and pushed to the token's owner.

A Session is PUT when it is created and PATCHed with what changed afterwards (status, energy, cost, the
charging periods that closed since the last change), always with its `authorization_reference`, so the
eMSP can match it to its request. Its CDR is POSTed once, after the session's last PATCH (same outbox
group, so it never overtakes it). Only the party owning the token hears of either (digest §6, §7).

The cost of a running session and of its CDR are both computed from the charging periods as reported, so
what an eMSP re-computes from them is what we bill, to the cent.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from laddhub.ocpi.common import Price, ci_key
from laddhub.ocpi.v2_2_1.cdrs import CDR, CdrLocation, ChargingPeriod
from laddhub.ocpi.v2_2_1.locations import EVSE, Connector, Location
from laddhub.ocpi.v2_2_1.sessions import Session
from laddhub.ocpi.v2_2_1.tariffs import Tariff
from laddhub.pricing.cdr_builder import build_cdr
from laddhub.pricing.engine import price_timeline
from laddhub.pricing.ocpi_adapter import cdr_input_from_ocpi, tariff_from_ocpi
from laddhub.pricing.timeline import Timeline
from laddhub.pricing.timezones import resolve_zone
from laddhub.services.publishing import Change, publish
from laddhub.store.uow import UnitOfWork

log = logging.getLogger("laddhub.sessions")

NOT_AVAILABLE = "#NA"
"""The spec's value for a required field that cannot be known (§1.3), e.g. an EVSE without an EVSE ID."""


def session_group(country_code: str, party_id: str, session_id: str) -> str:
    """The outbox group (and object key) of a session; its CDR joins the group to be delivered after it."""
    return f"sessions:{ci_key(country_code)}/{ci_key(party_id)}/{ci_key(session_id)}"


def _audience(session: Session | CDR) -> frozenset[tuple[str, str]]:
    return frozenset({(ci_key(session.cdr_token.country_code), ci_key(session.cdr_token.party_id))})


def _session_change(session: Session, method: str, payload: dict[str, Any]) -> Change:
    group = session_group(session.country_code, session.party_id, session.id)
    path = "/" + "/".join(quote(p, safe="") for p in (session.country_code, session.party_id, session.id))
    return Change(
        "sessions",
        method,
        path,
        payload,
        group,
        group,
        parties=_audience(session),
        appended_fields=frozenset({"charging_periods"}),
    )


async def open_session(uow: UnitOfWork, session: Session, *, now: datetime) -> Session:
    """Store a new session and PUT it to the token's owner."""
    await uow.sessions.upsert(session, partner_id=None, now=now)
    await publish(uow, _session_change(session, "PUT", session.to_ocpi()), now=now)
    return session


async def change_session(
    uow: UnitOfWork,
    current: Session,
    changes: dict[str, Any],
    *,
    closed_periods: list[ChargingPeriod],
    now: datetime,
) -> Session:
    """Apply `changes` (field -> value) and append `closed_periods`; store it and PATCH what changed.

    The PATCH carries the changed fields, the new periods (a Session PATCH appends them, spec §6.3), the
    new `last_updated` and the `authorization_reference`.
    """
    merged = current.model_copy(
        update={
            **changes,
            "charging_periods": [*current.charging_periods, *closed_periods],
            "last_updated": now,
        }
    )
    updated = Session.model_validate(merged.to_ocpi())
    document = updated.to_ocpi()
    payload = {name: document[name] for name in changes if name in document}
    if closed_periods:
        payload["charging_periods"] = [period.to_ocpi() for period in closed_periods]
    if updated.authorization_reference is not None:
        payload["authorization_reference"] = updated.authorization_reference
    payload["last_updated"] = document["last_updated"]
    await uow.sessions.upsert(updated, partner_id=None, now=now)
    await publish(uow, _session_change(updated, "PATCH", payload), now=now)
    return updated


def cdr_location(location: Location, evse: EVSE, connector: Connector) -> CdrLocation:
    """Where a session takes place, as the CDR must describe it: as it is at the start of the session."""
    return CdrLocation(
        id=location.id,
        name=location.name,
        address=location.address,
        city=location.city,
        postal_code=location.postal_code,
        state=location.state,
        country=location.country,
        coordinates=location.coordinates,
        evse_uid=evse.uid,
        evse_id=evse.evse_id or NOT_AVAILABLE,
        connector_id=connector.id,
        connector_standard=connector.standard,
        connector_format=connector.format,
        connector_power_type=connector.power_type,
    )


def zone_of(location: Location) -> ZoneInfo:
    """The Location's time zone (tariff restrictions are local), inferred from its country if unknown."""
    coordinates = (Decimal(location.coordinates.latitude), Decimal(location.coordinates.longitude))
    zone, _ = resolve_zone(time_zone=location.time_zone, country=location.country, coordinates=coordinates)
    return zone


def reported_cost(session: Session, tariff: Tariff, zone: ZoneInfo, end: datetime, *, expired: bool) -> Price:
    """What the session costs so far, priced from its charging periods as reported.

    `session` holds every period up to `end`, the open one included. `expired` says whether a reservation
    that never turned into charging has expired (its time is then priced by RESERVATION_EXPIRES elements).
    """
    source = cdr_input_from_ocpi(session.model_copy(update={"end_date_time": end}))
    expired_now = expired and source.timeline.reservation_expired
    timeline = Timeline(source.timeline.start, end, source.timeline.periods, reservation_expired=expired_now)
    totals = price_timeline(tariff_from_ocpi(tariff), timeline, zone).totals
    return Price(excl_vat=totals.total_cost.excl_vat, incl_vat=totals.total_cost.incl_vat)


async def issue_cdr(
    uow: UnitOfWork,
    session: Session,
    tariff: Tariff,
    location: CdrLocation,
    zone: ZoneInfo,
    *,
    now: datetime,
    reservation_expired: bool | None = None,
) -> CDR | None:
    """Build, store and POST the CDR of a finished session (its id is the session's id).

    The CDR starts where the session's first period does: for a session that began as a reservation that
    is the reservation's start, although the session's own start moved to the start of charging (§6.1).
    A session that lasted no time at all has nothing to bill and no charging period to report (a CDR
    needs one), so it gets no CDR.
    """
    start = min([session.start_date_time, *(p.start_date_time for p in session.charging_periods)])
    end = session.end_date_time or now
    if end <= start:
        log.info("session %s lasted no time: no CDR", session.id)
        return None
    cdr, _ = build_cdr(
        session.model_copy(update={"start_date_time": start}),
        tariff,
        location,
        zone,
        cdr_id=session.id,
        last_updated=now,
        reservation_expired=reservation_expired,
    )
    await uow.cdrs.upsert(cdr, partner_id=None, now=now)
    group = session_group(session.country_code, session.party_id, session.id)
    change = Change(
        "cdrs",
        "POST",
        "",
        cdr.to_ocpi(),
        group,
        f"cdrs:{ci_key(cdr.country_code)}/{ci_key(cdr.party_id)}/{ci_key(cdr.id)}",
        coalesce=False,
        parties=_audience(cdr),
    )
    await publish(uow, change, now=now)
    return cdr
