"""Ape-X on a real local Ray: two actors learn Catch, a killed actor is replaced, the command line.

One Ray is started for the module (``ray.init`` takes seconds); the command-line test starts its own,
as a user's run does, and checks that nothing of it outlives the run.
"""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from game.modes.apex import game_for, make_learner
from game.modes.apex_ray import RayFleet, start_ray
from game.modes.reaper import Reaper, descendants
from game.presets import preset

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="the 'ray' extra is not installed"),
]


@pytest.fixture(scope="module")
def local_ray():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as train does for a learner beside its actors (local_learner_threads)
    reaper = Reaper()
    start_ray(None, 2, reaper)  # before Ray is imported: a local Ray on loopback is set up there
    import ray

    yield ray
    ray.shutdown()
    reaper.stop()
    torch.set_num_threads(threads)


def catch_on_ray(actors: int = 2, **settings):
    config = dataclasses.replace(preset("catch"), actors=actors, **settings)
    fleet = RayFleet("catch", config)
    fleet.wait_until_up()
    return make_learner(game_for("catch", config), config, fleet, None), fleet


def test_a_local_ray_listens_on_loopback_only(local_ray):
    assert {node["NodeManagerAddress"] for node in local_ray.nodes()} == {"127.0.0.1"}


class EnoughError(Exception):
    """Ends a run from its progress callback."""


def test_a_killed_actor_is_replaced_and_the_run_goes_on_learning(local_ray):
    learner, fleet = catch_on_ray(total_steps=60_000, eval_every_steps=2_000)
    killed_at: list[float] = []
    lost_at: list[float] = []  # when the learner first heard a call on it was lost
    back_at: list[float] = []  # when the replacement's first steps reached the learner

    def watch(trainer) -> None:
        stats = trainer.actor_stats[1]
        if trainer.steps >= 1_500 and not killed_at:
            fleet.kill(1)
            killed_at.append(time.monotonic())
        if killed_at and not lost_at and stats.lost:
            lost_at.append(time.monotonic())  # results before this may have been played before the kill
        if lost_at and not back_at and stats.last_result > lost_at[0]:
            back_at.append(stats.last_result)
        if (killed_at and time.monotonic() - killed_at[0] > 30) or (back_at and trainer.steps > 9_000):
            raise EnoughError

    try:
        with pytest.raises(EnoughError):
            learner.train(watch)
    finally:
        learner.close()
    assert learner.lost_requests >= 1  # the calls in flight on it were dropped, not waited for
    assert back_at and back_at[0] - killed_at[0] <= 10.0  # replaced, and playing again within 10 s
    assert learner.best_eval is not None and learner.best_eval >= 0.8


def test_actors_stay_within_their_in_flight_calls(local_ray):
    learner, fleet = catch_on_ray(total_steps=2_000, eval_every_steps=0)
    try:
        for _ in range(200):
            learner.step()
            assert all(0 <= n <= learner.max_in_flight for n in learner._in_flight)
            assert len(fleet._pending) == learner.in_flight
    finally:
        learner.close()


def train(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``main.py train ARGS`` as a user runs it, headless."""
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    command = [sys.executable, str(ROOT / "main.py"), "train", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=cwd)


def test_train_with_two_actors_learns_catch_and_resumes(tmp_path):
    run = tmp_path / "run"
    done = train("catch", "--actors", "2", "--out", str(run), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2 actors" in done.stdout
    with open(run / "eval.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert max(float(row["mean_return"]) for row in rows) >= 0.8
    assert (run / "checkpoints" / "latest.pt").exists()
    assert '"actors": 2' in (run / "config.json").read_text()
    again = train("--resume", str(run), "--steps", "6600", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Resuming at step 6,016" in again.stdout and "Done: 6,6" in again.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_run_killed_with_sigkill_leaves_none_of_its_ray_processes(tmp_path):
    run = tmp_path / "run"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    command = [sys.executable, str(ROOT / "main.py"), "train", "catch", "--actors", "2", "--steps", "1000000"]
    process = subprocess.Popen(
        [*command, "--out", str(run)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not (run / "fleet.json").exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert (run / "fleet.json").exists(), "the run never got going"
        started = descendants(process.pid)
        assert len(started) >= 4  # Ray's store, scheduler and agents, the actors, the reaper
    finally:
        process.kill()
        process.wait(timeout=30)
    deadline = time.monotonic() + 20
    while alive(started) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not alive(started), f"still running: {alive(started)}"


def alive(noted: dict[int, int]) -> list[str]:
    """The command lines of the noted processes still running (same pid and start time)."""
    left = []
    for pid, start in noted.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[19]) == start and fields[0] != "Z":
                left.append(Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")[:80])
        except (OSError, IndexError):
            continue
    return left
