"""The database tables, as SQLAlchemy declarative records.

The records are persistence shapes, not protocol objects: OCPI payloads are validated by the `ocpi` models
before they reach a repository.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
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
