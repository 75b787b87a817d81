"""The credentials handshake, both directions (digest §4).

As the *server*, a partner registers with us (POST), updates (PUT), reads (GET) or unregisters (DELETE).
As the *client*, we register with, update at, or unregister from another platform. Calls to the partner
happen outside any database transaction: a slow partner must not hold a lock on our store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from laddhub.ocpi.auth import generate_token, hash_token, is_valid_token
from laddhub.ocpi.client import OcpiClient, PartnerError
from laddhub.ocpi.common import BusinessDetails
from laddhub.ocpi.status import (
    InvalidParameters,
    MethodNotAllowed,
    NoMatchingEndpoints,
    UnableToUseClientApi,
    UnsupportedVersion,
)
from laddhub.ocpi.v2_2_1.credentials import Credentials, CredentialsRole
from laddhub.ocpi.v2_2_1.versions import VersionDetails
from laddhub.ocpi.validation import describe_validation_error
from laddhub.services.authentication import Caller
from laddhub.services.identity import SUPPORTED_VERSIONS, NodeIdentity, pick_version
from laddhub.services.partner_clients import ClientFactory
from laddhub.store.partners import ACCESS, ACTIVE, INVITATION, PENDING
from laddhub.store.tables import IssuedTokenRecord, PartnerEndpointRecord, PartnerRecord, PartnerRoleRecord
from laddhub.store.uow import UnitOfWorkFactory

log = logging.getLogger("laddhub.handshake")

INVITED = "INVITED"
REGISTERING = "REGISTERING"
REGISTERED = "REGISTERED"
UNREGISTERED = "UNREGISTERED"
FAILED = "FAILED"

REQUIRED_MODULES = frozenset({"credentials"})


class HandshakeError(Exception):
    """Registering with a partner failed; the message says why and what to do."""


@dataclass(frozen=True)
class Discovery:
    versions_url: str
    version: str
    details: VersionDetails


def our_credentials(identity: NodeIdentity, token: str) -> Credentials:
    """The credentials object we hand out: the caller's token for us, our versions URL, our roles."""
    return Credentials(
        token=token,
        url=identity.versions_url,
        roles=[
            CredentialsRole(
                role=r.role,
                business_details=BusinessDetails(name=r.name, website=r.website),
                party_id=r.party_id,
                country_code=r.country_code,
            )
            for r in identity.roles
        ],
    )


async def discover(client: OcpiClient, versions_url: str, *, version: str | None = None) -> Discovery:
    """GET the partner's versions and the details of `version` (or the highest mutual one).

    Raises the OCPI error a credentials call must answer with: 3001 when the partner's API cannot be used,
    3002 when no version matches, 3003 when required endpoints are missing.
    """
    try:
        versions = await client.fetch_versions(versions_url)
    except PartnerError as exc:
        raise UnableToUseClientApi(f"could not read the versions at {versions_url}: {exc.message}") from None
    offered = {str(v.version): str(v.url) for v in versions}
    chosen = version if version in offered else None if version else pick_version(list(offered))
    if chosen is None:
        wanted = version or ", ".join(SUPPORTED_VERSIONS)
        raise UnsupportedVersion(f"the partner offers {', '.join(sorted(offered))}; we need {wanted}")
    try:
        details = await client.fetch_version_details(offered[chosen])
    except PartnerError as exc:
        raise UnableToUseClientApi(
            f"could not read version details {offered[chosen]}: {exc.message}"
        ) from None
    published = {str(e.identifier) for e in details.endpoints}
    missing = REQUIRED_MODULES - published
    if missing:
        raise NoMatchingEndpoints(
            f"the partner's version {chosen} lacks the endpoints: {', '.join(sorted(missing))}"
        )
    return Discovery(versions_url=versions_url, version=chosen, details=details)


