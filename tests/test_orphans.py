"""No process outlives the app: ``kill -9`` of the parent ends every child it started within moments.

The app (or a throwaway parent) runs in a subprocess; its descendants are found through /proc's
parent links while it lives, then it is killed with SIGKILL, as the OOM killer or a native crash
would, and every one of them, the learning workers and multiprocessing's resource tracker alike,
must be gone within ORPHAN_DEADLINE_S. Whatever happens, each test kills what it started.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from game.modes.lifeline import ORPHAN_EXIT_STATUS

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="processes are read in /proc")

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "main.py"
START_TIMEOUT_S = 90.0  # until the workers have loaded torch: generous on a busy two-core machine
ORPHAN_DEADLINE_S = 3.0  # every descendant is gone within this after the parent's SIGKILL
POLL_S = 0.01  # how often /proc is read while waiting
HEADLESS = {"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}

# A throwaway parent: it starts a Worker, from its main thread or from a thread that ends once the
# worker has sent a snapshot, checks the worker outlived that thread, says so, and sleeps until killed.
PARENT_SCRIPT = """
import sys, threading, time
from game.modes.protocol import SessionConfig
from game.modes.session import Worker

worker = Worker(SessionConfig("catch", sys.argv[1]))

def begin():
    worker.start()
    while worker.poll() is None:
        time.sleep(0.01)
    assert worker.latest.error is None, worker.latest.traceback

if sys.argv[2] == "thread":
    starter = threading.Thread(target=begin)
    starter.start()
    starter.join()
else:
    begin()
