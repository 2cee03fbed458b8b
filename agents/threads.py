"""Keep learning on whichever torch thread count runs fastest right now.

On an idle two-core machine two threads learn about 1.5 times faster than one. Once another busy
program shares the cores, two threads collapse: every parallel operation waits for a thread the
system has put aside, and the measured speed fell from 420 to 9 agent steps/s. One thread keeps
about half its speed there. The governor times a short stretch on the other count now and then,
and stays with whichever took more steps per second.

Two rules keep a trial fair. The first second after any change of thread count is not timed: the
new count starts slowly (OpenMP's pool wakes up, caches refill), and a 3-second trial that counted
that second lost a third of its steps, which was enough to hide a 1.5x gain behind the 1.15 margin:
a run that fell to one thread under a load stayed there long after the load had gone. And a trial
is compared with the stretch on the kept count just before it, not with an average over minutes
that may still hold the load.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Trial:
    """One trial of the other thread count, as the governor judged it."""

    threads: int
    """the count tried"""
    kept_rate: float
    """steps/s of the kept count's stretch just before the trial"""
    warmup_rate: float
    """steps/s during the trial's untimed warm-up (how slowly the switch starts)"""
    rate: float
    """steps/s of the trial's timed stretch"""
    seconds: float
    """length of the timed stretch (shorter than ``probe_s`` when the answer was plain early)"""
    kept: bool
    """whether the tried count became the kept one"""


class ThreadGovernor:
    """Chooses between ``threads`` torch threads and one, from measured steps per second.

    Feed it the time every training step took (without evaluations or saving). It measures the
    steps in stretches of ``probe_s`` seconds. After ``every_s`` seconds on the asked count (the
    first time after ``3 * probe_s``), every ``retry_s`` seconds on fewer threads (so that the end
    of a load is found within a minute), or as soon as a stretch runs at under a third of the one
    before it (another program just started), it tries the other count. A trial first lets
    ``settle_s`` seconds of steps pass untimed, then times one stretch and keeps the other count
    only when it ran at least ``margin`` times as fast as the kept count's last stretch: a short
    trial is noisy. A collapse is not subtle, so a trial whose first third already runs three times
    faster or slower than the kept count is decided there.

    Args:
        threads: the thread count asked for; the governor does nothing when it is 1.
        every_s: seconds of steps on the asked count between two trials.
        probe_s: the length of a stretch, and of a trial's timed part.
        margin: how much faster a trial must run to be kept.
        settle_s: seconds of steps left untimed after each change of thread count.
        retry_s: seconds of steps on fewer threads than asked between two trials (at most ``every_s``).
        set_threads: applies a thread count (``torch.set_num_threads``).
    """

    COLLAPSE = 3.0  # a stretch this many times slower than the one before starts a trial at once
    TRIALS_KEPT = 64  # recent trials remembered in ``trials``

    def __init__(
        self,
        threads: int,
        every_s: float = 90.0,
        probe_s: float = 3.0,
        margin: float = 1.15,
        settle_s: float = 1.0,
        retry_s: float = 45.0,
        set_threads: Callable[[int], None] = torch.set_num_threads,
    ):
        self.asked = threads
        self.threads = threads
        """the count kept (a trial may be running on the other one)"""
        self.every_s = every_s
        self.probe_s = probe_s
        self.margin = margin
        self.settle_s = settle_s
        self.retry_s = retry_s
        self.switches = 0
        """how many times a trial has changed the kept count"""
        self.trials: deque[Trial] = deque(maxlen=self.TRIALS_KEPT)
        """the latest trials, oldest first"""
        self._set_threads = set_threads
        self._trying: int | None = None
        self._trial_count = 0
        self._settle = [0, 0.0]  # steps and seconds of the untimed warm-up after a switch
        self._settle_left = 0.0  # seconds of steps still to leave untimed
        self._stretch = [0, 0.0]  # steps and seconds of the stretch being timed
        self._since_trial = 0.0  # seconds of steps on the kept count since the last trial ended
        self._kept_rate: float | None = None  # steps/s of the kept count's last stretch

    @property
    def active(self) -> bool:
        return self.asked > 1

    def record(self, steps: int, seconds: float) -> None:
        """``steps`` agent steps took ``seconds``; may start or end a trial of the other count."""
        if not self.active:
            return
        if self._trying is None:
            self._since_trial += seconds
        if self._settle_left > 0.0:
            self._settle_left -= seconds
            self._settle[0] += steps
            self._settle[1] += seconds
            return
        self._stretch[0] += steps
        self._stretch[1] += seconds
        if self._trying is not None:
            self._judge_trial(self._trying)
            return
        if self._stretch[1] < self.probe_s:
            return
        rate = self._stretch[0] / self._stretch[1]
        self._stretch = [0, 0.0]
        collapsed = self._kept_rate is not None and rate * self.COLLAPSE < self._kept_rate
        self._kept_rate = rate
        if collapsed or self._since_trial >= self._due_s():
            self._start_trial()

    def _due_s(self) -> float:
        if self._trial_count == 0:
            return 3 * self.probe_s
        return self.every_s if self.threads == self.asked else min(self.every_s, self.retry_s)

    def _switch(self, threads: int) -> None:
        self._set_threads(threads)
        self._settle_left = self.settle_s
        self._settle = [0, 0.0]
        self._stretch = [0, 0.0]

    def _start_trial(self) -> None:
        self._trial_count += 1
        self._trying = 1 if self.threads != 1 else self.asked
        self._switch(self._trying)

    def _judge_trial(self, trying: int) -> None:
        steps, seconds = self._stretch
        if seconds < self.probe_s / 3:
            return
        rate = steps / seconds
        kept_rate = self._kept_rate or 0.0
        plain = rate > self.COLLAPSE * kept_rate or rate * self.COLLAPSE < kept_rate
        if seconds < self.probe_s and not plain:
            return
        kept = rate > self.margin * kept_rate
        warm_steps, warm_seconds = self._settle
        self.trials.append(
            Trial(trying, kept_rate, warm_steps / warm_seconds if warm_seconds else 0.0, rate, seconds, kept)
        )
        self._trying = None
        self._since_trial = 0.0
        if kept:
            self.threads = trying
            self._kept_rate = rate
            self.switches += 1
            self._stretch = [0, 0.0]
        else:
            self._switch(self.threads)
