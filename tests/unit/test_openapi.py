"""The OpenAPI schema documents what each endpoint takes, so /docs and client generators are useful."""

from __future__ import annotations

from typing import Any

from laddhub.api.app import create_app
from laddhub.config import Settings


def _schema() -> dict[str, Any]:
    app = create_app(Settings(roles="CPO:NL:LAD,EMSP:NL:LDE", database_url="sqlite+aiosqlite:///:memory:"))
    return app.openapi()


def _body_ref(schema: dict[str, Any], path: str, method: str) -> Any:
    return schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]


def test_bodies_of_ocpi_and_admin_endpoints_name_their_ocpi_model() -> None:
    schema = _schema()
    expected = {
        ("/ocpi/2.2.1/credentials", "post"): "Credentials",
        ("/ocpi/2.2.1/emsp/locations/{country_code}/{party_id}/{location_id}", "put"): "Location",
        (
            "/ocpi/2.2.1/emsp/locations/{country_code}/{party_id}/{location_id}/{evse_uid}",
            "patch",
        ): "EvsePatch",
        ("/ocpi/2.2.1/emsp/cdrs", "post"): "CDR",
        ("/ocpi/2.2.1/cpo/tokens/{country_code}/{party_id}/{token_uid}", "put"): "Token",
        ("/admin/tariffs", "post"): "Tariff",
    }
    for (path, method), model in expected.items():
        assert _body_ref(schema, path, method) == {"$ref": f"#/components/schemas/{model}"}, path
    commands = _body_ref(schema, "/ocpi/2.2.1/cpo/commands/{command}", "post")
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in commands["oneOf"]} == {
        "StartSession",
        "StopSession",
        "ReserveNow",
        "CancelReservation",
        "UnlockConnector",
    }


def test_every_reference_in_the_schema_resolves() -> None:
    schema = _schema()
    components = schema["components"]["schemas"]
    location = components["Location"]
    assert "country_code" in location["properties"] and "evses" in location["properties"]

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if "$ref" in node else []
            return found + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for value in node for r in refs(value)]
        return []

    missing = {r for r in refs(schema) if r.rsplit("/", 1)[1] not in components}
    assert missing == set()
