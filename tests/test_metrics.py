"""Metrics CSVs: a capped log keeps its header and newest rows under the cap, and stays readable."""

import csv
from pathlib import Path

import pytest

from agents.metrics import MetricsLog
from game.modes.runs import read_run

CAP = 4_000  # bytes: a few hundred rows, so a test trims several times
HEADER = ["step", "episode", "return", "length", "epsilon", "wall_s"]


def rows_of(path: Path) -> list[list[str]]:
    with open(path, newline="") as file:
        return list(csv.reader(file))


def test_a_capped_log_keeps_its_header_and_newest_rows_under_the_cap(tmp_path):
    log = MetricsLog(tmp_path, max_bytes=CAP)
    path = tmp_path / "episodes.csv"
    for n in range(1, 2_001):
        log.episode(step=n * 10, episode=n, ret=n % 7 - 3, length=10, epsilon=0.05)
        log.flush()
        assert path.stat().st_size <= CAP, f"over the cap after episode {n}"
    log.close()
    rows = rows_of(path)
    assert rows[0] == HEADER, "the header survives every trim"
    episodes = [int(row[1]) for row in rows[1:]]
    assert episodes[-1] == 2_000, "the newest row is kept"
    assert episodes == list(range(episodes[0], 2_001)), "whole rows, oldest dropped, none lost in between"
    assert episodes[0] > 1, "old rows were dropped"
    assert path.stat().st_size >= CAP * 0.4, "about half the cap is kept, not only a few rows"
    assert all(len(row) == len(HEADER) for row in rows), "no row was cut in two"
    assert not list(tmp_path.glob("*.tmp")), "the temporary file was renamed into place"


def test_a_trimmed_run_still_reads_as_a_run(tmp_path):
    log = MetricsLog(tmp_path, max_bytes=CAP)
    for n in range(1, 1_001):
        log.episode(step=n * 10, episode=n, ret=float(n), length=10, epsilon=0.05)
        log.train(step=n * 10, updates=n, epsilon=0.05, steps_per_s=100.0, stats={"loss": 0.5})
        if n % 50 == 0:
            log.evaluation(step=n * 10, mean_return=float(n), returns=[float(n)] * 5)
    log.close()
    for name in ("episodes.csv", "train.csv", "eval.csv"):
        assert (tmp_path / name).stat().st_size <= CAP
    run = read_run(tmp_path)  # what benchmarks/time_to_score.py draws
    assert run.eval_steps[-1] == 10_000 and run.episode_steps[-1] == 10_000
    train = rows_of(tmp_path / "train.csv")
    assert train[0][:2] == ["step", "updates"] and train[-1][:2] == ["10000", "1000"]


def test_an_oversized_file_from_before_the_cap_is_trimmed_at_the_first_row(tmp_path):
    path = tmp_path / "episodes.csv"
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        writer.writerows([n * 10, n, 1, 10, "0.0500", "1.0"] for n in range(1, 5_001))
    assert path.stat().st_size > 10 * CAP
    log = MetricsLog(tmp_path, max_bytes=CAP)
    log.episode(step=50_010, episode=5_001, ret=1.0, length=10, epsilon=0.05)
    log.close()
    rows = rows_of(path)
    assert path.stat().st_size <= CAP and rows[0] == HEADER and rows[-1][1] == "5001"


def test_a_capped_log_goes_on_after_a_resume_forgets_rows(tmp_path):
    log = MetricsLog(tmp_path, max_bytes=CAP)
    for n in range(1, 501):
        log.episode(step=n, episode=n, ret=0.0, length=1, epsilon=0.05)
    log.forget_after(450)  # a resume closes and rewrites the files: the count starts again from disk
    for n in range(451, 1_001):
        log.episode(step=n, episode=n, ret=0.0, length=1, epsilon=0.05)
        log.flush()
        assert (tmp_path / "episodes.csv").stat().st_size <= CAP
    log.close()
    episodes = [int(row[1]) for row in rows_of(tmp_path / "episodes.csv")[1:]]
    assert episodes == list(range(episodes[0], 1_001))


def test_an_uncapped_log_keeps_every_row(tmp_path):
    log = MetricsLog(tmp_path)
    for n in range(1, 2_001):
        log.episode(step=n, episode=n, ret=0.0, length=1, epsilon=0.05)
    log.close()
    rows = rows_of(tmp_path / "episodes.csv")
    assert rows[0] == HEADER and len(rows) == 2_001


def test_a_cap_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="max_bytes"):
        MetricsLog(tmp_path, max_bytes=0)
