"""Credentials and Versions objects: the ones the registration handshake depends on."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from laddhub.ocpi.common import BusinessDetails, Role
from laddhub.ocpi.v2_2_1.credentials import Credentials, CredentialsRole
from laddhub.ocpi.v2_2_1.versions import InterfaceRole, ModuleID, VersionDetails, VersionNumber
from laddhub.ocpi.validation import describe_validation_error


def credentials(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "token": "ebf3b399-779f-4497-9b9d-ac6ad3cc44d2",
        "url": "https://example.com/ocpi/versions",
        "roles": [
            {"role": "CPO", "party_id": "EXA", "country_code": "NL", "business_details": {"name": "Example"}}
        ],
    }
    payload.update(changes)
    return payload


def refusal(payload: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        Credentials.model_validate(payload)
    return describe_validation_error(caught.value)


def test_credentials_build_in_code_and_serialise_without_absent_fields() -> None:
    built = Credentials(
        token="token-b",
        url="https://ours.example/ocpi/versions",
        roles=[
            CredentialsRole(
                role=Role.EMSP,
                business_details=BusinessDetails(name="Ours"),
                party_id="our",
                country_code="se",
            )
        ],
    )
    assert built.to_ocpi() == {
        "token": "token-b",
        "url": "https://ours.example/ocpi/versions",
        "roles": [
            {"role": "EMSP", "business_details": {"name": "Ours"}, "party_id": "OUR", "country_code": "SE"}
        ],
    }


@pytest.mark.parametrize("token", ["", "with space", "x" * 65, "tab\there"])
def test_credentials_token_is_1_to_64_visible_ascii_characters(token: str) -> None:
    assert refusal(credentials(token=token)).startswith("token: ")


def test_credentials_need_at_least_one_role() -> None:
    assert refusal(credentials(roles=[])) == "roles: needs at least 1 element(s), got 0"


def test_the_same_role_twice_is_refused_whatever_the_case() -> None:
    role = {"role": "CPO", "party_id": "exa", "country_code": "nl", "business_details": {"name": "Example"}}
    message = refusal(credentials(roles=[credentials()["roles"][0], role]))
    assert message == "roles: CPO NL/EXA is listed twice"


def test_one_platform_may_hold_the_same_role_for_several_parties() -> None:
    roles = [
        {"role": "CPO", "party_id": party, "country_code": "NL", "business_details": {"name": party}}
        for party in ("EXO", "PFC", "CGP")
    ]
    assert len(Credentials.model_validate(credentials(roles=roles)).roles) == 3


def test_unknown_role_lists_the_allowed_roles() -> None:
    role = {"role": "PTP", "party_id": "EXA", "country_code": "NL", "business_details": {"name": "Example"}}
    assert refusal(credentials(roles=[role])) == (
        "roles[0].role: value 'PTP' is not one of CPO, EMSP, HUB, NAP, NSP, OTHER, SCSP"
    )


def details(*endpoints: tuple[str, str]) -> VersionDetails:
    return VersionDetails.model_validate(
        {
            "version": "2.2.1",
            "endpoints": [
                {"identifier": module, "role": role, "url": f"https://p.example/ocpi/2.2.1/{module}"}
                for module, role in endpoints
            ],
        }
    )


def test_version_details_find_an_endpoint_by_module_and_role() -> None:
    found = details(("locations", "SENDER"), ("locations", "RECEIVER"), ("credentials", "RECEIVER"))
    receiver = found.endpoint(ModuleID.LOCATIONS, InterfaceRole.RECEIVER)
    assert receiver is not None and receiver.role is InterfaceRole.RECEIVER
    assert found.endpoint(ModuleID.TOKENS, InterfaceRole.SENDER) is None
    # The credentials module's role carries no meaning, so either one is found.
    assert found.endpoint(ModuleID.CREDENTIALS, InterfaceRole.SENDER) is not None


def test_custom_modules_are_kept_as_plain_identifiers() -> None:
    found = details(("nltnm-tokens", "SENDER"), ("tokens", "SENDER"))
    assert found.endpoints[0].identifier == "nltnm-tokens"
    assert not isinstance(found.endpoints[0].identifier, ModuleID)
    assert found.endpoints[1].identifier is ModuleID.TOKENS
    assert found.to_ocpi()["endpoints"][0]["identifier"] == "nltnm-tokens"


def test_version_numbers_include_the_deprecated_ones_partners_still_announce() -> None:
    assert (
        VersionDetails.model_validate(
            {
                "version": "2.2",
                "endpoints": [
                    {
                        "identifier": "credentials",
                        "role": "SENDER",
                        "url": "https://p.example/ocpi/2.2/credentials",
                    }
                ],
            }
        ).version
        is VersionNumber.V2_2
    )
    with pytest.raises(ValidationError) as caught:
        VersionDetails.model_validate({"version": "3.0", "endpoints": []})
    message = describe_validation_error(caught.value)
    assert "version: value '3.0' is not one of 2.0, 2.1, 2.1.1, 2.2, 2.2.1, 2.3.0" in message
    assert "endpoints: needs at least 1 element(s), got 0" in message
