"""Indexes for token lookups by uid and for finding unpublished Locations.

Revision ID: 0005_lookup_indexes
Revises: 0004_hub_client_info
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0005_lookup_indexes"
down_revision = "0004_hub_client_info"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tokens_object_key", "tokens", ["object_key"])
    op.create_index("ix_locations_publish", "locations", ["publish", "partner_id"])


def downgrade() -> None:
    op.drop_index("ix_locations_publish", "locations")
    op.drop_index("ix_tokens_object_key", "tokens")
