"""How a push is addressed: URL joining, the partner's Receiver endpoint, routing headers, retry rules."""

from __future__ import annotations

import pytest

from laddhub.ocpi.client import PartnerError, Party
from laddhub.services.identity import NodeIdentity, RoleIdentity
from laddhub.services.push.claims import Claim
from laddhub.services.push.delivery import is_retryable, join_url, receiver_endpoint, routing_for
from laddhub.store.tables import PartnerEndpointRecord, PartnerRecord, PartnerRoleRecord


@pytest.mark.parametrize(
    ("endpoint", "path", "url"),
    [
        ("http://p/locations", "/NL/CPO/L1", "http://p/locations/NL/CPO/L1"),
        ("http://p/locations/", "/NL/CPO/L1", "http://p/locations/NL/CPO/L1"),
        ("http://p/locations//", "NL/CPO/L1", "http://p/locations/NL/CPO/L1"),
        ("http://p/cdrs", "", "http://p/cdrs"),
        ("http://p/cdrs/", "/", "http://p/cdrs/"),
    ],
)
def test_endpoint_and_path_are_joined_with_exactly_one_slash(endpoint: str, path: str, url: str) -> None:
    assert join_url(endpoint, path) == url


def partner(roles: list[tuple[str, str, str]], endpoints: list[tuple[str, str | None, str]]) -> PartnerRecord:
    record = PartnerRecord(name="p", status="REGISTERED")
    record.roles = [
        PartnerRoleRecord(role=r, country_code=c, party_id=p, business_details={}) for r, c, p in roles
    ]
    record.endpoints = [
        PartnerEndpointRecord(identifier=i, interface_role=role, url=u) for i, role, u in endpoints
    ]
    return record


def test_receiver_endpoint_prefers_the_receiver_interface_and_accepts_one_without_role() -> None:
    both = partner([], [("locations", "SENDER", "http://s"), ("locations", "RECEIVER", "http://r")])
    assert (endpoint := receiver_endpoint(both, "locations")) is not None and endpoint.url == "http://r"
    legacy = partner([], [("locations", None, "http://any")])
    assert (endpoint := receiver_endpoint(legacy, "locations")) is not None and endpoint.url == "http://any"
    assert receiver_endpoint(partner([], [("locations", "SENDER", "http://s")]), "locations") is None


def claim(module: str, path: str) -> Claim:
    return Claim(1, 1, module, "PUT", path, None, "k", 1)


US = NodeIdentity(
    base_url="http://us",
    roles=(
        RoleIdentity("EMSP", "NL", "EMS", "us", None),
        RoleIdentity("CPO", "NL", "AAA", "us", None),
        RoleIdentity("CPO", "DE", "BBB", "us", None),
    ),
)


def test_routing_comes_from_our_role_owning_the_object_and_goes_to_the_receiving_role() -> None:
    them = partner([("CPO", "FR", "XXX"), ("EMSP", "FR", "MSP")], [])
    routing = routing_for(claim("locations", "/de/bbb/L1/E1"), {"status": "CHARGING"}, US, them)
    assert routing is not None
    assert routing.from_party == Party("DE", "BBB") and routing.to_party == Party("FR", "MSP")


def test_sessions_and_cdrs_go_to_the_role_owning_their_token() -> None:
    them = partner([("EMSP", "FR", "ONE"), ("EMSP", "FR", "TWO")], [])
    cdr = {
        "country_code": "NL",
        "party_id": "AAA",
        "id": "C1",
        "cdr_token": {"country_code": "fr", "party_id": "two"},
    }
    routing = routing_for(claim("cdrs", ""), cdr, US, them)
    assert routing is not None
    assert routing.from_party == Party("NL", "AAA") and routing.to_party == Party("FR", "TWO")


def test_unknown_owner_falls_back_to_our_first_sending_role() -> None:
    them = partner([("EMSP", "FR", "MSP")], [])
    routing = routing_for(claim("tariffs", "/XX/ZZZ/T1"), None, US, them)
    assert routing is not None and routing.from_party == Party("NL", "AAA")


def test_no_routing_headers_without_roles_on_either_side() -> None:
    assert (
        routing_for(claim("locations", "/NL/AAA/L1"), None, NodeIdentity("http://us", ()), partner([], []))
        is None
    )


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (PartnerError("no answer"), True),
        (PartnerError("busy", http_status=503), True),
        (PartnerError("slow down", http_status=429), True),
        (PartnerError("server", http_status=200, ocpi_status=3000), True),
        (PartnerError("hub", http_status=200, ocpi_status=4003), True),
        (PartnerError("restarting", http_status=401, ocpi_status=2000), True),
        (PartnerError("not routed yet", http_status=404), True),
        (PartnerError("invalid", http_status=200, ocpi_status=2001), False),
        (PartnerError("bad request", http_status=400), False),
        (PartnerError("method", http_status=405, ocpi_status=2000), False),
    ],
)
def test_what_is_retried_and_what_fails_for_good(error: PartnerError, retry: bool) -> None:
    assert is_retryable(error) is retry
