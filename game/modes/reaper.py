"""A reaper for the processes a library starts for us: they end when we die, however we died.

A local Ray started by ``main.py train --actors`` runs a dozen processes of its own (its store and
scheduler, agents, the actors). Ray ends most of them with its driver, but not all: after a
``kill -9`` of the driver its per-node agents were seen running on for minutes. So beside such a
library a small *reaper* process watches us: every :data:`SCAN_S` it notes every process descended
from us (Linux's /proc), and when our lifeline breaks (a pipe only we hold the other end of) it
kills every one it noted that is still the same process, then leaves. When we end normally we stop it
first (:meth:`Reaper.stop`).

Where there is no /proc (macOS, Windows) the reaper is not started: a local Ray is a Linux thing there.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import multiprocessing.connection
import os
import signal
from pathlib import Path

SCAN_S = 0.5  # how often the reaper notes our descendants (one started and orphaned in between escapes)
PROC = Path("/proc")


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time in clock ticks) of a live process, from /proc/PID/stat; None if gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the name may hold spaces and parentheses
    return int(fields[1]), int(fields[19])


def descendants(root: int) -> dict[int, int]:
    """{pid: start time} of every live process descended from ``root``."""
    children: dict[int, list[int]] = {}
    started: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            children.setdefault(stat[0], []).append(int(entry.name))
            started[int(entry.name)] = stat[1]
    found: dict[int, int] = {}
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        if pid not in found and pid in started:
            found[pid] = started[pid]
            todo += children.get(pid, [])
    return found


def kill_all(noted: dict[int, int]) -> int:
    """SIGKILL each noted process that is still the one noted (same start time); returns how many."""
    killed = 0
    for pid, start in noted.items():
        stat = _stat(pid)
        if stat is not None and stat[1] == start:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
    return killed


def _reap(parent: int, lifeline: multiprocessing.connection.Connection) -> None:
    """The reaper's loop (in its own process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    me = os.getpid()
    noted: dict[int, int] = {}
    while True:
        found = descendants(parent)
        found.pop(me, None)
        noted.update(found)
        if multiprocessing.connection.wait([lifeline], timeout=SCAN_S):
            try:
                if lifeline.recv() == "stop":
                    return
            except (EOFError, OSError):  # the parent is gone: its end of the pipe closed with it
                kill_all(noted)
                return


class Reaper:
    """The reaper of this process's descendants (see the module's docstring)."""

    def __init__(self) -> None:
        self.process: mp.Process | None = None
        self._line: multiprocessing.connection.Connection | None = None

    def start(self) -> bool:
        """Start watching; False where it cannot (no /proc)."""
        if not (PROC / "self" / "stat").exists():
            return False
        context = mp.get_context("spawn")
        ours, theirs = context.Pipe()
        self.process = context.Process(
            target=_reap, args=(os.getpid(), theirs), name="q-arcade-reaper", daemon=True
        )
        self.process.start()
        theirs.close()
        self._line = ours
        return True

    def stop(self) -> None:
        """We end normally: the reaper leaves without killing anything."""
        if self.process is None or self._line is None:
            return
        with contextlib.suppress(OSError):
            self._line.send("stop")
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
        self._line.close()
        self.process = None
