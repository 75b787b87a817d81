"""Versions module (spec §3): which OCPI versions a party speaks and where each version's modules live."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from laddhub.ocpi.common import URL, VISIBLE_ASCII_PATTERN, NonEmptyList, OcpiModel

__all__ = [
    "Endpoint",
    "InterfaceRole",
    "ModuleID",
    "ModuleIdentifier",
    "Version",
    "VersionDetails",
    "VersionNumber",
]


class VersionNumber(StrEnum):
    """An OCPI version as the Versions module names it.

    The deprecated 2.0, 2.1 and 2.2 are listed because partners still announce them (the spec's own
    2.2.1 examples say "2.2"); 2.3.0 is listed so that a partner offering it next to 2.2.1 can still be
    read during version negotiation.
    """

    V2_0 = "2.0"
    V2_1 = "2.1"
    V2_1_1 = "2.1.1"
    V2_2 = "2.2"
    V2_2_1 = "2.2.1"
    V2_3_0 = "2.3.0"


class InterfaceRole(StrEnum):
    """Which side of a module an endpoint implements."""

    SENDER = "SENDER"
    """The data owner's interface; the other party pulls from it."""
    RECEIVER = "RECEIVER"
    """The interface the data owner pushes to."""


class ModuleID(StrEnum):
    """The modules of OCPI 2.2.1."""

    CDRS = "cdrs"
    CHARGING_PROFILES = "chargingprofiles"
    COMMANDS = "commands"
    CREDENTIALS = "credentials"
    HUB_CLIENT_INFO = "hubclientinfo"
    LOCATIONS = "locations"
    SESSIONS = "sessions"
    TARIFFS = "tariffs"
    TOKENS = "tokens"


_KNOWN_MODULES = {module.value: module for module in ModuleID}


def _known_module_or_custom(value: str) -> ModuleID | str:
    return _KNOWN_MODULES.get(value, value)


class _ModuleIdentifierSchema:
    """A standard `ModuleID`, or the plain string of a custom module.

    Unlike the other enums this one is open: the spec lets parties define custom modules (e.g.
    ``nltnm-tokens``), and refusing them would make a partner's whole version details unreadable.
    """

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(
            _known_module_or_custom,
            core_schema.str_schema(min_length=1, max_length=255, pattern=VISIBLE_ASCII_PATTERN),
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"anyOf": [{"enum": [module.value for module in ModuleID]}, {"type": "string"}]}


ModuleIdentifier = Annotated[ModuleID | str, _ModuleIdentifierSchema()]


class Version(OcpiModel):
    """One entry of a party's versions list: a version and the URL of its details."""

    version: VersionNumber
    url: URL


class Endpoint(OcpiModel):
    """Where one module's interface of one role is served."""

    identifier: ModuleIdentifier
    role: InterfaceRole
    url: URL


class VersionDetails(OcpiModel):
    """The endpoints a party serves for one version."""

    version: VersionNumber
    endpoints: NonEmptyList[Endpoint]

    def endpoint(self, module: ModuleID, role: InterfaceRole) -> Endpoint | None:
        """Return the endpoint of ``module`` in ``role``, if the party serves it.

        The credentials module is matched whatever its role, because its role is meaningless and
        parties announce it as either (spec §3.2).
        """
        for endpoint in self.endpoints:
            if endpoint.identifier == module and (module is ModuleID.CREDENTIALS or endpoint.role == role):
                return endpoint
        return None
