"""The Commands receiver of a CPO: `POST /ocpi/2.2.1/cpo/commands/{COMMAND}` (digest §10).

The answer is the synchronous CommandResponse (`laddhub.services.commands`); the charger's CommandResult
follows at the command's `response_url`. An unknown Location is OCPI status 2003 with a REJECTED response.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from laddhub.api.charging import Activity, answer
from laddhub.api.deps import JsonBody, Node
from laddhub.api.modules import ModuleEndpoint, register
from laddhub.api.openapi_bodies import json_body
from laddhub.api.routing import FunctionalCall, functional
from laddhub.ocpi.status import NotFound
from laddhub.ocpi.v2_2_1.commands import (
    CancelReservation,
    CommandType,
    ReserveNow,
    StartSession,
    StopSession,
    UnlockConnector,
)
from laddhub.services.commands import CommandCall, extra_fields, receive_command
from laddhub.services.response_urls import check_response_url

log = logging.getLogger("laddhub.api")

router = APIRouter(prefix="/ocpi/2.2.1/cpo/commands", tags=["CPO Receiver interfaces"])
register(ModuleEndpoint("commands", "RECEIVER", "/cpo/commands", frozenset({"CPO"})))

Call = Annotated[FunctionalCall, Depends(functional({"CPO"}, {"EMSP", "HUB"}))]
Command = Annotated[
    str, Path(description="START_SESSION, STOP_SESSION, RESERVE_NOW, CANCEL_RESERVATION or UNLOCK_CONNECTOR")
]


@router.post(
    "/{command}",
    summary="Send a command to one of our chargers",
    openapi_extra=json_body(StartSession, StopSession, ReserveNow, CancelReservation, UnlockConnector),
)
async def post_command(
    call: Call, node: Node, activity: Activity, command: Command, body: JsonBody
) -> JSONResponse:
    try:
        kind = CommandType(command.upper())
    except ValueError:
        known = ", ".join(c.value for c in CommandType)
        raise NotFound(f"unknown command {command!r}; the commands are {known}") from None
    extra = extra_fields(kind, body)
    if extra:
        log.warning(
            "%s from %s has fields OCPI 2.2.1 does not define: %s",
            kind.value,
            call.caller.partner.name,
            ", ".join(extra),
        )
    settings = node.settings
    if isinstance(body, dict) and isinstance(body.get("response_url"), str):
        check_response_url(body["response_url"], call.caller.partner, any_host=settings.response_url_any_host)
    context = CommandCall(
        caller=call.caller.partner,
        ours=(call.ours.country_code, call.ours.party_id),
        theirs=(call.theirs.country_code, call.theirs.party_id),
        chargers_reachable=activity.chargers_reachable,
        answer_after=activity.answer_delay,
        timeout_s=settings.command_timeout_s,
        now=node.clock(),
    )
    async with node.uow() as uow:
        reply = await receive_command(uow, kind, body, context)
        await uow.commit()
    activity.wake()
    return answer(node, reply.response.to_ocpi(), call, status_code=reply.status_code)
