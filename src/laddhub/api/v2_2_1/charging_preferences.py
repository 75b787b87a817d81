"""`PUT /ocpi/2.2.1/cpo/sessions/{session_id}/charging_preferences` (digest §6.2): a driver's preferences.

The Sessions Sender list itself is served by `cpo_senders`; this router adds the one write the Sessions
module has. The answer's data is a ChargingPreferencesResponse; an EVSE without
CHARGING_PREFERENCES_CAPABLE is HTTP 404 with status 2001, as the spec says.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from laddhub.api.charging import answer
from laddhub.api.deps import JsonBody, Node
from laddhub.api.openapi_bodies import json_body
from laddhub.api.routing import FunctionalCall, functional
from laddhub.ocpi.v2_2_1.sessions import ChargingPreferences
from laddhub.services.cpo_data import validate
from laddhub.services.smart_charging import put_preferences

router = APIRouter(prefix="/ocpi/2.2.1/cpo/sessions", tags=["CPO Sender interfaces"])

Call = Annotated[FunctionalCall, Depends(functional({"CPO"}, {"EMSP", "SCSP", "HUB"}))]
SessionId = Annotated[str, Path(min_length=1, max_length=36, description="Our session id (CiString(36)).")]


@router.put(
    "/{session_id}/charging_preferences",
    summary="Set the driver's charging preferences",
    openapi_extra=json_body(ChargingPreferences),
)
async def set_preferences(call: Call, node: Node, session_id: SessionId, body: JsonBody) -> JSONResponse:
    preferences = validate(ChargingPreferences, body, "ChargingPreferences")
    async with node.uow() as uow:
        response = await put_preferences(
            uow,
            caller=call.caller.partner,
            ours=(call.ours.country_code, call.ours.party_id),
            session_id=session_id,
            preferences=preferences,
            now=node.clock(),
        )
        await uow.commit()
    return answer(node, response.value, call)
