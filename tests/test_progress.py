"""The headless progress line fits the terminal: 80 columns, or fewer, without wrapping."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from agents.progress import ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def trainer(**changes):
    state = dict(
        steps=2_529,
        steps_per_second=146.0,
        recent_returns=[0.5, 0.74],
        statistics={"loss": 0.0134},
        epsilon=0.05,
        last_eval=0.2,
        governor=SimpleNamespace(threads=1, asked=2),  # the machine is busy: one more field
    )
    state.update(changes)
    return SimpleNamespace(**state)


@pytest.mark.parametrize("columns", [80, 60, 40])
def test_the_line_fits_the_terminal_and_keeps_the_steps_and_eta(columns):
    bar = ProgressBar(3_000_000, Terminal())
    bar.width = columns - 1
    line = bar.line(trainer(steps=2_529_000))
    assert len(line) <= columns - 1
    assert line.startswith("[") and "2,529,000/3,000,000" in line
    if columns >= 80:
        assert "ETA" in line and "return 0.62" in line


def test_a_log_file_gets_every_field():
    bar = ProgressBar(3_000, io.StringIO())
    assert bar.width is None
    line = bar.line(trainer())
    for field in (
        "146 steps/s",
        "return 0.62",
        "eval 0.20",
        "eps 0.050",
        "loss 0.0134",
        "ETA",
        "machine busy",
    ):
        assert field in line
    assert len(line) > 80


def test_an_ape_x_run_shows_its_actors_where_there_is_room_and_leaves_them_out_first():
    apex = trainer(fleet_summary="8 actors, 41 updates/s, 2 lost")
    assert "8 actors, 41 updates/s, 2 lost" in ProgressBar(3_000, io.StringIO()).line(apex)
    bar = ProgressBar(3_000_000, Terminal())
    bar.width = 79
    line = bar.line(trainer(steps=2_529_000, fleet_summary="8 actors, 41 updates/s"))
    assert "actors" not in line and "return 0.62" in line and len(line) <= 79
