"""The thread governor keeps the faster thread count, and follows the machine when it changes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from agents.threads import ThreadGovernor

IDLE = {2: 450.0, 1: 300.0}  # steps/s on a quiet two-core machine
BUSY = {2: 0.05 * 450.0, 1: 150.0}  # beside a busy program: two threads collapse, one keeps half
WARMUP_S = 1.0  # the first second after a switch of thread count runs slowly


class Machine:
    """Steps per second at each thread count, as a busy or idle two-core machine gives them."""

    def __init__(self, rates: dict[int, float]):
        self.rates = rates
        self.threads = 2
        self.history: list[int] = []

    def set_threads(self, threads: int) -> None:
        self.threads = threads
        self.history.append(threads)

    def run(self, governor: ThreadGovernor, seconds: float, step_s: float = 0.5) -> None:
        for _ in range(int(seconds / step_s)):
            governor.record(round(self.rates[self.threads] * step_s), step_s)


def test_an_idle_machine_keeps_two_threads_after_trying_one() -> None:
    machine = Machine({2: 450.0, 1: 300.0})
    governor = ThreadGovernor(2, every_s=10, probe_s=1, set_threads=machine.set_threads)
    machine.run(governor, 60)
    assert governor.threads == 2 and machine.threads == 2
    assert 1 in machine.history  # it did try one thread
    assert governor.switches == 0


def test_a_busy_machine_moves_to_one_thread_and_back_when_it_calms_down() -> None:
    machine = Machine({2: 9.0, 1: 200.0})
    governor = ThreadGovernor(2, every_s=10, probe_s=1, set_threads=machine.set_threads)
    machine.run(governor, 12)
    assert governor.threads == 1 and machine.threads == 1
    machine.run(governor, 30)
    assert governor.threads == 1  # trials of two threads stay short and lose

    machine.rates = {2: 450.0, 1: 300.0}
    machine.run(governor, 12)
    assert governor.threads == 2 and 2 in machine.history[-2:]
    assert governor.switches == 2


def test_time_on_the_slower_count_is_only_the_short_trials() -> None:
    machine = Machine({2: 9.0, 1: 200.0})
    governor = ThreadGovernor(2, every_s=10, probe_s=1, set_threads=machine.set_threads)
    seconds_on = {1: 0.0, 2: 0.0}
    for _ in range(600):
        seconds_on[machine.threads] += 0.5
        governor.record(round(machine.rates[machine.threads] * 0.5), 0.5)
    assert seconds_on[2] < 0.15 * 300


def test_one_thread_asked_means_nothing_changes() -> None:
    machine = Machine({1: 300.0})
    machine.threads = 1
    governor = ThreadGovernor(1, every_s=1, probe_s=1, set_threads=machine.set_threads)
    machine.run(governor, 30)
    assert machine.history == [] and not governor.active


def test_the_default_applies_torch_threads() -> None:
    before = torch.get_num_threads()
    try:
        governor = ThreadGovernor(2, every_s=1, probe_s=1)
        governor.record(300, 3.0)  # the first trial comes after three stretches
        assert torch.get_num_threads() == 1  # trying one thread
        governor.record(10, 1.0)  # the switch's warm-up: not timed, the trial goes on
        assert torch.get_num_threads() == 1
        governor.record(10, 1.0)
        assert torch.get_num_threads() == 2 and governor.threads == 2
    finally:
        torch.set_num_threads(before)


def test_a_trial_only_a_little_faster_is_not_kept() -> None:
    machine = Machine({2: 450.0, 1: 480.0})  # within the noise of a 3-second trial
    governor = ThreadGovernor(2, every_s=10, probe_s=1, set_threads=machine.set_threads)
    machine.run(governor, 60)
    assert governor.threads == 2 and governor.switches == 0
    machine.rates = {2: 450.0, 1: 600.0}
    machine.run(governor, 12)
    assert governor.threads == 1 and governor.switches == 1


def test_a_sudden_collapse_is_answered_within_seconds_not_at_the_next_trial() -> None:
    machine = Machine({2: 450.0, 1: 300.0})
    governor = ThreadGovernor(2, every_s=90, probe_s=3, set_threads=machine.set_threads)
    machine.run(governor, 60)
    assert governor.threads == 2
    machine.rates = {2: 9.0, 1: 250.0}  # another program starts
    machine.run(governor, 7)
    assert governor.threads == 1 and machine.threads == 1


class Trace:
    """A scripted machine on a fake clock: steps/s as a function of (time, thread count), slowed for
    ``WARMUP_S`` after each switch of thread count, as torch's thread pool and caches warm up."""

    def __init__(self, speed: Callable[[float, int], float], warmup_factor: float = 0.1):
        self.speed = speed
        self.warmup_factor = warmup_factor
        self.clock = 0.0
        self.threads = 2
        self.switched_at = -WARMUP_S
        self.timeline: list[tuple[float, int, int]] = []  # (time, threads running, threads kept)

    def set_threads(self, threads: int) -> None:
        self.threads = threads
        self.switched_at = self.clock

    def run(self, governor: ThreadGovernor, until_s: float, steps: int = 8) -> None:
        """Trainer steps of ``steps`` agent steps (8 environments) until the clock reads ``until_s``."""
        while self.clock < until_s:
            seconds = steps / self.speed(self.clock, self.threads)
            warm_left = self.switched_at + WARMUP_S - self.clock
            if warm_left > 0:  # slow until the warm-up's second is over, then at speed again
                seconds = min(seconds / self.warmup_factor, warm_left + seconds)
            governor.record(steps, seconds)
            self.clock += seconds
            self.timeline.append((self.clock, self.threads, governor.threads))

    def seconds_running(self, threads: int, start_s: float, end_s: float) -> float:
        total, previous = 0.0, 0.0
        for clock, running, _ in self.timeline:
            if start_s <= previous and clock <= end_s and running == threads:
                total += clock - previous
            previous = clock
        return total


