"""What every request handler of a node needs, gathered once at start-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from laddhub.config import Settings
from laddhub.store.uow import UnitOfWorkFactory

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class NodeContext:
    settings: Settings
    uow: UnitOfWorkFactory
    http: httpx.AsyncClient
    clock: Clock = utc_now
