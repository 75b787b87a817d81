from datetime import UTC, datetime

import pytest

from laddhub.ocpi.status import InvalidParameters
from laddhub.services.response_urls import check_response_url, partner_hosts
from laddhub.store.tables import PartnerEndpointRecord, PartnerRecord

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def partner() -> PartnerRecord:
    record = PartnerRecord(name="p", status="REGISTERED", created_at=NOW, updated_at=NOW)
    record.versions_url = "https://ocpi.partner.example/versions"
    record.endpoints = [
        PartnerEndpointRecord(
            identifier="commands", interface_role="SENDER", url="https://Callbacks.Partner.example/c"
        )
    ]
    return record


def test_hosts_are_the_versions_url_and_endpoint_hosts_in_lower_case() -> None:
    assert partner_hosts(partner()) == {"ocpi.partner.example", "callbacks.partner.example"}


@pytest.mark.parametrize(
    "url", ["https://ocpi.partner.example/r/1", "http://callbacks.partner.example:8443/cmd/START_SESSION/9"]
)
def test_urls_on_the_partners_hosts_are_accepted(url: str) -> None:
    check_response_url(url, partner(), any_host=False)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/x", "http://169.254.169.254/latest", "https://evil.example/r", "file:///etc/passwd"],
)
def test_other_hosts_and_schemes_are_refused(url: str) -> None:
    with pytest.raises(InvalidParameters, match="response_url"):
        check_response_url(url, partner(), any_host=False)


def test_any_host_allows_other_hosts_but_not_other_schemes() -> None:
    check_response_url("https://elsewhere.example/r", partner(), any_host=True)
    with pytest.raises(InvalidParameters):
        check_response_url("gopher://elsewhere.example/r", partner(), any_host=True)