def _store_roles(partner: PartnerRecord, credentials: Credentials) -> None:
    """Make the partner's stored roles those of its credentials.

    Roles that stay keep their rows (a flush inserts before it deletes, so re-creating a role with the same
    key would collide with its own predecessor).
    """
    existing = {(r.role, r.country_code, r.party_id): r for r in partner.roles}
    updated = []
    for role in credentials.roles:
        key = (str(role.role), str(role.country_code), str(role.party_id))
        record = existing.get(key) or PartnerRoleRecord(role=key[0], country_code=key[1], party_id=key[2])
        record.business_details = role.business_details.to_ocpi()
        updated.append(record)
    partner.roles = updated


def _store_discovery(partner: PartnerRecord, discovery: Discovery) -> None:
    """Replace the partner's version and endpoints with a fresh discovery."""
    partner.versions_url = discovery.versions_url
    partner.version = discovery.version
    partner.endpoints = [
        PartnerEndpointRecord(
            identifier=str(e.identifier),
            interface_role=str(e.role) if e.role is not None else None,
            url=str(e.url),
        )
        for e in discovery.details.endpoints
    ]


def _issue(partner_id: int, kind: str, state: str, now: datetime) -> tuple[str, IssuedTokenRecord]:
    token = generate_token()
    record = IssuedTokenRecord(
        partner_id=partner_id, token_hash=hash_token(token), kind=kind, state=state, created_at=now
    )
    return token, record


def parse_credentials(payload: object) -> Credentials:
    """Validate a credentials body, with 2001 naming the field on failure."""
    try:
        credentials = Credentials.model_validate(payload)
    except ValidationError as exc:
        raise InvalidParameters(describe_validation_error(exc)) from None
    if not is_valid_token(str(credentials.token)):
        raise InvalidParameters("token: must be 1-64 printable ASCII characters without spaces")
    return credentials


# --- as the server -----------------------------------------------------------------------------------------


async def invite(uow_factory: UnitOfWorkFactory, name: str, *, now: datetime) -> tuple[PartnerRecord, str]:
    """Create a partner in state INVITED and the token A to give it out of band."""
    if not name.strip():
        raise ValueError("a partner needs a name")
    async with uow_factory() as uow:
        partner = PartnerRecord(name=name.strip(), status=INVITED, created_at=now, updated_at=now)
        uow.partners.add(partner)
        await uow.partners.flush()
        token, record = _issue(partner.id, INVITATION, ACTIVE, now)
        uow.partners.add_token(record)
        await uow.commit()
        return partner, token


async def accept_registration(
    uow_factory: UnitOfWorkFactory,
    caller: Caller,
    payload: object,
    *,
    version: str,
    identity: NodeIdentity,
    clients: ClientFactory,
    now: datetime,
) -> Credentials:
    """POST credentials: the partner registers with its token A (405 if it is registered already)."""
    if not caller.is_invitation:
        raise MethodNotAllowed("already registered: use PUT to update the credentials, or DELETE first")
    credentials = parse_credentials(payload)
    discovery = await discover(
        clients(str(credentials.token), version), str(credentials.url), version=version
    )
    async with uow_factory() as uow:
        partner = await uow.partners.get(caller.partner.id)
        if partner is None or partner.status not in (INVITED, FAILED):
            raise MethodNotAllowed("this invitation has been used already")
        _store_roles(partner, credentials)
        _store_discovery(partner, discovery)
        partner.outgoing_token = str(credentials.token)
        partner.status = REGISTERED
        partner.updated_at = now
        token_c, record = _issue(partner.id, ACCESS, ACTIVE, now)
        await uow.partners.revoke_tokens(partner.id, now, kind=INVITATION)
        uow.partners.add_token(record)
        await uow.commit()
    log.info("partner %s registered (version %s)", caller.partner.name, discovery.version)
    return our_credentials(identity, token_c)


