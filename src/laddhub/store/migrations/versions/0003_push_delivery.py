"""Delivery totals per partner and the receipts (Location URLs) of CDRs pushed to partners.

Revision ID: 0003_push_delivery
Revises: 0002_ocpi_objects
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_push_delivery"
down_revision = "0002_ocpi_objects"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_stats",
        sa.Column(
            "partner_id",
            sa.Integer(),
            sa.ForeignKey("partners.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("last_delivered_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "cdr_receipts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "partner_id", sa.Integer(), sa.ForeignKey("partners.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("country_code", sa.String(2), nullable=False),
        sa.Column("party_id", sa.String(3), nullable=False),
        sa.Column("cdr_id", sa.String(39), nullable=False),
        sa.Column("cdr_key", sa.String(39), nullable=False),
        sa.Column("location_url", sa.String(512), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("partner_id", "country_code", "party_id", "cdr_key"),
    )


def downgrade() -> None:
    op.drop_table("cdr_receipts")
    op.drop_table("push_stats")
