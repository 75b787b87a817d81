"""Indexes on the document tables for lookups that the tables' own keys do not cover.

* A charger reads only a token's uid (and knows its type), not the eMSP that owns it, so local
  authorisation and `publish_allowed_to` matching look tokens up by uid alone.
* A Locations list GET filters by CPO party, `publish` and owner and pages in id order; with all of
  them in one index (the id right after the equality columns, so ids come out in order) the count and
  the page's ids come from the index alone. It also answers whether any of our Locations are
  unpublished, which every list GET asks, at no cost when the answer is "none".
"""

from __future__ import annotations

from sqlalchemy import Index

from laddhub.store.tables import LocationRecord, TokenRecord

TOKENS_BY_UID = Index("ix_tokens_object_key", TokenRecord.object_key)
LOCATIONS_LISTING = Index(
    "ix_locations_listing",
    LocationRecord.country_code,
    LocationRecord.party_id,
    LocationRecord.publish,
    LocationRecord.id,
    LocationRecord.partner_id,
)