async def accept_update(
    uow_factory: UnitOfWorkFactory,
    caller: Caller,
    payload: object,
    *,
    version: str,
    identity: NodeIdentity,
    clients: ClientFactory,
    now: datetime,
) -> Credentials:
    """PUT credentials: re-read the partner's versions and endpoints and give it a new token.

    The new token is PENDING until its first use, so the old one keeps working if our answer is lost.
    """
    if caller.is_invitation or caller.partner.status != REGISTERED:
        raise MethodNotAllowed("not registered: POST the credentials first")
    credentials = parse_credentials(payload)
    discovery = await discover(
        clients(str(credentials.token), version), str(credentials.url), version=version
    )
    async with uow_factory() as uow:
        partner = await uow.partners.get(caller.partner.id)
        if partner is None or partner.status != REGISTERED:
            raise MethodNotAllowed("not registered: POST the credentials first")
        _store_roles(partner, credentials)
        _store_discovery(partner, discovery)
        partner.outgoing_token = str(credentials.token)
        partner.updated_at = now
        await uow.partners.revoke_tokens(partner.id, now, kind=ACCESS, keep_id=caller.token_id)
        token, record = _issue(partner.id, ACCESS, PENDING, now)
        uow.partners.add_token(record)
        await uow.commit()
    log.info("partner %s updated its credentials (version %s)", caller.partner.name, discovery.version)
    return our_credentials(identity, token)


async def accept_unregistration(uow_factory: UnitOfWorkFactory, caller: Caller, *, now: datetime) -> None:
    """DELETE credentials: the partner's token for us is void and all automated traffic stops."""
    if caller.is_invitation or caller.partner.status != REGISTERED:
        raise MethodNotAllowed("not registered")
    async with uow_factory() as uow:
        partner = await uow.partners.get(caller.partner.id)
        if partner is None or partner.status != REGISTERED:
            raise MethodNotAllowed("not registered")
        partner.status = UNREGISTERED
        partner.outgoing_token = None
        partner.updated_at = now
        await uow.partners.revoke_tokens(partner.id, now)
        await uow.commit()
    log.info("partner %s unregistered", caller.partner.name)


def credentials_for(caller: Caller, identity: NodeIdentity) -> Credentials:
    """GET credentials: what the caller uses to reach us (405 before it has registered)."""
    if caller.is_invitation:
        raise MethodNotAllowed("not registered: POST the credentials first")
    return our_credentials(identity, caller.token)


# --- as the client -----------------------------------------------------------------------------------------


def _credentials_endpoint(partner: PartnerRecord) -> str:
    for endpoint in partner.endpoints:
        if endpoint.identifier == "credentials":
            return endpoint.url
    raise HandshakeError(f"partner {partner.name} publishes no credentials endpoint")


async def register_with(
    uow_factory: UnitOfWorkFactory,
    *,
    name: str,
    versions_url: str,
    token_a: str,
    identity: NodeIdentity,
    clients: ClientFactory,
    now: Callable[[], datetime],
) -> PartnerRecord:
    """Register with another platform using the token A it gave us out of band.

    Token B is committed before the POST because the partner calls us back with it while handling the POST.
    Our node must be serving at `identity.versions_url` for that call-back to succeed.
    """
    try:
        discovery = await discover(clients(token_a, SUPPORTED_VERSIONS[-1]), versions_url)
    except (UnableToUseClientApi, UnsupportedVersion, NoMatchingEndpoints) as exc:
        raise HandshakeError(exc.message) from None
    async with uow_factory() as uow:
        partner = PartnerRecord(name=name, status=REGISTERING, created_at=now(), updated_at=now())
        partner.roles = []
        _store_discovery(partner, discovery)
        uow.partners.add(partner)
        await uow.partners.flush()
        token_b, record = _issue(partner.id, ACCESS, ACTIVE, now())
        uow.partners.add_token(record)
        await uow.commit()
        partner_id = partner.id
        credentials_url = _credentials_endpoint(partner)
    client = clients(token_a, discovery.version)
    try:
        response = await client.call(
            "POST", credentials_url, body=our_credentials(identity, token_b).to_ocpi()
        )
        theirs = parse_credentials(response.data)
    except (PartnerError, InvalidParameters) as exc:
        await _mark_failed(uow_factory, partner_id, now())
        message = exc.message
        raise HandshakeError(f"the partner refused or garbled the registration: {message}") from None
    async with uow_factory() as uow:
        stored = await uow.partners.get(partner_id)
        if stored is None:
            raise HandshakeError("the partner record disappeared during registration")
        _store_roles(stored, theirs)
        stored.outgoing_token = str(theirs.token)
        stored.status = REGISTERED
        stored.updated_at = now()
        await uow.commit()
        return stored


