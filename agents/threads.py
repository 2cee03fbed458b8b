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

    Feed it the time every training step took (without evaluations or saving). After each
    ``every_s`` seconds of steps it tries the other count for ``probe_s`` seconds, then keeps the
    faster of the two.

    Args:
        threads: the thread count asked for; the governor does nothing when it is 1.
        every_s: seconds of steps between two trials.
        probe_s: how long a trial lasts.
        set_threads: applies a thread count (``torch.set_num_threads``).
    """

    def __init__(
        self,
        threads: int,
        every_s: float = 90.0,
        probe_s: float = 3.0,
        set_threads: Callable[[int], None] = torch.set_num_threads,
    ):
        self.asked = threads
        self.threads = threads
        """the count kept (a trial may be running on the other one)"""
        self.every_s = every_s
        self.probe_s = probe_s
        self.switches = 0
        """how many times a trial has changed the kept count"""
        self._set_threads = set_threads
        self._trying: int | None = None
        self._steps = 0
        self._seconds = 0.0
        self._kept_rate = 0.0

    @property
    def active(self) -> bool:
        return self.asked > 1

    def record(self, steps: int, seconds: float) -> None:
        """``steps`` agent steps took ``seconds``; may start or end a trial of the other count."""
        if not self.active:
            return
        self._steps += steps
        self._seconds += seconds
        if self._seconds < (self.every_s if self._trying is None else self.probe_s):
            return
        rate = self._steps / self._seconds
        self._steps, self._seconds = 0, 0.0
        if self._trying is None:
            self._kept_rate = rate
            self._trying = 1 if self.threads != 1 else self.asked
            self._set_threads(self._trying)
            return
        if rate > self._kept_rate:
            self.threads = self._trying
            self.switches += 1
        else:
            self._set_threads(self.threads)
        self._trying = None
