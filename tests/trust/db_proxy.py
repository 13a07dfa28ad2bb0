"""A TCP proxy between the app and its database server that a test can cut, and that can stop
one transaction exactly at its COMMIT, on either side of it. The database server itself never
stops (other tests and agents use it)."""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.queue.tcp_proxy import TcpProxy


class DatabaseProxy(TcpProxy):
    """`cut()` and `restore()` as TcpProxy; `stop_at_commit()` to catch one transaction.

    After `stop_at_commit(marker, committed=…)`, the next transaction that sends `marker` (a value
    it writes, say: a statement the driver has prepared is not sent again) is stopped at its
    COMMIT, which the PostgreSQL and MariaDB drivers both send as a plain statement. With
    `committed=False` the COMMIT is kept from the database, so the transaction is still open;
    with `committed=True` it goes through and the database's answer (the write is durable by
    then) is kept from the app. With `hang_up` the connection is dropped at that moment; without,
    the app waits for an answer until it dies or the proxy is cut. The returned event is set
    once the transaction is stopped.
    """

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self.marker: bytes | None = None
        self.committed = False
        self.hang_up = False
        self.marked: set[int] = set()
        self.answered: set[int] = set()
        self.stopped = threading.Event()

    def stop_at_commit(self, marker: bytes, *, committed: bool, hang_up: bool) -> threading.Event:
        """Arm for the next transaction that sends `marker`."""
        with self.lock:
            self.stopped.clear()
            self.marker, self.committed, self.hang_up = marker, committed, hang_up
        return self.stopped

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            toward_database = sink.getpeername()[:2] == self.target
        except OSError:
            toward_database = False
        link = id(sink if toward_database else source)
        try:
            while chunk := source.recv(65536):
                with self.lock:
                    stop = self._stops(link, chunk, toward_database)
                if stop and self.hang_up:
                    break
                if not stop:
                    sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            with self.lock:
                self.sockets.discard(source)
                self.sockets.discard(sink)

    def _stops(self, link: int, chunk: bytes, toward_database: bool) -> bool:
        """Whether this chunk is where the armed transaction stops (it is then not forwarded)."""
        if not toward_database:
            if link in self.answered:
                # The database's answer to the COMMIT.
                self.answered.discard(link)
                self.stopped.set()
                return True
            return False
        if self.marker is not None and self.marker in chunk:
            self.marker = None
            self.marked.add(link)
        if link in self.marked and chunk.rstrip(b"\x00").endswith(b"COMMIT"):
            self.marked.discard(link)
            if self.committed:
                self.answered.add(link)
                return False
            self.stopped.set()
            return True
        return False
