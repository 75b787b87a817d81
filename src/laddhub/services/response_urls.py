"""Where a partner may have us POST asynchronous results.

A command or charging-profile request names a free-form `response_url`, and we POST to it later. Left
unchecked, any partner could make our node call hosts on its internal network (server-side request
forgery). By default a response URL must be on a host the partner itself registered: its versions URL or one
of its module endpoints.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from laddhub.ocpi.status import InvalidParameters
from laddhub.store.tables import PartnerRecord


def partner_hosts(partner: PartnerRecord) -> set[str]:
    """The host names (lower case) of the partner's versions URL and endpoints."""
    urls = [partner.versions_url, *(endpoint.url for endpoint in partner.endpoints)]
    return {host.lower() for url in urls if url and (host := urlsplit(url).hostname)}


def check_response_url(url: str, partner: PartnerRecord, *, any_host: bool) -> None:
    """Raise 2001 unless `url` is an http(s) URL on one of the partner's own hosts (or `any_host`)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidParameters("response_url: must be an absolute http(s) URL")
    if any_host:
        return
    if parts.hostname.lower() not in partner_hosts(partner):
        raise InvalidParameters(
            f"response_url: host {parts.hostname} is not one of the hosts this partner registered "
            "(its versions URL and endpoints)"
        )
