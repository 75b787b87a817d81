"""Small valid OCPI payloads that tests change one field at a time."""

from __future__ import annotations

from typing import Any


def connector(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 16,
        "tariff_ids": ["11"],
        "last_updated": "2019-06-24T12:39:09Z",
    }
    payload.update(changes)
    return payload


def evse(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "uid": "3256",
        "evse_id": "BE*BEC*E041503001",
        "status": "AVAILABLE",
        "connectors": [connector()],
        "last_updated": "2019-06-24T12:39:09Z",
    }
    payload.update(changes)
    return payload


def location(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "country_code": "BE",
        "party_id": "BEC",
        "id": "LOC1",
        "publish": True,
        "address": "F.Rooseveltlaan 3A",
        "city": "Gent",
        "country": "BEL",
        "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
        "evses": [evse()],
        "time_zone": "Europe/Brussels",
        "last_updated": "2019-06-24T12:39:09Z",
    }
    payload.update(changes)
    return payload


def cdr_token(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "country_code": "NL",
        "party_id": "TST",
        "uid": "123abc",
        "type": "RFID",
        "contract_id": "NL-TST-C12345678-S",
    }
    payload.update(changes)
    return payload


def charging_period(*dimensions: tuple[str, float], start: str = "2019-06-23T08:00:00Z") -> dict[str, Any]:
    return {
        "start_date_time": start,
        "dimensions": [{"type": kind, "volume": volume} for kind, volume in dimensions],
    }


def session(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "country_code": "NL",
        "party_id": "STK",
        "id": "101",
        "start_date_time": "2019-06-23T08:00:00Z",
        "kwh": 0,
        "cdr_token": cdr_token(),
        "auth_method": "WHITELIST",
        "location_id": "LOC1",
        "evse_uid": "3256",
        "connector_id": "1",
        "currency": "EUR",
        "status": "ACTIVE",
        "last_updated": "2019-06-23T08:00:00Z",
    }
    payload.update(changes)
    return payload


def tariff(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "country_code": "DE",
        "party_id": "ALL",
        "id": "12",
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "TIME", "price": 2.00, "vat": 10.0, "step_size": 300}]}],
        "last_updated": "2015-06-29T20:39:09Z",
    }
    payload.update(changes)
    return payload


def cdr(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "country_code": "BE",
        "party_id": "BEC",
        "id": "12345",
        "start_date_time": "2015-06-29T21:39:09Z",
        "end_date_time": "2015-06-29T23:37:32Z",
        "cdr_token": cdr_token(),
        "auth_method": "WHITELIST",
        "cdr_location": {
            "id": "LOC1",
            "address": "F.Rooseveltlaan 3A",
            "city": "Gent",
            "country": "BEL",
            "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
            "evse_uid": "3256",
            "evse_id": "BE*BEC*E041503003",
            "connector_id": "1",
            "connector_standard": "IEC_62196_T2",
            "connector_format": "SOCKET",
            "connector_power_type": "AC_1_PHASE",
        },
        "currency": "EUR",
        "charging_periods": [charging_period(("TIME", 1.973))],
        "total_cost": {"excl_vat": 4.00, "incl_vat": 4.40},
        "total_energy": 15.342,
        "total_time": 1.973,
        "last_updated": "2015-06-29T22:01:13Z",
    }
    payload.update(changes)
    return payload


def token(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "country_code": "DE",
        "party_id": "TNM",
        "uid": "012345678",
        "type": "RFID",
        "contract_id": "DE8ACC12E46L89",
        "issuer": "TheNewMotion",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2018-12-10T17:16:15Z",
    }
    payload.update(changes)
    return payload
