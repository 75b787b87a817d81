"""Charging activity: simulated chargers, charger requests, reservations, smart charging of sessions and
the results owed to partners' response URLs.

Revision ID: 0006_charging_activity
Revises: 0005_lookup_indexes
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_charging_activity"
down_revision = "0005_lookup_indexes"
branch_labels = None
depends_on = None


def _partner() -> sa.Column[int]:
    return sa.Column(
        "partner_id", sa.Integer(), sa.ForeignKey("partners.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "charger_states",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("country_code", sa.String(2), nullable=False),
        sa.Column("party_id", sa.String(3), nullable=False),
        sa.Column("location_key", sa.String(36), nullable=False),
        sa.Column("evse_key", sa.String(36), nullable=False),
        sa.Column("location_id", sa.String(36), nullable=False),
        sa.Column("evse_uid", sa.String(36), nullable=False),
        sa.Column("phase", sa.String(12), nullable=False),
        sa.Column("session_key", sa.String(36), nullable=True),
        sa.Column("next_event_at", sa.DateTime(), nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("country_code", "party_id", "location_key", "evse_key"),
    )
    op.create_index("ix_charger_states_next_event", "charger_states", ["next_event_at"])
    op.create_index("ix_charger_states_session", "charger_states", ["session_key"])

    op.create_table(
        "charger_requests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _partner(),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("country_code", sa.String(2), nullable=True),
        sa.Column("party_id", sa.String(3), nullable=True),
        sa.Column("location_key", sa.String(36), nullable=True),
        sa.Column("evse_key", sa.String(36), nullable=True),
        sa.Column("session_key", sa.String(36), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("response_url", sa.String(255), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("result", sa.String(24), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("deadline", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_charger_requests_due", "charger_requests", ["state", "due_at"])
    op.create_index("ix_charger_requests_deadline", "charger_requests", ["state", "deadline"])

    op.create_table(
        "partner_callbacks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _partner(),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("url", sa.String(512), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("from_party", sa.String(6), nullable=False),
        sa.Column("to_party", sa.String(6), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_partner_callbacks_due", "partner_callbacks", ["state", "next_attempt_at"])

    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _partner(),
        sa.Column("emsp_country_code", sa.String(2), nullable=False),
        sa.Column("emsp_party_id", sa.String(3), nullable=False),
        sa.Column("reservation_key", sa.String(36), nullable=False),
        sa.Column("reservation_id", sa.String(36), nullable=False),
        sa.Column("country_code", sa.String(2), nullable=False),
        sa.Column("party_id", sa.String(3), nullable=False),
        sa.Column("location_key", sa.String(36), nullable=False),
        sa.Column("evse_key", sa.String(36), nullable=True),
        sa.Column("session_key", sa.String(36), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("expiry", sa.DateTime(), nullable=False),
        sa.Column("response_url", sa.String(255), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("emsp_country_code", "emsp_party_id", "reservation_key"),
    )
    op.create_index(
        "ix_reservations_evse", "reservations", ["country_code", "party_id", "location_key", "evse_key"]
    )

    op.create_table(
        "session_smart_charging",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("country_code", sa.String(2), nullable=False),
        sa.Column("party_id", sa.String(3), nullable=False),
        sa.Column("session_key", sa.String(36), nullable=False),
        sa.Column("profile", sa.Text(), nullable=True),
        sa.Column(
            "profile_partner_id",
            sa.Integer(),
            sa.ForeignKey("partners.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("profile_updates", sa.Boolean(), nullable=False),
        sa.Column("last_profile_request_at", sa.DateTime(), nullable=True),
        sa.Column("preferences", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("country_code", "party_id", "session_key"),
    )


def downgrade() -> None:
    op.drop_table("session_smart_charging")
    op.drop_index("ix_reservations_evse", table_name="reservations")
    op.drop_table("reservations")
    op.drop_index("ix_partner_callbacks_due", table_name="partner_callbacks")
    op.drop_table("partner_callbacks")
    op.drop_index("ix_charger_requests_deadline", table_name="charger_requests")
    op.drop_index("ix_charger_requests_due", table_name="charger_requests")
    op.drop_table("charger_requests")
    op.drop_index("ix_charger_states_session", table_name="charger_states")
    op.drop_index("ix_charger_states_next_event", table_name="charger_states")
    op.drop_table("charger_states")
