"""OCPI status codes and the exceptions that carry them.

An OCPI error has two layers: the HTTP status (transport) and the OCPI `status_code` in the envelope. Most
errors that reach the OCPI layer travel as HTTP 200 with a 2xxx/3xxx code; a few (bad JSON, bad token,
wrong credentials state) are HTTP errors too. Each exception says both, so the API layer has one way to
turn any of them into a response.
"""

from __future__ import annotations

from enum import IntEnum


class StatusCode(IntEnum):
    """The status codes of OCPI 2.2.1 (digest §2.8)."""

    SUCCESS = 1000
    CLIENT_ERROR = 2000
    INVALID_PARAMETERS = 2001
    NOT_ENOUGH_INFORMATION = 2002
    UNKNOWN_LOCATION = 2003
    UNKNOWN_TOKEN = 2004
    SERVER_ERROR = 3000
    UNABLE_TO_USE_CLIENT_API = 3001
    UNSUPPORTED_VERSION = 3002
    NO_MATCHING_ENDPOINTS = 3003
    HUB_ERROR = 4000
    UNKNOWN_RECEIVER = 4001
    FORWARD_TIMEOUT = 4002
    CONNECTION_PROBLEM = 4003

    @property
    def is_success(self) -> bool:
        return is_success(int(self))


def is_success(code: int) -> bool:
    """1xxx codes are successes, including the custom 19xx range partners may use."""
    return 1000 <= code <= 1999


def category(code: int) -> str:
    """A human label for a code, also for codes outside the enum (the custom x9xx ranges)."""
    if 1000 <= code <= 1999:
        return "success"
    if 2000 <= code <= 2999:
        return "client error"
    if 3000 <= code <= 3999:
        return "server error"
    if 4000 <= code <= 4999:
        return "hub error"
    return "unknown"


class OcpiError(Exception):
    """An error to be answered with an OCPI envelope.

    `http_status` is 200 unless the spec asks for an HTTP error too (400, 401, 404, 405).
    """

    status_code: int = StatusCode.CLIENT_ERROR
    http_status: int = 200

    def __init__(self, message: str, *, status_code: int | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        if http_status is not None:
            self.http_status = http_status


class InvalidParameters(OcpiError):
    status_code = StatusCode.INVALID_PARAMETERS


class NotEnoughInformation(OcpiError):
    status_code = StatusCode.NOT_ENOUGH_INFORMATION


class UnknownLocation(OcpiError):
    status_code = StatusCode.UNKNOWN_LOCATION


class UnknownToken(OcpiError):
    """Real-time authorisation of a token the eMSP does not know: HTTP 404 *and* 2004 (digest §16.3)."""

    status_code = StatusCode.UNKNOWN_TOKEN
    http_status = 404


class ServerError(OcpiError):
    status_code = StatusCode.SERVER_ERROR


class UnableToUseClientApi(OcpiError):
    status_code = StatusCode.UNABLE_TO_USE_CLIENT_API


class UnsupportedVersion(OcpiError):
    status_code = StatusCode.UNSUPPORTED_VERSION


class NoMatchingEndpoints(OcpiError):
    status_code = StatusCode.NO_MATCHING_ENDPOINTS


class InvalidJson(OcpiError):
    """The body is not JSON at all: a transport error (HTTP 400), not a schema violation."""

    status_code = StatusCode.CLIENT_ERROR
    http_status = 400


class Unauthorized(OcpiError):
    """Missing or unknown token, or token A outside versions/credentials: HTTP 401."""

    status_code = StatusCode.CLIENT_ERROR
    http_status = 401


class NotFound(OcpiError):
    status_code = StatusCode.CLIENT_ERROR
    http_status = 404


class MethodNotAllowed(OcpiError):
    """Credentials POST when registered, or PUT/DELETE when not: HTTP 405."""

    status_code = StatusCode.CLIENT_ERROR
    http_status = 405
