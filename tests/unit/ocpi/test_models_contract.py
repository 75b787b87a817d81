"""Properties every OCPI model and enum of the package keeps, checked over all of them at once."""

from __future__ import annotations

import inspect
from enum import StrEnum
from types import ModuleType

import pytest
from pydantic import BaseModel, ValidationError

from laddhub.ocpi import common
from laddhub.ocpi.common import OcpiModel, PatchModel
from laddhub.ocpi.v2_2_1 import (
    cdrs,
    chargingprofiles,
    commands,
    credentials,
    hubclientinfo,
    locations,
    sessions,
    tariffs,
    tokens,
    versions,
)
from laddhub.ocpi.validation import describe_validation_error

MODULES: list[ModuleType] = [
    common,
    versions,
    credentials,
    locations,
    sessions,
    cdrs,
    tariffs,
    tokens,
    commands,
    chargingprofiles,
    hubclientinfo,
]


def exported(kind: type) -> list[type]:
    found: dict[str, type] = {}
    for module in MODULES:
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isclass(value) and issubclass(value, kind) and value not in (OcpiModel, PatchModel):
                found[f"{module.__name__}.{name}"] = value
    return [found[key] for key in sorted(found)]


MODELS = exported(OcpiModel)
ENUMS = exported(StrEnum)


def test_every_module_exports_what_it_lists() -> None:
    for module in MODULES:
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
    assert len(MODELS) > 50
    assert len(ENUMS) > 30


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@pytest.mark.parametrize("mode", ["validation", "serialization"])
def test_every_model_has_a_json_schema_for_the_api_docs(model: type[BaseModel], mode: str) -> None:
    schema = model.model_json_schema(mode=mode)  # type: ignore[arg-type]
    assert schema["type"] == "object"
    assert schema["properties"]


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_model_ignores_unknown_fields(model: type[BaseModel]) -> None:
    assert model.model_config.get("extra") == "ignore"


@pytest.mark.parametrize("enum", ENUMS, ids=lambda enum: enum.__name__)
def test_every_enum_is_closed_and_names_its_values(enum: type[StrEnum]) -> None:
    class Holder(OcpiModel):
        value: enum  # type: ignore[valid-type]

    for member in enum:
        assert Holder.model_validate({"value": member.value}).value is member
    with pytest.raises(ValidationError) as caught:
        Holder.model_validate({"value": "NOT_A_VALUE"})
    expected = ", ".join(member.value for member in enum)
    assert describe_validation_error(caught.value) == f"value: value 'NOT_A_VALUE' is not one of {expected}"
