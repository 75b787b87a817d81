from datetime import UTC, datetime

import pytest

from laddhub.ocpi.envelope import EnvelopeError, envelope, parse_envelope

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)


def test_success_envelope_shape() -> None:
    assert envelope({"a": 1}, now=NOW) == {
        "data": {"a": 1},
        "status_code": 1000,
        "timestamp": "2026-11-24T12:00:00Z",
    }


def test_push_response_omits_data() -> None:
    assert "data" not in envelope(None, now=NOW)
    assert "data" not in envelope({"x": 1}, now=NOW, include_data=False)


def test_error_envelope_carries_message() -> None:
    body = envelope(now=NOW, status_code=2001, status_message="Missing required field: type")
    assert body == {
        "status_code": 2001,
        "status_message": "Missing required field: type",
        "timestamp": "2026-11-24T12:00:00Z",
    }


def test_timestamp_keeps_fraction_and_converts_to_utc() -> None:
    moment = datetime(2016, 12, 29, 17, 45, 9, 200000, tzinfo=UTC)
    assert envelope(now=moment)["timestamp"] == "2016-12-29T17:45:09.2Z"


def test_partner_envelope_with_string_status_is_accepted() -> None:
    parsed = parse_envelope({"status_code": "1000", "data": []})
    assert parsed.status_code == 1000
    assert parsed.data == []


@pytest.mark.parametrize("payload", [[], {"data": 1}, {"status_code": "OK"}, {"status_code": True}])
def test_non_envelopes_are_rejected(payload: object) -> None:
    with pytest.raises(EnvelopeError):
        parse_envelope(payload)