async def _mark_failed(uow_factory: UnitOfWorkFactory, partner_id: int, now: datetime) -> None:
    async with uow_factory() as uow:
        partner = await uow.partners.get(partner_id)
        if partner is not None:
            partner.status = FAILED
            partner.updated_at = now
            await uow.partners.revoke_tokens(partner_id, now)
            await uow.commit()


async def update_at(
    uow_factory: UnitOfWorkFactory,
    partner_id: int,
    *,
    identity: NodeIdentity,
    clients: ClientFactory,
    now: Callable[[], datetime],
) -> PartnerRecord:
    """PUT our credentials to a registered partner: rotate the token it uses for us, get a new one for it,
    and refresh its versions and endpoints."""
    async with uow_factory() as uow:
        partner = await uow.partners.get(partner_id)
        if partner is None or partner.status != REGISTERED or not partner.outgoing_token:
            raise HandshakeError("the partner is not registered")
        new_token, record = _issue(partner.id, ACCESS, PENDING, now())
        uow.partners.add_token(record)
        await uow.commit()
        outgoing, version, versions_url = (
            partner.outgoing_token,
            partner.version or "2.2.1",
            partner.versions_url,
        )
        credentials_url = _credentials_endpoint(partner)
    client = clients(outgoing, version)
    try:
        response = await client.call(
            "PUT", credentials_url, body=our_credentials(identity, new_token).to_ocpi()
        )
        theirs = parse_credentials(response.data)
        discovery = await discover(
            clients(str(theirs.token), version), versions_url or str(theirs.url), version=version
        )
    except (
        PartnerError,
        InvalidParameters,
        UnableToUseClientApi,
        UnsupportedVersion,
        NoMatchingEndpoints,
    ) as exc:
        raise HandshakeError(f"updating the credentials failed: {exc}") from None
    async with uow_factory() as uow:
        stored = await uow.partners.get(partner_id)
        if stored is None:
            raise HandshakeError("the partner record disappeared during the update")
        _store_roles(stored, theirs)
        _store_discovery(stored, discovery)
        stored.outgoing_token = str(theirs.token)
        stored.updated_at = now()
        await uow.commit()
        return stored


async def unregister_from(
    uow_factory: UnitOfWorkFactory,
    partner_id: int,
    *,
    clients: ClientFactory,
    now: Callable[[], datetime],
) -> PartnerRecord:
    """DELETE our credentials at the partner, then void everything we issued to it.

    If the partner says we are not registered there (401/405), we unregister locally all the same.
    """
    async with uow_factory() as uow:
        partner = await uow.partners.get(partner_id)
        if partner is None or partner.status != REGISTERED or not partner.outgoing_token:
            raise HandshakeError("the partner is not registered")
        outgoing, version = partner.outgoing_token, partner.version or "2.2.1"
        credentials_url = _credentials_endpoint(partner)
    try:
        await clients(outgoing, version).call("DELETE", credentials_url)
    except PartnerError as exc:
        if exc.http_status not in (401, 405):
            raise HandshakeError(f"the partner did not accept the DELETE: {exc.message}") from None
        log.warning("partner says we were not registered there (%s); unregistering locally", exc.message)
    async with uow_factory() as uow:
        stored = await uow.partners.get(partner_id)
        if stored is None:
            raise HandshakeError("the partner record disappeared")
        stored.status = UNREGISTERED
        stored.outgoing_token = None
        stored.updated_at = now()
        await uow.partners.revoke_tokens(partner_id, now())
        await uow.commit()
        return stored
