"""Records of the charging activity: simulated chargers, requests sent to them, reservations, smart
charging settings of sessions, and the results owed to partners' response URLs.

Sessions and CDRs themselves are OCPI documents (`sessions`, `cdrs`); these tables hold what the CPO needs
besides them to run chargers and answer commands, so that a node restart loses nothing in flight.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laddhub.store.tables import Base
from laddhub.store.types import UtcDateTime


class ChargerStateRecord(Base):
    """The simulated charger of one of our EVSEs: its phase, the session it runs and when it acts next.

    `state` is the simulator's JSON (vehicle, meter readings, the tariff and location as they were at the
    start); the columns are what the scheduler and lookups filter on. Keys are upper-cased CiStrings.
    """

    __tablename__ = "charger_states"
    __table_args__ = (
        UniqueConstraint("country_code", "party_id", "location_key", "evse_key"),
        Index("ix_charger_states_next_event", "next_event_at"),
        Index("ix_charger_states_session", "session_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    country_code: Mapped[str] = mapped_column(String(2))
    party_id: Mapped[str] = mapped_column(String(3))
    location_key: Mapped[str] = mapped_column(String(36))
    evse_key: Mapped[str] = mapped_column(String(36))
    location_id: Mapped[str] = mapped_column(String(36))
    evse_uid: Mapped[str] = mapped_column(String(36))
    phase: Mapped[str] = mapped_column(String(12))
    session_key: Mapped[str | None] = mapped_column(String(36))
    next_event_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ChargerRequestRecord(Base):
    """A partner's command or charging-profile request, from receipt until its result is decided.

    `due_at` is when the charger answers (NULL: it does not, e.g. it is offline), `deadline` when the CPO
    stops waiting and reports a timeout. `payload` is the request body as received (validated JSON).
    """

    __tablename__ = "charger_requests"
    __table_args__ = (
        Index("ix_charger_requests_due", "state", "due_at"),
        Index("ix_charger_requests_deadline", "state", "deadline"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    country_code: Mapped[str | None] = mapped_column(String(2))
    party_id: Mapped[str | None] = mapped_column(String(3))
    location_key: Mapped[str | None] = mapped_column(String(36))
    evse_key: Mapped[str | None] = mapped_column(String(36))
    session_key: Mapped[str | None] = mapped_column(String(36))
    payload: Mapped[str] = mapped_column(Text)
    response_url: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(10))
    result: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    deadline: Mapped[datetime] = mapped_column(UtcDateTime())


class CallbackRecord(Base):
    """A result owed to a partner at a URL of its choice (a response_url or its chargingprofiles endpoint).

    These are not outbox pushes: the URL is free-form and the body answers one request. Each is retried a
    few times with backoff; `locked_until` lets one deliverer at a time send it. Delivered rows are deleted,
    rows that ran out of attempts stay FAILED for the operator. `from_party` / `to_party` ("NL/CPO") are the
    routing headers: our party that answers and the partner's party that asked.
    """

    __tablename__ = "partner_callbacks"
    __table_args__ = (Index("ix_partner_callbacks_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(8))
    url: Mapped[str] = mapped_column(String(512))
    payload: Mapped[str] = mapped_column(Text)
    from_party: Mapped[str] = mapped_column(String(6))
    to_party: Mapped[str] = mapped_column(String(6))
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


class ReservationRecord(Base):
    """A reservation: the eMSP's reservation_id mapped to ours (`id`, unique across eMSPs), and its state.

    The charger only ever sees `id`; the eMSP's id is unique per eMSP only. `request` is the ReserveNow
    body (token, expiry, authorization_reference) as last received.
    """

    __tablename__ = "reservations"
    __table_args__ = (
        UniqueConstraint("emsp_country_code", "emsp_party_id", "reservation_key"),
        Index("ix_reservations_evse", "country_code", "party_id", "location_key", "evse_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    emsp_country_code: Mapped[str] = mapped_column(String(2))
    emsp_party_id: Mapped[str] = mapped_column(String(3))
    reservation_key: Mapped[str] = mapped_column(String(36))
    reservation_id: Mapped[str] = mapped_column(String(36))
    country_code: Mapped[str] = mapped_column(String(2))
    party_id: Mapped[str] = mapped_column(String(3))
    location_key: Mapped[str] = mapped_column(String(36))
    evse_key: Mapped[str | None] = mapped_column(String(36))
    session_key: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(12))
    expiry: Mapped[datetime] = mapped_column(UtcDateTime())
    response_url: Mapped[str] = mapped_column(String(255))
    request: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SessionSmartChargingRecord(Base):
    """What smart charging knows of one of our sessions: its charging profile and charging preferences.

    `profile_partner_id` is the partner that last set a profile successfully; once set, it hears of every
    change of the active profile (spec §11.2). `profile` is NULL when no profile is in force.
    """

    __tablename__ = "session_smart_charging"
    __table_args__ = (UniqueConstraint("country_code", "party_id", "session_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    country_code: Mapped[str] = mapped_column(String(2))
    party_id: Mapped[str] = mapped_column(String(3))
    session_key: Mapped[str] = mapped_column(String(36))
    profile: Mapped[str | None] = mapped_column(Text)
    profile_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"))
    profile_updates: Mapped[bool] = mapped_column(Boolean)
    last_profile_request_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    preferences: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
