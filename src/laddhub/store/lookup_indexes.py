"""Indexes on the document tables for lookups that the tables' own keys do not cover.

* A charger reads only a token's uid (and knows its type), not the eMSP that owns it, so local
  authorisation and `publish_allowed_to` matching look tokens up by uid alone.
* Every Locations list GET first asks which of our Locations are unpublished (their audience needs
  working out); with an index that question costs nothing when the answer is "none".
"""

from __future__ import annotations

from sqlalchemy import Index

from laddhub.store.tables import LocationRecord, TokenRecord

TOKENS_BY_UID = Index("ix_tokens_object_key", TokenRecord.object_key)
LOCATIONS_BY_PUBLISH = Index("ix_locations_publish", LocationRecord.publish, LocationRecord.partner_id)
