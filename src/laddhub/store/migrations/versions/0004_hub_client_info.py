"""Connection status of the parties behind a Hub (HubClientInfo).

Revision ID: 0004_hub_client_info
Revises: 0003_push_delivery
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_hub_client_info"
down_revision = "0003_push_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_client_info",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "partner_id", sa.Integer(), sa.ForeignKey("partners.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("country_code", sa.String(2), nullable=False),
        sa.Column("party_id", sa.String(3), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("last_updated", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("partner_id", "country_code", "party_id", "role"),
    )


def downgrade() -> None:
    op.drop_table("hub_client_info")
