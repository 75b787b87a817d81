"""This node as partners see it: its roles, its versions URL, and the versions it speaks."""

from __future__ import annotations

from dataclasses import dataclass

from laddhub.config import Settings

SUPPORTED_VERSIONS: tuple[str, ...] = ("2.2.1",)


@dataclass(frozen=True)
class RoleIdentity:
    role: str
    country_code: str
    party_id: str
    name: str
    website: str | None


@dataclass(frozen=True)
class NodeIdentity:
    base_url: str
    roles: tuple[RoleIdentity, ...]

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"

    def version_details_url(self, version: str) -> str:
        return f"{self.base_url}/ocpi/{version}"

    def has_role(self, role: str) -> bool:
        return any(r.role == role for r in self.roles)

    def role(self, role: str) -> RoleIdentity | None:
        return next((r for r in self.roles if r.role == role), None)

    @classmethod
    def from_settings(cls, settings: Settings) -> NodeIdentity:
        roles = tuple(
            RoleIdentity(
                role=r.role,
                country_code=r.country_code,
                party_id=r.party_id,
                name=r.name or settings.business_name,
                website=r.website or settings.business_website,
            )
            for r in settings.roles
        )
        return cls(base_url=settings.base_url, roles=roles)


def pick_version(theirs: list[str], ours: tuple[str, ...] = SUPPORTED_VERSIONS) -> str | None:
    """The highest version both sides speak."""
    mutual = set(theirs) & set(ours)
    if not mutual:
        return None
    return max(mutual, key=lambda v: tuple(int(p) if p.isdigit() else 0 for p in v.split(".")))
