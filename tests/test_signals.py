"""SIGINT and SIGTERM close every window mode as closing the window does: the arena's agent is saved, the
program exits within two seconds with status 130 (as ``main.py train`` does), and no process is left.

Each test runs the real program under SDL's dummy drivers, waits until it is up, signals it and times
its exit. Ctrl-C in a terminal reaches the whole process group, workers included; ``kill`` reaches
the program alone; a program started in the background (``python main.py ... &``) ignores SIGINT
until the window takes it over.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from game.places import ENV_VAR

ROOT = Path(__file__).resolve().parent.parent
EXIT_S = 2.0  # the program must be gone this long after the signal
CHILDREN_GRACE_S = 1.0  # after the program, its children (the worker, multiprocessing's tracker) go too
START_TIMEOUT_S = 120.0  # a learner imports torch and plays its first game first, on two busy cores
SETTLE_S = 8.0  # a mode without a learner: time for its window to open and its loop to run
INTERRUPTED = 130  # main.py's exit status after Ctrl-C or SIGTERM, as ``main.py train``'s

pytestmark = pytest.mark.slow


MODES = {  # name -> (arguments, the learner's run directories under runs/ of the data folder, which is
    # the test's folder (None: no learner))
    "default": ([], "arena-catch*"),
    "arena": (["arena", "catch", "--new"], "arena-catch*"),
    "play": (["play", "catch"], None),
    "versus": (["versus", "pong"], None),
    "race": (["race", "catch"], None),
    "kiosk": (["kiosk", "--windowed", "--leaderboard", "k.sqlite3"], "kiosk-*"),
}
SENDS = {  # name -> (signal, to the whole process group, started as a background job)
    "ctrl-c": (signal.SIGINT, True, False),
    "kill": (signal.SIGTERM, False, False),
    "kill-int-background": (signal.SIGINT, False, True),
}
CASES = [(mode, send) for mode in MODES for send in ("ctrl-c", "kill")] + [("arena", "kill-int-background")]


# ---------------------------------------------------------------------- processes, from /proc


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks (with its pid, it names one process); None once gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else int(fields[19])  # a zombie has ended


def descendants(pid: int) -> dict[int, int]:
    """Every process below ``pid``, with its start time."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found: dict[int, int] = {}
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        started = start_time(child)
        if started is not None:
            found[child] = started
            todo += children.get(child, [])
    return found


def alive(processes: dict[int, int]) -> dict[int, int]:
    """Those of ``processes`` still running (a reused pid has another start time)."""
    return {pid: started for pid, started in processes.items() if start_time(pid) == started}


# ---------------------------------------------------------------------- the tests


def start(args: list[str], cwd: Path, background: bool) -> subprocess.Popen:
    """``main.py ARGS`` in its own process group, as from a terminal (or as a background job there);
    its output, and its workers', goes to ``cwd/stderr.txt``."""
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", ENV_VAR: str(cwd)}
    command = [sys.executable, str(ROOT / "main.py"), *args]
    with open(cwd / "stderr.txt", "wb") as log:
        previous = signal.signal(
            signal.SIGINT, signal.SIG_IGN if background else signal.getsignal(signal.SIGINT)
        )
        try:  # a shell starts a job with & ignoring SIGINT; an ignored signal stays ignored in the child
            return subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True, stdout=log, stderr=log)
        finally:
            signal.signal(signal.SIGINT, previous)


def wait_until_up(process: subprocess.Popen, learner: str | None, cwd: Path) -> None:
    """Until the window has had SETTLE_S to open and a learner (if any) has finished a game: then its
    worker is in its loop, where it hears the window's Quit."""
    started = time.monotonic()
    while learner is not None and not any(cwd.glob(f"runs/{learner}/episodes.csv")):
        assert process.poll() is None, f"the program ended early: {output(cwd)}"
        assert time.monotonic() - started < START_TIMEOUT_S, "the learner did not start in time"
        time.sleep(0.2)
    time.sleep(max(0.0, SETTLE_S - (time.monotonic() - started)))
    assert process.poll() is None, f"the program ended early: {output(cwd)}"


def output(cwd: Path) -> str:
    return (cwd / "stderr.txt").read_text(errors="replace")[-2000:]


@pytest.mark.parametrize(("mode", "send"), CASES)
def test_a_signal_closes_the_window_saves_and_leaves_nothing(tmp_path, mode, send):
    args, learner = MODES[mode]
    number, to_group, background = SENDS[send]
    process = start(args, tmp_path, background)
    children: dict[int, int] = {}
    try:
        wait_until_up(process, learner, tmp_path)
        children = descendants(process.pid)
        sent_at, sent_wall = time.monotonic(), time.time()
        if to_group:
            os.killpg(process.pid, number)
        else:
            os.kill(process.pid, number)
        try:
            status = process.wait(EXIT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{mode} was still running {EXIT_S:g} s after {signal.Signals(number).name}")
        exit_s = time.monotonic() - sent_at
        assert status == INTERRUPTED, output(tmp_path)
        assert "Traceback" not in output(tmp_path), output(tmp_path)  # a worker hit by Ctrl-C would show one
        deadline = time.monotonic() + CHILDREN_GRACE_S
        while alive(children) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not alive(children), f"left behind: {alive(children)}"
        if learner is not None:
            saved = list(tmp_path.glob(f"runs/{learner}/checkpoints/latest.pt"))
            assert saved, "the learner was saved"
            assert max(path.stat().st_mtime for path in saved) >= sent_wall - 0.01, "saved after the signal"
        print(f"{mode} {send}: exited {exit_s:.2f} s after the signal")
    finally:
        with contextlib.suppress(ProcessLookupError):  # the program and whatever is left of its group
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for pid in alive(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
