"""Credentials module (spec §4): the token, versions URL and roles a party hands over at registration."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from laddhub.ocpi.common import (
    URL,
    VISIBLE_ASCII_PATTERN,
    BusinessDetails,
    CountryCode,
    NonEmptyList,
    OcpiModel,
    PartyId,
    Role,
)

__all__ = ["Credentials", "CredentialsRole"]


class CredentialsRole(OcpiModel):
    """One role a platform serves, with the country/party it uses in client-owned object URLs."""

    role: Role
    business_details: BusinessDetails
    party_id: PartyId
    country_code: CountryCode


class Credentials(OcpiModel):
    """What one party gives the other to be called: a token, its versions URL and its roles.

    ``token`` is the token the *receiver of this object* must send when calling the party that
    sent it.
    """

    token: Annotated[str, Field(min_length=1, max_length=64, pattern=VISIBLE_ASCII_PATTERN)]
    url: URL
    roles: NonEmptyList[CredentialsRole]

    @model_validator(mode="after")
    def _roles_are_unique(self) -> Credentials:
        # Country and party are upper-cased on input, so the tuple compares case-insensitively.
        seen: set[tuple[Role, str, str]] = set()
        for role in self.roles:
            key = (role.role, role.country_code, role.party_id)
            if key in seen:
                raise PydanticCustomError(
                    "duplicate_role",
                    "roles: {role} {country_code}/{party_id} is listed twice",
                    {"role": role.role.value, "country_code": role.country_code, "party_id": role.party_id},
                )
            seen.add(key)
        return self
