"""Record in each outbox entry the partner's party it is addressed to.

A session or CDR goes to the eMSP owning its token; a partner platform may hold several eMSP parties, and
a session PATCH carries no token to tell which one, so the addressee is kept from the moment of publishing
for the push's OCPI-to headers.

Revision ID: 0008_outbox_addressee
Revises: 0007_location_listing_index
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_outbox_addressee"
down_revision = "0007_location_listing_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("to_country_code", sa.String(2), nullable=True))
        batch.add_column(sa.Column("to_party_id", sa.String(3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("to_party_id")
        batch.drop_column("to_country_code")
