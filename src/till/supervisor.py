"""`till up`: the production topology on one machine, from one command.

One `till serve --processes N` (uvicorn supervises the N stateless app processes) and M `till
worker` processes (relay, consumers, scheduler), all on the database and transport the settings
name. A worker that dies is started again after a pause that grows while it keeps dying; if the
app server dies, everything stops (a load balancer's health check should see it, not a
half-running till). SIGINT or SIGTERM stops every child and waits for it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

#: The `till` command of this environment, for the children.
TILL = str(Path(sys.executable).parent / "till")


@dataclass
class Child:
    """A supervised process and how to start it again."""

    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv)  # noqa: S603 - our own command, no shell

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Topology:
    """The processes of one machine's Till."""

    app_processes: int
    workers: int
    host: str
    port: int
    children: list[Child] = field(default_factory=list)

    def __post_init__(self) -> None:
        serve = [TILL, "serve", "--host", self.host, "--port", str(self.port)]
        self.children.append(Child("app", [*serve, "--processes", str(self.app_processes)]))
        self.children += [Child(f"worker-{n}", [TILL, "worker"]) for n in range(1, self.workers + 1)]

    def run(self, say: Callable[[str], None], stop_after: float | None = None) -> int:
        """Start everything and supervise until a signal (or `stop_after` seconds); returns the
        exit code: 0 on a requested stop, 1 when the app server died."""
        stopping = False

        def request_stop(_signal: int, _frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        started = time.monotonic()
        code = 0
        try:
            for child in self.children:
                child.start()
                say(f"started {child.name} (pid {child.process.pid if child.process else '?'})")
            while not stopping and (stop_after is None or time.monotonic() - started < stop_after):
                time.sleep(0.2)
                for child in self.children:
                    if child.alive():
                        continue
                    if child.name == "app":
                        say("the app server stopped: stopping everything")
                        stopping, code = True, 1
                        break
                    if child.next_start == 0.0:
                        child.restarts += 1
                        child.next_start = time.monotonic() + min(30.0, 0.5 * 2**child.restarts)
                        say(f"{child.name} stopped; starting it again (restart {child.restarts})")
                    elif time.monotonic() >= child.next_start:
                        child.next_start = 0.0
                        child.start()
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return code

    def stop(self, grace: float = 20.0) -> None:
        """Ask every child to stop, then kill what is still running after `grace` seconds."""
        for child in self.children:
            if child.alive() and child.process is not None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