time.sleep(1.0)  # a kernel line tied to the thread that started the worker would have fired by now
assert worker.alive, "the worker died with the thread that started it"
print("running", flush=True)
time.sleep(600)
"""


# ---------------------------------------------------------------------- processes, through /proc

Identity = tuple[int, int]  # (pid, start time in clock ticks): a pid the kernel reuses is another process


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def descendants(pid: int) -> list[Identity]:
    """Every living process below ``pid``, children and theirs, following /proc's parent links."""
    children: dict[int, list[Identity]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append((int(entry.name), int(fields[19])))
    found: list[Identity] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


def alive(process: Identity) -> bool:
    """Whether the process still runs (a zombie has ended; a reused pid is another process)."""
    fields = _stat(process[0])
    return fields is not None and fields[0] != "Z" and int(fields[19]) == process[1]


def command_line(process: Identity) -> str:
    try:
        return Path(f"/proc/{process[0]}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def has_torch(process: Identity) -> bool:
    """Whether the process has loaded torch: a worker past its lifeline, busy with its Session."""
    try:
        return "libtorch" in Path(f"/proc/{process[0]}/maps").read_text()
    except OSError:
        return False


def kill(process: Identity) -> None:
    if alive(process):
        with suppress(ProcessLookupError):
            os.kill(process[0], signal.SIGKILL)


# ---------------------------------------------------------------------- the harness


class Launched:
    """A headless subprocess and every descendant of it seen so far."""

    def __init__(self, args: list[str], cwd: Path):
        env = {**os.environ, **HEADLESS, "PYTHONPATH": str(ROOT)}
        self.app = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.seen: set[Identity] = set()

    def family(self) -> list[Identity]:
        """The app's living descendants now, remembered for the clean-up."""
        found = descendants(self.app.pid)
        self.seen.update(found)
        return found

    def read_line(self, timeout: float = START_TIMEOUT_S) -> str:
        """The app's next line of output, waiting at most ``timeout``."""
        ready, _, _ = select.select([self.app.stdout], [], [], timeout)
        assert ready, f"no word from the parent within {timeout:.0f} s"
        return self.app.stdout.readline()

    def output(self) -> str:
        """What the app wrote, once it has ended (its children may hold the pipe: do not wait on them)."""
        ready, _, _ = select.select([self.app.stdout], [], [], 1.0)
        return os.read(self.app.stdout.fileno(), 1 << 16).decode(errors="replace") if ready else ""


@contextmanager
def started(args: list[str], cwd: Path) -> Iterator[Launched]:
    """Launch; on the way out the app and every process of it ever seen are killed, whatever happened."""
    launched = Launched(args, cwd)
    try:
        yield launched
    finally:
        launched.family()
        launched.app.kill()
        launched.app.wait(10)
        for process in launched.seen:
            kill(process)
        launched.app.stdout.close()


def wait_for_workers(launched: Launched, count: int) -> list[Identity]:
    """The app's descendants, once ``count`` spawned workers among them have loaded torch."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if launched.app.poll() is not None:
            raise AssertionError(f"the parent exited with {launched.app.returncode}:\n{launched.output()}")
        family = launched.family()
        workers = [p for p in family if "spawn_main" in command_line(p) and has_torch(p)]
        if len(workers) >= count:
            return family
        time.sleep(0.1)
    raise AssertionError(f"no {count} running workers within {START_TIMEOUT_S:.0f} s")


def kill_and_time(launched: Launched, family: list[Identity]) -> dict[str, float]:
    """SIGKILL the app, then how many seconds each descendant took to go; fails past the deadline."""
    waiting = {p: command_line(p).split(" -c ")[-1][:60] for p in family}
    os.kill(launched.app.pid, signal.SIGKILL)
    killed = time.monotonic()
    launched.app.wait(10)
    gone: dict[str, float] = {}
    while waiting and time.monotonic() - killed < ORPHAN_DEADLINE_S:
        for process, name in list(waiting.items()):
            if not alive(process):
                gone[f"{process[0]} {name}"] = round(time.monotonic() - killed, 3)
                del waiting[process]
        time.sleep(POLL_S)
    left = [f"{p[0]} {name}" for p, name in waiting.items() if alive(p)]
    assert not left, f"alive {ORPHAN_DEADLINE_S} s after the parent's SIGKILL: {left} (gone: {gone})"
    print(f"gone after the parent's SIGKILL (s): {gone}")
    return gone


def assert_family(family: list[Identity], workers: int) -> None:
    """The family holds the expected workers and the resource tracker, so the check means something."""
    lines = [command_line(p) for p in family]
    assert sum("spawn_main" in line for line in lines) >= workers, lines
    assert any("resource_tracker" in line for line in lines), lines


# ---------------------------------------------------------------------- the lifeline alone


def test_an_orphan_leaves_at_once_and_the_kernel_is_asked():
    """hold() exits a child whose parent is already gone; on Linux prctl records SIGKILL for it."""
    code = (
        "import ctypes, os, signal, sys\n"
        "from game.modes.lifeline import Parent, ask_kernel, hold\n"
        "if sys.platform.startswith('linux'):\n"
        "    assert ask_kernel()\n"
        "    libc = ctypes.CDLL(None); got = ctypes.c_int()\n"
        "    assert libc.prctl(2, ctypes.byref(got), 0, 0, 0) == 0  # PR_GET_PDEATHSIG\n"
        "    assert got.value == signal.SIGKILL, got.value\n"
        "hold(Parent(pid=os.getppid() + 1, main_thread=False))  # not our parent: as if it had died\n"
        "sys.exit(0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == ORPHAN_EXIT_STATUS, done.stderr


# ---------------------------------------------------------------------- a Worker, then the app


@pytest.mark.slow
@pytest.mark.parametrize("starter", ["main", "thread"])
def test_a_worker_ends_with_its_killed_parent(tmp_path, starter):
    """Started from the main thread (kernel and sentinel) or a short-lived thread (sentinel only).

    From a thread, the worker also outlives the thread that started it.
    """
    args = [sys.executable, "-c", PARENT_SCRIPT, str(tmp_path / "run"), starter]
    with started(args, tmp_path) as parent:
        assert parent.read_line().strip() == "running", parent.output()
        family = wait_for_workers(parent, 1)
        assert_family(family, 1)
        kill_and_time(parent, family)


@pytest.mark.slow
def test_the_arena_leaves_no_process_behind_when_killed(tmp_path):
    with started([sys.executable, str(MAIN), "arena", "catch", "--new"], tmp_path) as app:
        family = wait_for_workers(app, 1)
        assert_family(family, 1)
        kill_and_time(app, family)


@pytest.mark.slow
def test_the_kiosk_leaves_no_process_behind_when_killed(tmp_path):
    args = [sys.executable, str(MAIN), "kiosk", "--windowed", "--leaderboard", str(tmp_path / "k.sqlite3")]
    with started(args, tmp_path) as app:
        family = wait_for_workers(app, 1)
        assert_family(family, 1)
        kill_and_time(app, family)
