"""The database tables, as SQLAlchemy declarative records.

The records are persistence shapes, not protocol objects: OCPI payloads are validated by the `ocpi` models
before they reach a repository.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from laddhub.store.types import UtcDateTime


class Base(DeclarativeBase):
    pass


class PartnerRecord(Base):
    """A counterparty platform: invited, registering, registered or unregistered."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[str | None] = mapped_column(String(10))
    versions_url: Mapped[str | None] = mapped_column(String(255))
    # The token *we* present when calling the partner (their token B or C). It has to be usable, so it is
    # the one secret stored as is; tokens the partner presents to us are in IssuedTokenRecord, hashed.
    outgoing_token: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    roles: Mapped[list[PartnerRoleRecord]] = relationship(
        back_populates="partner",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="PartnerRoleRecord.id",
    )
    endpoints: Mapped[list[PartnerEndpointRecord]] = relationship(
        back_populates="partner",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="PartnerEndpointRecord.id",
    )


class PartnerRoleRecord(Base):
    """A role the partner announced in its credentials (role + country_code + party_id)."""

    __tablename__ = "partner_roles"
    __table_args__ = (UniqueConstraint("partner_id", "role", "country_code", "party_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    country_code: Mapped[str] = mapped_column(String(2))
    party_id: Mapped[str] = mapped_column(String(3))
    business_details: Mapped[dict[str, Any]] = mapped_column(JSON)

    partner: Mapped[PartnerRecord] = relationship(back_populates="roles")


class PartnerEndpointRecord(Base):
    """One endpoint of the partner's version details for the negotiated version."""

    __tablename__ = "partner_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    identifier: Mapped[str] = mapped_column(String(50))
    interface_role: Mapped[str | None] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(String(255))

    partner: Mapped[PartnerRecord] = relationship(back_populates="endpoints")


class IssuedTokenRecord(Base):
    """A credentials token we issued to a partner, stored only as its sha256 digest.

    `kind` is INVITATION (token A: versions and credentials only) or ACCESS (token B or C). `state` is
    ACTIVE, PENDING (issued in a credentials PUT, becomes ACTIVE and retires its predecessor on first use)
    or REVOKED.
    """

    __tablename__ = "issued_tokens"
    __table_args__ = (Index("ix_issued_tokens_partner_state", "partner_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DocumentColumns:
    """Columns shared by every stored OCPI object.

    `document` holds the object exactly as it is served (compact OCPI JSON), so a list GET can stream stored
    documents without parsing them. `object_key` is the id upper-cased: OCPI ids are CiStrings, so lookups
    must ignore case while the document keeps the id as its owner wrote it. `partner_id` is NULL for our own
    objects and names the partner for copies received from it. Rows are ordered by `id`, their creation
    order, which keeps paging stable.
    """

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    country_code: Mapped[str] = mapped_column(String(2))
    party_id: Mapped[str] = mapped_column(String(3))
    object_id: Mapped[str] = mapped_column(String(39))
    object_key: Mapped[str] = mapped_column(String(39))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_updated: Mapped[datetime] = mapped_column(UtcDateTime())
    document: Mapped[str] = mapped_column(Text)


class LocationRecord(DocumentColumns, Base):
    __tablename__ = "locations"
    __table_args__ = (
        UniqueConstraint("country_code", "party_id", "object_key"),
        Index("ix_locations_last_updated", "last_updated"),
        Index("ix_locations_partner", "partner_id"),
    )

    publish: Mapped[bool] = mapped_column(Boolean)


class TariffRecord(DocumentColumns, Base):
    __tablename__ = "tariffs"
    __table_args__ = (
        UniqueConstraint("country_code", "party_id", "object_key"),
        Index("ix_tariffs_last_updated", "last_updated"),
        Index("ix_tariffs_partner", "partner_id"),
    )


class SessionRecord(DocumentColumns, Base):
    """A Session; the token columns say which eMSP may see it (the owner of `cdr_token`)."""

    __tablename__ = "sessions"
    __table_args__ = (
        UniqueConstraint("country_code", "party_id", "object_key"),
        Index("ix_sessions_last_updated", "last_updated"),
        Index("ix_sessions_token_party", "token_country_code", "token_party_id"),
        Index("ix_sessions_partner", "partner_id"),
    )

    token_country_code: Mapped[str] = mapped_column(String(2))
    token_party_id: Mapped[str] = mapped_column(String(3))
    token_uid: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(12))


class CdrRecord(DocumentColumns, Base):
    """A CDR (immutable once created); the token columns say which eMSP may see it."""

    __tablename__ = "cdrs"
    __table_args__ = (
        UniqueConstraint("country_code", "party_id", "object_key"),
        Index("ix_cdrs_last_updated", "last_updated"),
        Index("ix_cdrs_token_party", "token_country_code", "token_party_id"),
        Index("ix_cdrs_partner", "partner_id"),
    )

    token_country_code: Mapped[str] = mapped_column(String(2))
    token_party_id: Mapped[str] = mapped_column(String(3))
    session_key: Mapped[str | None] = mapped_column(String(36))


class TokenRecord(DocumentColumns, Base):
    """A Token, identified by (country_code, party_id, uid, type): one uid may exist with several types."""

    __tablename__ = "tokens"
    __table_args__ = (
        UniqueConstraint("country_code", "party_id", "object_key", "token_type"),
        Index("ix_tokens_last_updated", "last_updated"),
        Index("ix_tokens_partner", "partner_id"),
    )

    token_type: Mapped[str] = mapped_column(String(12))


class OutboxRecord(Base):
    """A push to one partner, written in the transaction of the change it announces.

    `group_key` orders deliveries: entries of one group go out one at a time in `id` order (an EVSE PATCH
    never overtakes the PUT of its Location). `object_key` coalesces: a newer change of the same object
    replaces a pending older one, unless `coalesce` is false (CDRs: each is delivered exactly once).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "state", "next_attempt_at"),
        Index("ix_outbox_partner_group", "partner_id", "group_key", "id"),
        Index("ix_outbox_partner_object", "partner_id", "object_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    module: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(255))
    payload: Mapped[str | None] = mapped_column(Text)
    group_key: Mapped[str] = mapped_column(String(160))
    object_key: Mapped[str] = mapped_column(String(200))
    coalesce: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    locked_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    # The partner's party a change for one party (a session or CDR: its token's owner) is addressed to.
    to_country_code: Mapped[str | None] = mapped_column(String(2))
    to_party_id: Mapped[str | None] = mapped_column(String(3))


# record modules (each adds its tables to Base.metadata)
import laddhub.store.charging_records  # noqa: E402
import laddhub.store.hub_records  # noqa: E402
import laddhub.store.lookup_indexes  # noqa: E402
import laddhub.store.push_records  # noqa: E402, F401
