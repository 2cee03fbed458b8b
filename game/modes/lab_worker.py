"""The lab's worker process: it owns the :class:`~game.modes.lab.Lab`, takes commands, offers snapshots.

The UI never trains (DESIGN.md, "Two processes"): :class:`LabWorker` starts :func:`run_lab` in a
spawn-context process, sends it the commands of ``game.modes.lab_protocol`` and keeps only the newest
:class:`LabSnapshot`. The worker holds its lifeline to the parent first (``game.modes.lifeline``), runs
torch on one thread, advances the lab in small slices while running, offers a snapshot about 25 times
a second (dropping it when the UI has not taken the last ones) and reports its own exceptions.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing as mp
import queue
import time
import traceback

import numpy as np

from game.modes.lab import Lab
from game.modes.lab_protocol import (
    LabBackup,
    LabCommand,
    LabConfig,
    LabEdit,
    LabLayout,
    LabQuit,
    LabReset,
    LabRun,
    LabSet,
    LabSnapshot,
    LabSpeed,
    LabStep,
    snapshot_of,
)
from game.modes.lifeline import Parent, hold
from game.modes.mailbox import offer
from game.modes.session import deaf_to_ctrl_c

__all__ = [
    "LabBackup",
    "LabCommand",
    "LabConfig",
    "LabEdit",
    "LabLayout",
    "LabQuit",
    "LabReset",
    "LabRun",
    "LabSet",
    "LabSnapshot",
    "LabSpeed",
    "LabStep",
    "LabWorker",
    "run_lab",
]

SNAPSHOTS_PER_S = 25  # how often a running lab is shown
SNAPSHOT_QUEUE = 2  # snapshots in flight before the worker drops them
COMMAND_QUEUE = 256  # commands in flight; the UI's sends never block
SLICE_S = 0.1  # the most wall-clock time one advance() is asked to catch up
IDLE_SLEEP_S = 0.01  # a paused worker's nap between command checks
STOP_TIMEOUT_S = 2.0  # stop() ends the worker within this


# ---------------------------------------------------------------------- the worker's side


class LabRunner:
    """The worker's state: the lab, whether it runs, which cell's backup to show."""

    def __init__(self, config: LabConfig) -> None:
        self.error: tuple[str, str] | None = None
        """(sentence, traceback) of the last failure, shown until the next command"""
        dataset = None
        if config.dataset is not None:
            try:
                dataset = load_dataset(config.dataset, config.data_dir)
            except Exception as error:  # the lab runs without fitted Q-iteration and says why
                self.error = (f"The dataset was not loaded: {error}", traceback.format_exc())
        self.lab = Lab.named(config.layout, config.seed, dataset)
        self.running = config.running
        self.alive = True
        self.backup_state: int | None = None
        self.changed = True
        """something changed since the last snapshot"""

    def handle(self, command: LabCommand) -> None:
        """Carry out one command (a bad one raises; the loop reports it)."""
        lab = self.lab
        self.error = None
        match command:
            case LabRun(on=on):
                self.running = bool(on)
            case LabStep():
                lab.step_all()
            case LabReset():
                lab.reset()
            case LabEdit(row=row, col=col):
                lab.edit(row, col)
            case LabSet(gamma=gamma, slip=slip, step_reward=step_reward):
                lab.set(gamma, slip, step_reward)
            case LabLayout(name=name):
                lab.load_layout(name)
            case LabSpeed(factor=factor):
                lab.speed = max(0.0, float(factor))
            case LabBackup(state=state):
                valid = state is not None and 0 <= int(state) < lab.world.n_states
                self.backup_state = int(state) if valid else None
            case LabQuit():
                self.alive = False
            case _:
                raise ValueError(f"the lab worker got an unknown command {command!r}")
        self.changed = True

    def fail(self, error: Exception) -> None:
        """Remember an exception for the snapshots and pause: the scene shows it, the lab waits."""
        self.error = (f"{type(error).__name__}: {error}", traceback.format_exc())
        self.running = False
        self.changed = True

    def snapshot(self) -> LabSnapshot:
        """The lab now (the backup cell forgotten when the grid shrank under it), with any failure."""
        self.changed = False
        if self.backup_state is not None and self.backup_state >= self.lab.world.n_states:
            self.backup_state = None
        try:
            snapshot = snapshot_of(self.lab, self.running, self.backup_state)
        except Exception as error:
            self.fail(error)
            snapshot = LabSnapshot(running=False)
        if self.error is not None:
            snapshot.error, snapshot.traceback = self.error
        return snapshot


def load_dataset(source: str, data_dir: str) -> dict[str, np.ndarray] | object:
    """Recorded transitions: an .npz file of arrays, or a recorded dataset (``game.modes.datasets``)."""
    if source.endswith(".npz"):
        with np.load(source) as data:
            return {key: data[key] for key in data.files}
    from game.modes.datasets import load_transitions  # minari and torch: only in the worker, only now

    return load_transitions(source, data_dir)


def run_lab(config: LabConfig, commands: mp.Queue, snapshots: mp.Queue, parent: Parent | None = None) -> None:
    """The worker process's main loop; every exception is reported as a LabSnapshot with its traceback.

    An exception while handling a command or advancing pauses the lab and is reported; the worker goes
    on taking commands. ``parent``: the process that started this one (None: a run in the caller's process,
    which keeps the caller's torch threads).
    """
    if parent is not None:
        hold(parent)
        import torch  # after the lifeline is held

        torch.set_num_threads(
            config.threads
        )  # a lab run in the caller's own process leaves its threads alone
    try:
        runner = LabRunner(config)
    except Exception as error:
        offer(snapshots, _error_snapshot(error), force=True)
        return
    last = next_snapshot = time.monotonic()
    try:
        while runner.alive:
            try:
                _drain(commands, runner)
                if not runner.alive:
                    break
                now = time.monotonic()
                if runner.running:
                    runner.lab.advance(min(now - last, SLICE_S))
                    runner.changed = True
                else:
                    time.sleep(IDLE_SLEEP_S)
                last = now
                if runner.changed and time.monotonic() >= next_snapshot:
                    next_snapshot = time.monotonic() + 1.0 / SNAPSHOTS_PER_S
                    offer(snapshots, runner.snapshot())
            except Exception as error:  # the scene shows it; the lab waits, paused, for the next command
                runner.fail(error)
                offer(snapshots, runner.snapshot(), force=True)
    finally:
        if parent is not None:
            gc.freeze()  # the process ends next: leave the last collection nothing to walk (torch is loaded)


def _error_snapshot(error: Exception) -> LabSnapshot:
    return LabSnapshot(error=f"{type(error).__name__}: {error}", traceback=traceback.format_exc())


def _drain(commands: mp.Queue, runner: LabRunner) -> None:
    while runner.alive:
        try:
            command = commands.get_nowait()
        except queue.Empty:
            return
        runner.handle(command)


# ---------------------------------------------------------------------- the UI's side


class LabWorker:
    """The lab scene's handle on the worker process: start, send, newest snapshot, stop."""

    def __init__(self, config: LabConfig | None = None) -> None:
        self.config = config or LabConfig()
        self._context = mp.get_context("spawn")
        self.process: mp.process.BaseProcess | None = None
        self.commands: mp.Queue | None = None
        self.snapshots: mp.Queue | None = None
        self.latest: LabSnapshot | None = None

    def start(self) -> None:
        """Start the process; it ends when this one dies, however it died (``game.modes.lifeline``)."""
        self.commands = self._context.Queue(COMMAND_QUEUE)
        self.snapshots = self._context.Queue(SNAPSHOT_QUEUE)
        self.process = self._context.Process(
            target=run_lab,
            args=(self.config, self.commands, self.snapshots, Parent.here()),
            name="q-arcade-lab",
            daemon=True,
        )
        with deaf_to_ctrl_c():  # Ctrl-C stops the window, whose close stops the worker
            self.process.start()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def send(self, command: LabCommand) -> None:
        """Queue a command without waiting (a full queue drops it: the worker is far behind)."""
        if self.commands is not None:
            with contextlib.suppress(queue.Full):
                self.commands.put_nowait(command)

    def poll(self) -> LabSnapshot | None:
        """The newest snapshot, taking every waiting one off the queue; None when nothing new came."""
        newest = None
        while self.snapshots is not None:
            try:
                newest = self.snapshots.get_nowait()
            except (queue.Empty, OSError, ValueError):
                break
        if newest is not None:
            self.latest = newest
        return newest

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Ask the worker to quit; past ``timeout`` it is terminated. No process is left behind."""
        if self.process is None:
            return
        if self.process.is_alive():
            self.send(LabQuit())
            deadline = time.monotonic() + timeout * 0.5
            while self.process.is_alive() and time.monotonic() < deadline:
                self.poll()  # a worker cannot exit while its last snapshots wait in a full pipe
                self.process.join(0.02)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout * 0.25)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout * 0.25)
        for q in (self.commands, self.snapshots):
            if q is not None:
                q.cancel_join_thread()
                q.close()
        self.process = None
