"""What a Hub tells us about the parties behind it (HubClientInfo, digest §12).

A Hub pushes one ClientInfo per role of each party it connects; we keep the latest per (Hub, country,
party, role). The rows are informational: they let the operator see, in the admin API, that a party is
OFFLINE or SUSPENDED before wondering why its pushes fail.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laddhub.store.tables import Base
from laddhub.store.types import UtcDateTime


class HubClientInfoRecord(Base):
    """One role of a party reachable through a Hub, with its connection status as the Hub last reported it."""

    __tablename__ = "hub_client_info"
    __table_args__ = (UniqueConstraint("partner_id", "country_code", "party_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    country_code: Mapped[str] = mapped_column(String(2))
    party_id: Mapped[str] = mapped_column(String(3))
    role: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    last_updated: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
