"""The thread governor keeps the faster thread count, and follows the machine when it changes."""

from __future__ import annotations

import torch

from agents.threads import ThreadGovernor


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
