"""A network receipt printer for tests: a real TCP server (asyncio, in a thread) that answers
ESC/POS status requests as a ready printer does and keeps every byte it is sent. `mode`:
"ready" answers, "silent" accepts the connection and never answers (a printer hung or
asleep), "out_of_paper" answers that its paper is out."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from till.domain import escpos

READY = b"\x12\x12"
OUT_OF_PAPER = b"\x1a\x72"


@dataclass
class NetworkPrinter:
    mode: str = "ready"
    port: int = 0
    jobs: list[bytes] = field(default_factory=list)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.Server | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def main() -> None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
            self.port = self._server.sockets[0].getsockname()[1]
            self._started.set()

        self._loop.run_until_complete(main())
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self.lock:
            self.connections += 1
        received = bytearray()
        try:
            if self.mode == "silent":
                await asyncio.sleep(3600)
            while len(received) < len(escpos.STATUS_QUERY):
                chunk = await reader.read(64)
                if not chunk:
                    break
                received += chunk
            writer.write(OUT_OF_PAPER if self.mode == "out_of_paper" else READY)
            await writer.drain()
            while chunk := await reader.read(4096):
                received += chunk
        except (asyncio.CancelledError, ConnectionError):
            pass
        finally:
            with self.lock:
                self.jobs.append(bytes(received))
            writer.close()

    def start(self) -> NetworkPrinter:
        self._thread.start()
        self._started.wait(5)
        return self

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def printed(self) -> list[bytes]:
        """What each connection sent after the status request."""
        with self.lock:
            return [
                job[len(escpos.STATUS_QUERY) :] for job in self.jobs if job.startswith(escpos.STATUS_QUERY)
            ]
