"""Stored OCPI objects (locations, tariffs, sessions, CDRs, tokens) and the push outbox.

Revision ID: 0002_ocpi_objects
Revises: 0001_partners
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_ocpi_objects"
down_revision = "0001_partners"
branch_labels = None
depends_on = None


def _document_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "partner_id", sa.Integer(), sa.ForeignKey("partners.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("country_code", sa.String(2), nullable=False),
        sa.Column("party_id", sa.String(3), nullable=False),
        sa.Column("object_id", sa.String(39), nullable=False),
        sa.Column("object_key", sa.String(39), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_updated", sa.DateTime(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
    ]


def _document_table(name: str, *extra: sa.Column[object], unique: tuple[str, ...] = ()) -> None:
    op.create_table(
        name,
        *_document_columns(),
        *extra,
        sa.UniqueConstraint("country_code", "party_id", "object_key", *unique),
    )
    op.create_index(f"ix_{name}_last_updated", name, ["last_updated"])
    op.create_index(f"ix_{name}_partner", name, ["partner_id"])


def upgrade() -> None:
    _document_table("locations", sa.Column("publish", sa.Boolean(), nullable=False))
    _document_table("tariffs")
    _document_table(
        "sessions",
        sa.Column("token_country_code", sa.String(2), nullable=False),
        sa.Column("token_party_id", sa.String(3), nullable=False),
        sa.Column("token_uid", sa.String(36), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
    )
    op.create_index("ix_sessions_token_party", "sessions", ["token_country_code", "token_party_id"])
    _document_table(
        "cdrs",
        sa.Column("token_country_code", sa.String(2), nullable=False),
        sa.Column("token_party_id", sa.String(3), nullable=False),
        sa.Column("session_key", sa.String(36), nullable=True),
    )
    op.create_index("ix_cdrs_token_party", "cdrs", ["token_country_code", "token_party_id"])
    _document_table("tokens", sa.Column("token_type", sa.String(12), nullable=False), unique=("token_type",))
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "partner_id", sa.Integer(), sa.ForeignKey("partners.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("module", sa.String(32), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("group_key", sa.String(160), nullable=False),
        sa.Column("object_key", sa.String(200), nullable=False),
        sa.Column("coalesce", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("locked_by", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_outbox_due", "outbox", ["state", "next_attempt_at"])
    op.create_index("ix_outbox_partner_group", "outbox", ["partner_id", "group_key", "id"])
    op.create_index("ix_outbox_partner_object", "outbox", ["partner_id", "object_key"])


def downgrade() -> None:
    for name in ("outbox", "tokens", "cdrs", "sessions", "tariffs", "locations"):
        op.drop_table(name)
