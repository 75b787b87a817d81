"""The `Authorization: Token ...` header and the credentials tokens behind it (digest §2.3).

From 2.2 the token travels Base64-encoded; 2.1.1 and many 2.2 peers send it raw. We send what the version
asks for and, on receipt, try every plausible reading of the header against the token store. Tokens we issue
are stored only as sha256 digests, so the store never holds a usable secret, and the digests are compared
with `hmac.compare_digest`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

TOKEN_MAX_LENGTH = 64
_PRINTABLE = frozenset(chr(c) for c in range(0x21, 0x7F))


class MalformedAuthorization(ValueError):
    """The Authorization header is not `Token <something>`."""


def uses_base64(version: str) -> bool:
    """Whether a version encodes the token in Base64 (2.2 and later)."""
    major_minor = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
    return major_minor >= (2, 2)


def authorization_header(token: str, version: str, *, force_plain: bool = False) -> str:
    """The header value to send to a partner speaking `version`."""
    if force_plain or not uses_base64(version):
        return f"Token {token}"
    return "Token " + base64.b64encode(token.encode("utf-8")).decode("ascii")


def candidate_tokens(header: str | None) -> list[str]:
    """Every token the header could mean: the raw value and its Base64 decoding, in that order.

    The spec's own examples encode a trailing newline, so one trailing `\\n` is stripped from a decoded
    value. A scheme other than `Token` (case-insensitive, as partners vary) is rejected.
    """
    if not header:
        raise MalformedAuthorization("missing Authorization header")
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value:
        raise MalformedAuthorization("the Authorization header must be 'Token <credentials token>'")
    candidates = [value]
    decoded = _decode_base64(value)
    if decoded is not None and decoded != value:
        candidates.append(decoded)
    return candidates


def _decode_base64(value: str) -> str | None:
    padded = value + "=" * (-len(value) % 4)
    try:
        raw = base64.b64decode(padded, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if text.endswith("\n"):
        text = text[:-1]
    if not text or not set(text) <= _PRINTABLE:
        return None
    return text


def is_valid_token(token: str) -> bool:
    """A credentials token is 1-64 printable, non-whitespace ASCII characters."""
    return 0 < len(token) <= TOKEN_MAX_LENGTH and set(token) <= _PRINTABLE


def generate_token() -> str:
    """A new credentials token: 256 bits of randomness, URL-safe, well under the 64-character limit."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The sha256 hex digest under which an issued token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def digests_match(left: str, right: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(left.encode("ascii"), right.encode("ascii"))
