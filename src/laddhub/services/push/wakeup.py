"""Tell the push worker of this process that a transaction wrote to the outbox, the moment it commits.

Without this, a change waits for the worker's next poll before its partners hear of it. Writers do not
know about the worker (`publish` only adds rows), so the signal comes from the ORM: a flush that adds or
changes an `OutboxRecord` marks its session, and the session's commit calls whoever listens on the
session's engine. A rolled-back transaction signals nothing. Other processes (a CLI command, another API
process) are not reached this way; the worker's polling covers them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from itertools import chain
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, SessionTransaction

from laddhub.store.tables import OutboxRecord

log = logging.getLogger("laddhub.push")

Listener = Callable[[], None]

_WROTE_OUTBOX = "laddhub.wrote_outbox"
_listeners: dict[Engine, list[Listener]] = {}


def on_outbox_commit(engine: Engine, listener: Listener) -> Callable[[], None]:
    """Call `listener` after every commit on `engine` that added or changed outbox entries.

    Returns a function that removes the listener again. The listener runs inside the commit, on the
    thread of the event loop, so it must only schedule work (e.g. set an `asyncio.Event`).
    """
    _listeners.setdefault(engine, []).append(listener)

    def remove() -> None:
        listeners = _listeners.get(engine, [])
        if listener in listeners:
            listeners.remove(listener)
        if not listeners:
            _listeners.pop(engine, None)

    return remove


def _note_outbox_writes(session: Session, _flush_context: Any) -> None:
    if any(isinstance(obj, OutboxRecord) for obj in chain(session.new, session.dirty)):
        session.info[_WROTE_OUTBOX] = True


def _signal(session: Session) -> None:
    if not session.info.pop(_WROTE_OUTBOX, False):
        return
    bind = session.bind
    if not isinstance(bind, Engine):
        return
    for listener in list(_listeners.get(bind, ())):
        try:
            listener()
        except Exception:  # a listener must never turn a successful commit into an error
            log.exception("an outbox commit listener failed")


def _forget(session: Session, transaction: SessionTransaction) -> None:
    # Runs after the commit signal; clears the mark of a transaction that ended without committing.
    if transaction.parent is None:
        session.info.pop(_WROTE_OUTBOX, None)


event.listen(Session, "after_flush", _note_outbox_writes)
event.listen(Session, "after_commit", _signal)
event.listen(Session, "after_transaction_end", _forget)
