"""Which OCPI module endpoints this node publishes in its version details, by the roles it plays."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModuleEndpoint:
    """One endpoint of version details. `node_roles` says which of our roles make us serve it; empty means
    every node serves it (credentials)."""

    identifier: str
    interface_role: str
    path: str
    node_roles: frozenset[str] = frozenset()

    def served_by(self, roles: set[str]) -> bool:
        return not self.node_roles or bool(self.node_roles & roles)


ENDPOINTS_2_2_1: list[ModuleEndpoint] = [
    ModuleEndpoint("credentials", "SENDER", "/credentials"),
]


def register(endpoint: ModuleEndpoint) -> None:
    """Called by each module's router so version details list exactly what is routed."""
    if endpoint not in ENDPOINTS_2_2_1:
        ENDPOINTS_2_2_1.append(endpoint)
