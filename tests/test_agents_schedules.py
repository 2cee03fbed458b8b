"""Schedules: exact tables."""

from __future__ import annotations

import pytest

from agents.schedules import ConstantSchedule, ExponentialSchedule, LinearSchedule, PowerSchedule


def test_linear_schedule_table():
    schedule = LinearSchedule(start=1.0, end=0.1, duration_steps=100)
    table = {-5: 1.0, 0: 1.0, 10: 0.91, 50: 0.55, 99: 0.109, 100: 0.1, 10_000: 0.1}
    for step, value in table.items():
        assert schedule(step) == pytest.approx(value), step


def test_linear_schedule_with_a_late_begin_and_rising_values():
    schedule = LinearSchedule(start=0.4, end=1.0, duration_steps=60, begin_step=40)
    assert [schedule(s) for s in (0, 40, 70, 100, 200)] == pytest.approx([0.4, 0.4, 0.7, 1.0, 1.0])


def test_zero_duration_jumps_at_begin_step():
    schedule = LinearSchedule(1.0, 0.0, duration_steps=0, begin_step=5)
    assert (schedule(4), schedule(5)) == (1.0, 0.0)


def test_exponential_schedule_halves_the_distance_every_half_life():
    schedule = ExponentialSchedule(start=1.0, end=0.2, half_life_steps=10)
    assert [schedule(s) for s in (0, 10, 20, 30)] == pytest.approx([1.0, 0.6, 0.4, 0.3])
    assert schedule(10_000) == pytest.approx(0.2)


def test_constant_and_power_schedules():
    assert ConstantSchedule(0.3)(123) == 0.3
    schedule = PowerSchedule(scale=1.0, power=1.0)
    assert [schedule(s) for s in (0, 1, 3)] == pytest.approx([1.0, 0.5, 0.25])


def test_bad_schedules_are_refused():
    with pytest.raises(ValueError):
        LinearSchedule(1.0, 0.0, duration_steps=-1)
    with pytest.raises(ValueError):
        ExponentialSchedule(1.0, 0.0, half_life_steps=0)
