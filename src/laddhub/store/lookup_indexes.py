"""Indexes on the document tables for lookups that the tables' own keys do not cover.

* A charger reads only a token's uid (and knows its type), not the eMSP that owns it, so local
  authorisation and `publish_allowed_to` matching look tokens up by uid alone.
* A Locations list GET filters by owner, CPO party and `publish` and pages in id order; with all of
  them in one index the count and the page's ids come from the index alone (it also answers which of
  our Locations are unpublished, a question every list GET asks, at no cost when the answer is "none").
"""

from __future__ import annotations

from sqlalchemy import Index

from laddhub.store.tables import LocationRecord, TokenRecord

TOKENS_BY_UID = Index("ix_tokens_object_key", TokenRecord.object_key)
LOCATIONS_LISTING = Index(
    "ix_locations_listing",
    LocationRecord.partner_id,
    LocationRecord.country_code,
    LocationRecord.party_id,
    LocationRecord.publish,
    LocationRecord.id,
)
