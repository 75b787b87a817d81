"""Index Locations for list GETs: party, publish flag, id, then owner.

A Sender list filters our Locations by CPO party, `publish` and owner (partner_id NULL), and pages them
in id order. With every filtered column and the id in one index, the count and the page's ids are read
from the index alone, without touching the large documents. The id comes right after the columns
compared for equality, so the index hands out the ids already in order (PostgreSQL does not treat
`partner_id IS NULL` as fixing the column, so the owner, tested last, must not come before the id). It
replaces the narrower `ix_locations_publish` of 0005.

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
        "ix_locations_listing", "locations", ["country_code", "party_id", "publish", "id", "partner_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_locations_listing", "locations")
    op.create_index("ix_locations_publish", "locations", ["publish", "partner_id"])
