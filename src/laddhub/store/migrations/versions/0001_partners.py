"""Partners, their roles and endpoints, and the credentials tokens we issued.

Revision ID: 0001_partners
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_partners"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.String(10), nullable=True),
        sa.Column("versions_url", sa.String(255), nullable=True),
        sa.Column("outgoing_token", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_partners_status", "partners", ["status"])
    op.create_table(
        "partner_roles",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "partner_id", sa.Integer(), sa.ForeignKey("partners.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("country_code", sa.String(2), nullable=False),
        sa.Column("party_id", sa.String(3), nullable=False),
        sa.Column("business_details", sa.JSON(), nullable=False),
        sa.UniqueConstraint("partner_id", "role", "country_code", "party_id"),
    )
    op.create_index("ix_partner_roles_partner_id", "partner_roles", ["partner_id"])
    op.create_table(
        "partner_endpoints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "partner_id", sa.Integer(), sa.ForeignKey("partners.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("identifier", sa.String(50), nullable=False),
        sa.Column("interface_role", sa.String(10), nullable=True),
        sa.Column("url", sa.String(255), nullable=False),
    )
    op.create_index("ix_partner_endpoints_partner_id", "partner_endpoints", ["partner_id"])
    op.create_table(
        "issued_tokens",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "partner_id", sa.Integer(), sa.ForeignKey("partners.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_issued_tokens_partner_state", "issued_tokens", ["partner_id", "state"])


def downgrade() -> None:
    op.drop_table("issued_tokens")
    op.drop_table("partner_endpoints")
    op.drop_table("partner_roles")
    op.drop_table("partners")