def load_between(start_s: float, end_s: float) -> Callable[[float, int], float]:
    return lambda clock, threads: (BUSY if start_s <= clock < end_s else IDLE)[threads]


@pytest.mark.parametrize("warmup_factor", [0.3, 0.02])
@pytest.mark.parametrize("load_s", [float(seconds) for seconds in range(150, 250, 6)])
def test_after_a_load_ends_two_threads_return_within_two_minutes(load_s: float, warmup_factor: float) -> None:
    """Loads that end at every phase of the trials (every 6 s over 100 s). The governor that timed
    the switch's warm-up inside its 3-second trial and compared it with the kept count's average
    since the last trial never came back (with the 2% warm-up) after a load that ended within 20 s
    after a trial: the next trials were judged against an idle one-thread average."""
    start_s, end_s = 60.0, 60.0 + load_s
    trace = Trace(load_between(start_s, end_s), warmup_factor)
    governor = ThreadGovernor(2, set_threads=trace.set_threads)
    trace.run(governor, end_s + 600)

    kept_in_load = {kept for clock, _, kept in trace.timeline if start_s + 20 <= clock < end_s}
    assert kept_in_load == {1}
    assert trace.seconds_running(2, start_s + 20, end_s) < 0.1 * load_s  # only the short trials
    back_at = next(clock for clock, _, kept in trace.timeline if clock >= end_s and kept == 2)
    assert back_at - end_s <= 120.0
    assert all(kept == 2 for clock, _, kept in trace.timeline if clock >= back_at)  # and stays there
    assert governor.switches == 2


def test_a_trial_is_timed_after_the_switch_warm_up() -> None:
    trace = Trace(lambda clock, threads: IDLE[threads], warmup_factor=0.02)
    trace.threads = 1
    governor = ThreadGovernor(2, set_threads=trace.set_threads)
    governor.threads = 1  # as after a load: kept on one thread, trying two
    trace.run(governor, 20)
    trial = governor.trials[0]
    assert trial.threads == 2 and trial.kept
    assert trial.warmup_rate < 0.1 * trial.rate  # the slow second was left out of the timing
    assert trial.rate == pytest.approx(450.0) and trial.kept_rate == pytest.approx(300.0)


@pytest.mark.parametrize("rates", [IDLE, BUSY])
def test_noise_does_not_flip_flop(rates: dict[int, float]) -> None:
    """Speeds that wander by up to 15% from one second to the next, for half an hour."""
    noise = np.random.default_rng(0).uniform(0.85, 1.15, size=(1900, 3))
    trace = Trace(lambda clock, threads: rates[threads] * noise[int(clock), threads])
    governor = ThreadGovernor(2, set_threads=trace.set_threads)
    trace.run(governor, 1800)
    assert governor.switches == (0 if rates is IDLE else 1)
    assert len(governor.trials) > 10
