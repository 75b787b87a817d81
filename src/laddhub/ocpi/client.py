"""Async client for a partner's OCPI endpoints: discovery, calls with the right headers, paging.

This is the one module of `laddhub.ocpi` that performs I/O. It never logs a token.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import ValidationError

from laddhub.ocpi.auth import authorization_header
from laddhub.ocpi.envelope import EnvelopeError, ParsedEnvelope, parse_envelope
from laddhub.ocpi.paging import parse_link_next
from laddhub.ocpi.status import is_success
from laddhub.ocpi.v2_2_1.versions import Version, VersionDetails
from laddhub.ocpi.validation import describe_validation_error

log = logging.getLogger("laddhub.client")


class PartnerError(Exception):
    """A call to a partner failed: unreachable, an HTTP error, not an envelope, or an OCPI error code."""

    def __init__(self, message: str, *, http_status: int | None = None, ocpi_status: int | None = None):
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.ocpi_status = ocpi_status

    @property
    def is_transient(self) -> bool:
        """Worth retrying later: no answer, a 5xx/429, or an OCPI server/hub error."""
        if self.http_status is None and self.ocpi_status is None:
            return True
        if self.http_status is not None and (self.http_status >= 500 or self.http_status == 429):
            return True
        return self.ocpi_status is not None and self.ocpi_status >= 3000


@dataclass(frozen=True, slots=True)
class Party:
    country_code: str
    party_id: str


@dataclass(frozen=True, slots=True)
class Routing:
    """The OCPI-from/to headers for a functional-module request (digest §2.9)."""

    from_party: Party
    to_party: Party

    def headers(self) -> dict[str, str]:
        return {
            "OCPI-from-country-code": self.from_party.country_code,
            "OCPI-from-party-id": self.from_party.party_id,
            "OCPI-to-country-code": self.to_party.country_code,
            "OCPI-to-party-id": self.to_party.party_id,
        }


@dataclass(frozen=True, slots=True)
class OcpiResponse:
    envelope: ParsedEnvelope
    http_status: int
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def data(self) -> Any:
        return self.envelope.data


class OcpiClient:
    """Calls one partner with one credentials token in one OCPI version."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        token: str,
        version: str = "2.2.1",
        plain_token: bool = False,
        correlation_id: str | None = None,
    ) -> None:
        self._http = http
        self._token = token
        self._version = version
        self._plain = plain_token
        self._correlation_id = correlation_id or str(uuid.uuid4())

    async def call(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        routing: Routing | None = None,
        require_success: bool = True,
    ) -> OcpiResponse:
        """One request; raises `PartnerError` unless the answer is an envelope with a 1xxx code."""
        headers = {
            "Authorization": authorization_header(self._token, self._version, force_plain=self._plain),
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": self._correlation_id,
            "Accept": "application/json",
        }
        if routing is not None:
            headers.update(routing.headers())
        content: bytes | None = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(body, separators=(",", ":")).encode("utf-8")
        try:
            response = await self._http.request(method, url, content=content, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise PartnerError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
        return self._read(method, url, response, require_success)

    def _read(self, method: str, url: str, response: httpx.Response, require_success: bool) -> OcpiResponse:
        try:
            payload = response.json()
            parsed = parse_envelope(payload)
        except (ValueError, EnvelopeError) as exc:
            raise PartnerError(
                f"{method} {url}: HTTP {response.status_code}, not an OCPI envelope ({exc})",
                http_status=response.status_code,
            ) from None
        if require_success and (response.status_code >= 400 or not is_success(parsed.status_code)):
            detail = f": {parsed.status_message}" if parsed.status_message else ""
            raise PartnerError(
                f"{method} {url}: HTTP {response.status_code}, OCPI {parsed.status_code}{detail}",
                http_status=response.status_code,
                ocpi_status=parsed.status_code,
            )
        return OcpiResponse(parsed, response.status_code, dict(response.headers))

    async def fetch_versions(self, versions_url: str) -> list[Version]:
        """GET the partner's versions list; a single object where a list belongs is accepted."""
        response = await self.call("GET", versions_url)
        data = response.data
        if isinstance(data, dict):
            log.warning("versions endpoint %s returned a single object instead of a list", versions_url)
            data = [data]
        if not isinstance(data, list) or not data:
            raise PartnerError(f"GET {versions_url}: expected a non-empty list of versions")
        versions = []
        for index, item in enumerate(data):
            # A version we do not know (a future "3.0") must not hide the ones we do.
            try:
                versions.append(Version.model_validate(item))
            except ValidationError as exc:
                log.warning(
                    "skipping versions[%d] of %s: %s", index, versions_url, describe_validation_error(exc)
                )
        if not versions:
            raise PartnerError(f"GET {versions_url}: none of the listed versions is usable")
        return versions

    async def fetch_version_details(self, details_url: str) -> VersionDetails:
        response = await self.call("GET", details_url)
        try:
            return VersionDetails.model_validate(response.data)
        except ValidationError as exc:
            raise PartnerError(
                f"GET {details_url}: invalid version details: {describe_validation_error(exc)}"
            ) from None

    async def pages(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        routing: Routing | None = None,
    ) -> AsyncIterator[list[Any]]:
        """Walk a paginated Sender list, yielding each page's objects, following `Link: rel="next"`."""
        next_url: str | None = url
        next_params = params
        while next_url is not None:
            response = await self.call("GET", next_url, params=next_params, routing=routing)
            data = response.data
            if data is None:
                data = []
            elif isinstance(data, dict):
                log.warning("list endpoint %s returned a single object instead of a list", next_url)
                data = [data]
            if not isinstance(data, list):
                raise PartnerError(f"GET {next_url}: expected a list of objects")
            yield data
            next_url = parse_link_next(response.headers.get("link"))
            next_params = None
