"""Keep learning on whichever torch thread count runs fastest right now.

On an idle two-core machine two threads learn about 1.5 times faster than one. Once another busy
program shares the cores, two threads collapse: every parallel operation waits for a thread the
system has put aside, and the measured speed fell from 420 to 9 agent steps/s. One thread keeps
about half its speed there. The governor times a short stretch on the other count now and then,
and stays with whichever took more steps per second.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


class ThreadGovernor:
    """Chooses between ``threads`` torch threads and one, from measured steps per second.

    Feed it the time every training step took (without evaluations or saving). It measures the
    steps in stretches of ``probe_s`` seconds. After ``every_s`` seconds on the kept count (the
    first time after ``3 * probe_s``), or as soon as a stretch runs at under a third of the kept
    count's last speed (another program just started), it tries the other count for one stretch,
    and keeps it only when it ran at least ``margin`` times as fast: a short trial is noisy, and a
    collapse is not subtle.

    Args:
        threads: the thread count asked for; the governor does nothing when it is 1.
        every_s: seconds of steps between two trials.
        probe_s: the length of a stretch, and of a trial.
        margin: how much faster a trial must run to be kept.
        set_threads: applies a thread count (``torch.set_num_threads``).
    """

    COLLAPSE = 3.0  # a stretch this many times slower than the kept speed starts a trial at once

    def __init__(
        self,
        threads: int,
        every_s: float = 90.0,
        probe_s: float = 3.0,
        margin: float = 1.15,
        set_threads: Callable[[int], None] = torch.set_num_threads,
    ):
        self.asked = threads
        self.threads = threads
        """the count kept (a trial may be running on the other one)"""
        self.every_s = every_s
        self.probe_s = probe_s
        self.margin = margin
        self.switches = 0
        """how many times a trial has changed the kept count"""
        self._set_threads = set_threads
        self._trying: int | None = None
        self._stretch = [0, 0.0]  # steps and seconds of the stretch being measured
        self._since_trial = [0, 0.0]  # the same since the last trial ended
        self._kept_rate: float | None = None  # steps/s on the kept count, last measured

    @property
    def active(self) -> bool:
        return self.asked > 1

    def record(self, steps: int, seconds: float) -> None:
        """``steps`` agent steps took ``seconds``; may start or end a trial of the other count."""
        if not self.active:
            return
        for tally in (self._stretch, self._since_trial):
            tally[0] += steps
            tally[1] += seconds
        if self._stretch[1] < self.probe_s:
            return
        rate = self._stretch[0] / self._stretch[1]
        self._stretch = [0, 0.0]
        if self._trying is not None:
            self._end_trial(self._trying, rate)
            return
        collapsed = self._kept_rate is not None and rate * self.COLLAPSE < self._kept_rate
        due = self.every_s if self._kept_rate is not None else 3 * self.probe_s
        if collapsed:
            self._start_trial(rate)
        elif self._since_trial[1] >= due:
            self._start_trial(self._since_trial[0] / self._since_trial[1])

    def _start_trial(self, kept_rate: float) -> None:
        self._kept_rate = kept_rate
        self._trying = 1 if self.threads != 1 else self.asked
        self._set_threads(self._trying)

    def _end_trial(self, trying: int, rate: float) -> None:
        if rate > self.margin * (self._kept_rate or 0.0):
            self.threads = trying
            self._kept_rate = rate
            self.switches += 1
        else:
            self._set_threads(self.threads)
        self._trying = None
        self._since_trial = [0, 0.0]
