"""The unit of work: one database transaction and the repositories that share it."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from laddhub.store.documents import (
    CdrRepository,
    LocationRepository,
    SessionRepository,
    TariffRepository,
    TokenRepository,
)
from laddhub.store.hub_clients import HubClientRepository
from laddhub.store.partners import PartnerRepository


class UnitOfWork:
    """`async with uow: ...; await uow.commit()`; anything not committed is rolled back on exit."""

    partners: PartnerRepository
    locations: LocationRepository
    tariffs: TariffRepository
    sessions: SessionRepository
    cdrs: CdrRepository
    tokens: TokenRepository
    hub_clients: HubClientRepository
    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession], bind: AsyncEngine | None = None) -> None:
        self._sessions = sessions
        self._bind = bind

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions() if self._bind is None else self._sessions(bind=self._bind)
        self.partners = PartnerRepository(self.session)
        self.locations = LocationRepository(self.session)
        self.tariffs = TariffRepository(self.session)
        self.sessions = SessionRepository(self.session)
        self.cdrs = CdrRepository(self.session)
        self.tokens = TokenRepository(self.session)
        self.hub_clients = HubClientRepository(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # close() discards an uncommitted transaction without expiring loaded records (rollback() would),
        # so results read inside the unit of work stay usable after it.
        await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


class UnitOfWorkFactory:
    """Makes a fresh unit of work per use case; services receive this, not a session."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        engine = sessions.kw.get("bind")
        self._autocommit = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if isinstance(engine, AsyncEngine)
            else None
        )

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._sessions)

    def reader(self) -> UnitOfWork:
        """A unit of work for a read of one statement, outside any transaction.

        A single statement sees one consistent snapshot by itself, so a list GET needs no transaction; this
        saves the BEGIN and ROLLBACK round trips of each request on the hot path. Nothing written through
        it is rolled back, so it is for reads only.
        """
        return UnitOfWork(self._sessions, self._autocommit)
