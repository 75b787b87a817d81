"""Records the push worker keeps besides the outbox: delivery totals and the CDR locations partners return.

The outbox only holds what is still to be delivered; once an entry is delivered it is gone. These tables
keep the little that must outlive it: how much went to each partner (for `laddhub outbox status`) and,
for every CDR we POSTed, the URL at which the eMSP stored it (the `Location` header of its answer), which
is where the CDR can be read back from the eMSP.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laddhub.store.tables import Base
from laddhub.store.types import UtcDateTime


class PushStatsRecord(Base):
    """Per partner: how many pushes it acknowledged, and the latest failure the worker saw."""

    __tablename__ = "push_stats"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True)
    delivered: Mapped[int] = mapped_column(Integer)
    last_delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CdrReceiptRecord(Base):
    """A CDR the partner accepted, with the URL its `Location` header gave for the stored copy.

    Keyed by the CDR's owner and id (upper-cased, as CiStrings are looked up) so that a CDR delivered twice
    (at-least-once after a lost lease) keeps one receipt.
    """

    __tablename__ = "cdr_receipts"
    __table_args__ = (UniqueConstraint("partner_id", "country_code", "party_id", "cdr_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    country_code: Mapped[str] = mapped_column(String(2))
    party_id: Mapped[str] = mapped_column(String(3))
    cdr_id: Mapped[str] = mapped_column(String(39))
    cdr_key: Mapped[str] = mapped_column(String(39))
    location_url: Mapped[str | None] = mapped_column(String(512))
    delivered_at: Mapped[datetime] = mapped_column(UtcDateTime())
