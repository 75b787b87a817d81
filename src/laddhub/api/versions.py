"""The versions module: our versions list and the version details of 2.2.1 (digest §3)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from laddhub.api.deps import AnyCaller, Node
from laddhub.api.modules import ENDPOINTS_2_2_1
from laddhub.api.responses import ocpi_response
from laddhub.services.identity import SUPPORTED_VERSIONS, NodeIdentity

router = APIRouter(tags=["versions"])


@router.get("/ocpi/versions", summary="OCPI versions this node speaks")
async def get_versions(node: Node, caller: AnyCaller) -> JSONResponse:
    identity = NodeIdentity.from_settings(node.settings)
    data = [{"version": v, "url": identity.version_details_url(v)} for v in SUPPORTED_VERSIONS]
    return ocpi_response(node, data)


@router.get("/ocpi/2.2.1", summary="Endpoints of OCPI 2.2.1 on this node")
async def get_version_details(node: Node, caller: AnyCaller) -> JSONResponse:
    identity = NodeIdentity.from_settings(node.settings)
    roles = {r.role for r in identity.roles}
    base = identity.version_details_url("2.2.1")
    endpoints = [
        {"identifier": e.identifier, "role": e.interface_role, "url": base + e.path}
        for e in ENDPOINTS_2_2_1
        if e.served_by(roles)
    ]
    return ocpi_response(node, {"version": "2.2.1", "endpoints": endpoints})
