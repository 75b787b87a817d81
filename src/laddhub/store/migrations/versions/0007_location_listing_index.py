"""Index Locations for list GETs: owner, party, publish flag, then id.

A Sender list filters our Locations by owner (partner_id NULL), CPO party and `publish`, and pages them
in id order. With every filtered column and the id in one index, the count and the page's ids are read
from the index alone, in order, without touching the large documents; it replaces the narrower
`ix_locations_publish` of 0005.

Revision ID: 0007_location_listing_index
Revises: 0006_charging_activity
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0007_location_listing_index"
down_revision = "0006_charging_activity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_locations_publish", "locations")
    op.create_index(
        "ix_locations_listing", "locations", ["partner_id", "country_code", "party_id", "publish", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_locations_listing", "locations")
    op.create_index("ix_locations_publish", "locations", ["publish", "partner_id"])
