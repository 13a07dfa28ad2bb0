"""CPU time of the server's processes, from the kernel's own accounting (/proc).

The load generator shares the machine with the server, so wall-clock throughput alone says
little; CPU milliseconds per sale, spent by the app processes and by the database, do.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
#: Database servers whose CPU is reported beside the app's.
DATABASE_NAMES = ("postgres", "mariadbd", "mysqld")


@dataclass(frozen=True, slots=True)
class CpuSample:
    """CPU seconds (user + system) used so far by the app's and the database's processes."""

    app: float
    database: float
    app_processes: int


def _ticks(pid: int) -> float:
    try:
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    # utime, stime, cutime, cstime are fields 14-17 of stat (11-14 after the command's ")").
    # A process's own time plus that of its children it has reaped: a database backend or a
    # worker that ended during the run still counts, in its parent.
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, str, str]]:
    found = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        found[int(entry.name)] = (parent, name, cmdline)
    return found


def server_pids(explicit: list[int] | None = None) -> list[int]:
    """The app server's processes: those given, or every process running a Till server, with
    their children (uvicorn's workers)."""
    processes = _processes()
    me = os.getpid()
    roots = set(explicit or ())
    if not roots:
        for pid, (_, _, cmdline) in processes.items():
            if (
                pid != me
                and ("till.api.main" in cmdline or " serve" in cmdline or " demo" in cmdline)
                and ("till" in cmdline)
            ):
                roots.add(pid)
    chosen = set(roots)
    grew = True
    while grew:
        grew = False
        for pid, (parent, _, _) in processes.items():
            if parent in chosen and pid not in chosen:
                chosen.add(pid)
                grew = True
    return sorted(chosen - {me})


def sample(app_pids: list[int]) -> CpuSample:
    """CPU seconds so far of the app processes and of the database server's processes."""
    database = sum(_ticks(pid) for pid, (_, name, _) in _processes().items() if name in DATABASE_NAMES)
    return CpuSample(app=sum(_ticks(pid) for pid in app_pids), database=database, app_processes=len(app_pids))
