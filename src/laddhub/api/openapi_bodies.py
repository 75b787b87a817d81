"""Request bodies in the OpenAPI schema.

The routers read bodies as raw JSON (`deps.JsonBody`) so that invalid JSON is HTTP 400 and a schema
violation is OCPI 2001 naming the field, which FastAPI's own body validation would not give. That leaves
the generated schema without request bodies; `json_body` puts the OCPI model of each body back into it, so
the API documentation (`/docs`) and client generators see what each endpoint takes.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

_REF = "#/components/schemas/{model}"
_MODELS: dict[str, type[BaseModel]] = {}


def json_body(*models: type[BaseModel], description: str | None = None) -> dict[str, Any]:
    """The `openapi_extra` of a route whose JSON body is one of `models`."""
    refs = []
    for model in models:
        _MODELS[model.__name__] = model
        refs.append({"$ref": _REF.format(model=model.__name__)})
    schema: dict[str, Any] = refs[0] if len(refs) == 1 else {"oneOf": refs}
    body: dict[str, Any] = {"required": True, "content": {"application/json": {"schema": schema}}}
    if description:
        body["description"] = description
    return {"requestBody": body}


def install(app: FastAPI) -> None:
    """Generate the app's OpenAPI schema with the declared body models among its components."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, model in sorted(_MODELS.items()):
                model_schema = model.model_json_schema(ref_template=_REF)
                for definition, content in model_schema.pop("$defs", {}).items():
                    components.setdefault(definition, content)
                components[name] = model_schema
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
