import base64
import json
from typing import Any

import httpx
import pytest

from laddhub.ocpi.client import OcpiClient, PartnerError, Party, Routing


def envelope(data: Any, status: int = 1000) -> dict[str, Any]:
    return {"data": data, "status_code": status, "timestamp": "2026-11-24T00:00:00Z"}


def client_for(handler: Any, **kwargs: Any) -> OcpiClient:
    return OcpiClient(httpx.AsyncClient(transport=httpx.MockTransport(handler)), token="tok", **kwargs)


async def test_requests_carry_base64_token_ids_and_routing_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=envelope(None))

    routing = Routing(Party("NL", "CPO"), Party("DE", "MSP"))
    await client_for(handler, correlation_id="corr").call("PUT", "http://p/x", body={"a": 1}, routing=routing)
    request = seen[0]
    assert request.headers["Authorization"] == "Token " + base64.b64encode(b"tok").decode()
    assert request.headers["X-Correlation-ID"] == "corr"
    assert len(request.headers["X-Request-ID"]) == 36
    assert request.headers["OCPI-from-party-id"] == "CPO" and request.headers["OCPI-to-country-code"] == "DE"
    assert json.loads(request.content) == {"a": 1}


async def test_plain_token_for_2_1_1() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=envelope([]))

    await client_for(handler, version="2.1.1").call("GET", "http://p/x")
    assert seen[0].headers["Authorization"] == "Token tok"


@pytest.mark.parametrize(
    ("response", "transient"),
    [
        (httpx.Response(503, text="busy"), True),
        (httpx.Response(200, json=envelope(None, 2001)), False),
        (httpx.Response(200, json=envelope(None, 3000)), True),
        (httpx.Response(401, json=envelope(None, 2000)), False),
        (httpx.Response(200, text="<html>"), False),
    ],
)
async def test_failures_raise_partner_error_with_transience(
    response: httpx.Response, transient: bool
) -> None:
    with pytest.raises(PartnerError) as caught:
        await client_for(lambda request: response).call("GET", "http://p/x")
    assert caught.value.is_transient is transient


async def test_unreachable_partner_is_transient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(PartnerError) as caught:
        await client_for(handler).call("GET", "http://p/x")
    assert caught.value.is_transient


async def test_unknown_versions_are_skipped_and_single_object_accepted() -> None:
    listed = [{"version": "3.0", "url": "http://p/3.0"}, {"version": "2.2.1", "url": "http://p/2.2.1"}]
    versions = await client_for(lambda r: httpx.Response(200, json=envelope(listed))).fetch_versions(
        "http://p/v"
    )
    assert [str(v.version) for v in versions] == ["2.2.1"]
    single = {"version": "2.2.1", "url": "http://p/2.2.1"}
    versions = await client_for(lambda r: httpx.Response(200, json=envelope(single))).fetch_versions(
        "http://p/v"
    )
    assert len(versions) == 1


async def test_pages_follow_link_headers_until_the_last_page() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", "0"))
        headers = {"X-Total-Count": "5", "X-Limit": "2"}
        if offset + 2 < 5:
            headers["Link"] = f'<http://p/list?offset={offset + 2}&limit=2>; rel="next"'
        items = list(range(offset, min(offset + 2, 5)))
        return httpx.Response(200, json=envelope(items), headers=headers)

    pages = [page async for page in client_for(handler).pages("http://p/list", params={"limit": "2"})]
    assert pages == [[0, 1], [2, 3], [4]]
