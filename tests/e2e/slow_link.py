"""A slow network link for e2e tests: a TCP proxy that holds every chunk a client sends before passing it on.

Put it in front of a real node (the node's `LADDHUB_PUBLIC_URL` pointing at the proxy) and every call a
partner makes to that node takes at least `delay_s` longer, so tests can catch a partner mid-delivery.
`delay_s` may be changed while the link runs (e.g. fast for the handshake, slow afterwards).
When the node behind it is down, connections are closed at once, as a refused connection would be.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field

from tests.e2e.nodes import free_port


@dataclass
class SlowLink:
    upstream_port: int
    delay_s: float
    port: int = field(default_factory=free_port)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _stopped: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        ready = threading.Event()

        def serve() -> None:
            asyncio.run(self._serve(ready))

        self._thread = threading.Thread(target=serve, name="slow-link", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the slow link did not start")

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)

    async def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        server = await asyncio.start_server(self._connection, "127.0.0.1", self.port)
        ready.set()
        async with server:
            await self._stopped.wait()

    async def _connection(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        try:
            upstream_in, upstream_out = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_out.close()
            return
        await asyncio.gather(
            self._pipe(client_in, upstream_out, slow=True),
            self._pipe(upstream_in, client_out, slow=False),
        )

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, slow: bool) -> None:
        try:
            while chunk := await source.read(65536):
                if slow and self.delay_s:
                    await asyncio.sleep(self.delay_s)
                sink.write(chunk)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(ConnectionError, OSError):
                sink.close()
