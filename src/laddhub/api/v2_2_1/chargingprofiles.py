"""The ChargingProfiles receiver of a CPO: `/ocpi/2.2.1/cpo/chargingprofiles/{session_id}` (digest §11).

PUT sets a profile, GET asks for the active one (`duration` and `response_url` required), DELETE clears it
(`response_url` required). Each answers at once with a ChargingProfileResponse; the charger's result goes
to the `response_url` (`laddhub.services.smart_charging`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from laddhub.api.charging import Activity, answer
from laddhub.api.deps import JsonBody, Node
from laddhub.api.modules import ModuleEndpoint, register
from laddhub.api.openapi_bodies import json_body
from laddhub.api.routing import FunctionalCall, functional
from laddhub.ocpi.common import URL
from laddhub.ocpi.paging import MAX_INT
from laddhub.ocpi.status import InvalidParameters
from laddhub.ocpi.v2_2_1.chargingprofiles import SetChargingProfile
from laddhub.ocpi.validation import describe_validation_error
from laddhub.services.charger_requests import RequestKind
from laddhub.services.cpo_data import validate
from laddhub.services.response_urls import check_response_url
from laddhub.services.smart_charging import request_profile_change

router = APIRouter(prefix="/ocpi/2.2.1/cpo/chargingprofiles", tags=["CPO Receiver interfaces"])
register(ModuleEndpoint("chargingprofiles", "RECEIVER", "/cpo/chargingprofiles", frozenset({"CPO"})))

Call = Annotated[FunctionalCall, Depends(functional({"CPO"}, {"EMSP", "SCSP", "HUB"}))]
SessionId = Annotated[str, Path(min_length=1, max_length=36, description="Our session id (CiString(36)).")]
_URL: TypeAdapter[str] = TypeAdapter(URL)


def _response_url(value: str | None) -> str:
    if value is None:
        raise InvalidParameters("response_url: required")
    try:
        return _URL.validate_python(value)
    except ValidationError as exc:
        raise InvalidParameters(f"response_url: {describe_validation_error(exc)}") from None


async def _request(
    node: Node,
    activity: Activity,
    call: FunctionalCall,
    session_id: str,
    kind: RequestKind,
    body: dict[str, Any],
    response_url: str,
) -> JSONResponse:
    settings = node.settings
    check_response_url(response_url, call.caller.partner, any_host=settings.response_url_any_host)
    async with node.uow() as uow:
        response = await request_profile_change(
            uow,
            caller=call.caller.partner,
            ours=(call.ours.country_code, call.ours.party_id),
            session_id=session_id,
            kind=kind,
            body=body,
            response_url=response_url,
            simulator_on=activity.chargers_reachable,
            answer_after=activity.answer_delay,
            timeout_s=settings.command_timeout_s,
            min_interval=activity.profile_min_interval,
            now=node.clock(),
        )
        await uow.commit()
    activity.wake()
    return answer(node, response.to_ocpi(), call)


@router.put(
    "/{session_id}",
    summary="Set a charging profile on a session",
    openapi_extra=json_body(SetChargingProfile),
)
async def set_profile(
    call: Call, node: Node, activity: Activity, session_id: SessionId, body: JsonBody
) -> JSONResponse:
    request = validate(SetChargingProfile, body, "SetChargingProfile")
    return await _request(
        node, activity, call, session_id, RequestKind.SET_PROFILE, request.to_ocpi(), request.response_url
    )


@router.get("/{session_id}", summary="Ask for the active charging profile of a session")
async def get_profile(
    call: Call,
    node: Node,
    activity: Activity,
    session_id: SessionId,
    duration: Annotated[int | None, Query(ge=0, le=MAX_INT, description="Seconds of schedule.")] = None,
    response_url: Annotated[str | None, Query(description="Where to POST the result.")] = None,
) -> JSONResponse:
    if duration is None:
        raise InvalidParameters("duration: required")
    url = _response_url(response_url)
    return await _request(
        node, activity, call, session_id, RequestKind.GET_PROFILE, {"duration": duration}, url
    )


@router.delete("/{session_id}", summary="Clear the charging profile of a session")
async def clear_profile(
    call: Call,
    node: Node,
    activity: Activity,
    session_id: SessionId,
    response_url: Annotated[str | None, Query(description="Where to POST the result.")] = None,
) -> JSONResponse:
    url = _response_url(response_url)
    return await _request(node, activity, call, session_id, RequestKind.CLEAR_PROFILE, {}, url)
