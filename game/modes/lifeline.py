"""A child process's lifeline: it ends within moments of its parent's death, however the parent died.

A daemon flag only helps when the parent exits through Python: ``kill -9``, the OOM killer or a
native crash skip every exit handler, and a spawn-context worker would go on training for nobody.
So the child holds two lines to its parent, taken first thing in the child (:func:`hold`):

- **The kernel** (Linux): ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` asks for a SIGKILL the moment the
  parent dies. The signal fires when the parent *thread* that forked the child exits, not the whole
  process, so it is asked for only when the child was started from the parent's main thread (the UI
  starts its workers there, and the main thread lives as long as the process). The parent may have
  died before the request was made: the parent pid is checked right after, and an orphan leaves.
- **The sentinel** (everywhere): a spawn child's ``multiprocessing.parent_process().sentinel`` is
  the read end of a pipe whose write end only the parent holds; it turns ready when the parent is
  gone. A daemon thread waits on it and ends the process with ``os._exit``.

Leaving at once is safe for the files: every checkpoint write goes to a temporary file and then
``os.replace``, so the last checkpoint is whole; a save cut short leaves only its hidden temporary
file behind. Nothing is saved on the way out: nobody is left to read it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing as mp
import multiprocessing.connection
import os
import signal
import sys
import threading
from dataclasses import dataclass

PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h): the signal this process gets when its parent dies
PARENT_DEATH_SIGNAL = signal.SIGKILL  # nothing to tidy on the way out; a signal nothing can catch or block
ORPHAN_EXIT_STATUS = 1  # what a child whose parent died exits with (nobody is left to read it)


@dataclass(frozen=True)
class Parent:
    """Who started the child, taken in the parent just before it starts the child."""

    pid: int
    """the parent's process id"""
    main_thread: bool
    """whether the starting thread is the parent's main thread, which lives as long as the process"""

    @classmethod
    def here(cls) -> Parent:
        """This process, and whether the calling thread is its main thread."""
        return cls(os.getpid(), threading.current_thread() is threading.main_thread())


def hold(parent: Parent) -> None:
    """In the child, first thing: end this process as soon as ``parent`` dies.

    An orphan already (the parent died while the child was starting) exits here and now.
    """
    if parent.main_thread:
        ask_kernel()
    if os.getppid() != parent.pid:  # the parent died before the kernel was asked
        os._exit(ORPHAN_EXIT_STATUS)
    watch(parent)


def ask_kernel(signum: int = PARENT_DEATH_SIGNAL) -> bool:
    """Ask Linux for ``signum`` when the parent thread dies; False where it cannot be asked."""
    if not sys.platform.startswith("linux"):
        return False
    with contextlib.suppress(OSError, AttributeError):  # no libc found, or no prctl in it
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    return False


def watch(parent: Parent) -> threading.Thread | None:
    """A daemon thread that ends this process when the parent's sentinel turns ready.

    Returns the thread, or None when this process was not started by ``multiprocessing`` from
    ``parent`` (there is no sentinel to wait on).
    """
    process = mp.parent_process()
    if process is None or process.pid != parent.pid:
        return None
    thread = threading.Thread(
        target=_exit_when_ready, args=(process.sentinel,), name="q-arcade-lifeline", daemon=True
    )
    thread.start()
    return thread


def _exit_when_ready(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])  # ready only once the parent's end of the pipe is closed
    os._exit(ORPHAN_EXIT_STATUS)
