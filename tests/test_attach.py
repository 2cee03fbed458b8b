"""Watching a many-machine job through its run directory (``main.py arena --attach RUN``): the model that
reads fleet.json and the metrics, the worker that plays the newest weights, the scene, the command line."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pygame
import pytest

from agents.checkpoint import load_checkpoint, save_checkpoint
from game.modes.attach import (
    STALE_S,
    CsvTail,
    FleetStatus,
    JobWatch,
    age_text,
    check_run,
    newest_weights,
)
from game.modes.attach_worker import Watcher
from game.modes.protocol import HumanAction, OverrideEpsilon, SessionConfig, Snapshot, TakeOver
from game.modes.session import Worker
from tests.screen import is_picture, open_app, post_key, run

WAIT_S = 60  # a spawned worker imports torch and gymnasium first: generous on a busy two-core machine
NOW = 1_800_000_000.0  # the tests' clock, unix seconds


def fleet_payload(running: bool = True, at: float = NOW, actors: int = 3) -> dict:
    return {
        "running": running,
        "time": at,
        "steps": 52_000,
        "updates": 6_400,
        "steps_per_s": 1240.5,
        "updates_per_s": 38.2,
        "replay_ratio": 7.9,
        "weights_version": 12,
        "lost_requests": 1,
        "actors": [
            {
                "index": i,
                "epsilon": round(0.4 ** (1 + 7 * i / 3), 4),
                "steps_per_s": 310.5 - i,
                "version": 12 - (i == 2),
                "transitions": 12_800 + i,
                "lost": int(i == 1),
            }
            for i in range(actors)
        ],
    }


def write_json(path: Path, payload: object) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(payload))
    os.replace(temporary, path)


@pytest.fixture(scope="module")
def job(tmp_path_factory) -> Path:
    """A run directory as an Ape-X job leaves it while it runs: config, metrics, live.pt, fleet.json."""
    from agents.trainer import Trainer
    from game.catalog import find_game
    from game.presets import preset

    spec = find_game("catch")
    folder = tmp_path_factory.mktemp("job") / "catch-apex"
    trainer = Trainer(spec.id, lambda: spec.make_env("train"), preset(spec.preset), folder)
    try:
        trainer.steps = 4_000
        trainer.save(with_replay=False)
    finally:
        trainer.close()
    (folder / "checkpoints" / "latest.pt").replace(folder / "checkpoints" / "live.pt")
    for old in (folder / "checkpoints").glob("step-*.pt"):
        old.unlink()
    returns = np.tile([-1.0, 1.0, 1.0], 20)
    (folder / "episodes.csv").write_text(
        "step,episode,return,length,epsilon,wall_s\n"
        + "".join(f"{60 * (i + 1)},{i + 1},{r:g},9,0.4,{i * 0.1:.1f}\n" for i, r in enumerate(returns))
    )
    (folder / "eval.csv").write_text("step,mean_return,returns\n1000,0.1,1 -1\n2000,0.6,1 1\n")
    (folder / "train.csv").write_text(
        "step,updates,epsilon,steps_per_s,loss,mean_q,td_error,grad_norm\n"
        "1000,800,0.4,900,0.02,0.2,0.1,0.1\n2000,1800,0.1,950,0.01,0.3,0.1,0.1\n"
    )
    write_json(folder / "fleet.json", fleet_payload(at=time.time() + 3600))  # fresh for the whole module
    return folder


# ---------------------------------------------------------------------- the model


def test_a_fleet_json_is_read_and_a_damaged_one_refused():
    fleet = FleetStatus.from_json(fleet_payload())
    assert fleet.running and fleet.updates_per_s == 38.2 and fleet.replay_ratio == 7.9
    assert [a.index for a in fleet.actors] == [0, 1, 2] and fleet.actors[1].lost == 1
    assert fleet.actors[2].version == 11 and fleet.actors[0].epsilon == 0.4
    assert FleetStatus.from_json({"running": False, "time": NOW}).actors == (), "rates may be missing"
    for damaged in (
        [],
        {"running": True},
        {"running": True, "time": NOW, "actors": {"0": {}}},
        {"running": True, "time": NOW, "steps_per_s": "fast"},
        {"running": True, "time": NOW, "actors": [{"epsilon": None}]},
    ):
        with pytest.raises(ValueError):
            FleetStatus.from_json(damaged)


def test_the_headline_says_running_ended_quiet_missing_and_damaged(tmp_path):
    clock = [NOW]
    watch = JobWatch(tmp_path, clock=lambda: clock[0])
    watch.refresh()
    assert (watch.headline().text, watch.headline().tone) == ("no report yet", "dim"), "no fleet.json"
    assert "not started" in watch.headline().detail

    write_json(tmp_path / "fleet.json", fleet_payload(at=NOW - 1))
    watch.refresh()
    assert (watch.headline().text, watch.headline().tone) == ("job running", "good")
    clock[0] = NOW + STALE_S + 23
    assert (watch.headline().text, watch.headline().tone) == ("no news for 34 s", "bad")

    (tmp_path / "fleet.json").write_text('{"running": true, "ti')  # damaged: the last good one is kept
    watch.refresh()
    assert watch.fleet is not None and watch.fleet.steps == 52_000
    assert watch.headline().tone == "bad" and "fleet.json cannot be read" in watch.headline().detail

    write_json(tmp_path / "fleet.json", fleet_payload(running=False, at=NOW - 600))
    watch.refresh()
    assert (watch.headline().text, watch.headline().detail) == ("job ended", None), "ended: never stale"

    fresh = JobWatch(tmp_path / "other", clock=lambda: NOW)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "fleet.json").write_bytes(b"\xff\xfe not json")
    fresh.refresh()
    assert fresh.fleet is None and fresh.headline().text == "fleet.json unreadable"


def test_a_csv_is_read_a_piece_at_a_time_and_again_from_its_start_when_rewritten(tmp_path):
    path = tmp_path / "episodes.csv"
    tail = CsvTail(path)
    assert tail.read() == ([], False), "no file yet"
    path.write_text("step,return\n10,1\n20,-1\n30,")
    rows, restarted = tail.read()
    assert [r["step"] for r in rows] == ["10", "20"] and not restarted, "a row being written waits"
    with open(path, "a") as file:
        file.write("1\n40,0\nbroken\n")
    assert [r["step"] for r in tail.read()[0]] == ["30", "40"], "a row of the wrong width is skipped"
    assert tail.read() == ([], False), "nothing new"
    temporary = tmp_path / "new.csv"
    temporary.write_text("step,return\n50,1\n")  # a capped log keeps its newest rows, in a new file
    os.replace(temporary, path)
    assert tail.read() == ([{"step": "50", "return": "1"}], True)

    big = tmp_path / "big.csv"
    big.write_text("step,return\n" + "".join(f"{i},1\n" for i in range(10_000)))
    rows = CsvTail(big, first_bytes=1_000).read()[0]
    assert 100 < len(rows) < 200 and rows[-1]["step"] == "9999", "a long run's newest rows only"
    assert all(set(r) == {"step", "return"} for r in rows), "the row cut by the start is dropped"


def test_the_curves_come_from_the_runs_metrics(job, tmp_path):
    news = JobWatch(job).refresh()
    assert len(news.episodes.points) == 60 and news.episodes.points[0] == (60.0, -1.0)
    assert news.evaluations.points == [(1000.0, 0.1), (2000.0, 0.6)]
    assert news.losses.points == [(1000.0, 0.02), (2000.0, 0.01)]
    empty = JobWatch(tmp_path).refresh()
    assert not empty.episodes.points and not empty.evaluations.points and not empty.losses.points


def test_the_weights_played_are_the_newest_of_live_and_latest_else_best(tmp_path):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    assert newest_weights(tmp_path) is None
    for name in ("best.pt", "latest.pt", "live.pt"):
        (folder / name).write_bytes(b"x")
    os.utime(folder / "best.pt", (NOW + 9, NOW + 9))
    os.utime(folder / "latest.pt", (NOW, NOW))
    os.utime(folder / "live.pt", (NOW + 5, NOW + 5))
    assert newest_weights(tmp_path).path.name == "live.pt"
    os.utime(folder / "latest.pt", (NOW + 7, NOW + 7))  # a job that ended saved latest.pt last
    assert newest_weights(tmp_path).path.name == "latest.pt"
    (folder / "latest.pt").unlink()
    (folder / "live.pt").unlink()
    assert newest_weights(tmp_path).path.name == "best.pt"
    assert age_text(12.4) == "12 s" and age_text(600) == "10 min" and age_text(4 * 3600) == "4 h"


# ---------------------------------------------------------------------- the worker


def rewrite_live(job: Path, steps: int, scale: float) -> None:
    """The job writes new weights: the network's own, scaled, at step ``steps``."""
    live = job / "checkpoints" / "live.pt"
    state, metadata = load_checkpoint(live)
    network = {k: v * scale if v.is_floating_point() else v for k, v in state["model"]["network"].items()}
    model = {**state["model"], "network": network}
    save_checkpoint(live, model_state=model, optimizer_state=None, metadata={**metadata, "steps": steps})
    os.utime(live, (time.time() + 1, time.time() + 1))  # a new mtime even on a coarse clock


def test_the_watcher_plays_the_jobs_weights_never_learns_and_reloads_them(job, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_bytes((job / "config.json").read_bytes())
    (run / "checkpoints").mkdir()
    watcher = Watcher(SessionConfig("catch", str(run), watch=True))
    try:
        waiting = watcher.showcase_step()
        assert waiting.frames == [] and waiting.q_values is None and waiting.weights_saved_at is None
        (run / "checkpoints" / "live.pt").write_bytes((job / "checkpoints" / "live.pt").read_bytes())
        assert watcher.refresh(force=True)
        first = watcher.showcase_step()
        assert first.steps == 4_000 and first.checkpoint.endswith("live.pt") and first.frames
        assert first.q_values.shape == (3,) and first.epsilon_schedule is None
        assert not hasattr(watcher, "trainer"), "no replay, no updates"
        assert not watcher.refresh(force=True), "the same file is not loaded twice"

        rewrite_live(run, steps=9_000, scale=3.0)
        assert watcher.refresh(force=True)
        second = watcher.showcase_step()
        assert second.steps == 9_000 and not np.allclose(second.q_values, first.q_values)

        (run / "checkpoints" / "live.pt").write_bytes(b"half a file")  # damaged: the last weights play on
        os.utime(run / "checkpoints" / "live.pt", (time.time() + 2, time.time() + 2))
        assert not watcher.refresh(force=True)
        still = watcher.showcase_step()
        assert still.steps == 9_000 and still.weights_saved_at == second.weights_saved_at
        assert "could not be loaded" in watcher.notices[-1]

        watcher.handle(OverrideEpsilon(1.0))
        watcher.handle(TakeOver())
        watcher.handle(HumanAction(2))
        played = watcher.showcase_step()
        assert played.controller == "human" and played.action == 2 and played.epsilon == 1.0
    finally:
        watcher.close()


def wait_for(worker: Worker, predicate, timeout: float = WAIT_S) -> Snapshot:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snapshot = worker.poll()
        if snapshot is not None:
            assert snapshot.error is None, snapshot.traceback
            if predicate(snapshot):
                return snapshot
        time.sleep(0.01)
    raise AssertionError("the worker did not get there in time")


def test_a_watching_worker_process_reloads_the_weights_when_live_pt_changes(job, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_bytes((job / "config.json").read_bytes())
    (run / "checkpoints").mkdir()
    (run / "checkpoints" / "live.pt").write_bytes((job / "checkpoints" / "live.pt").read_bytes())
    worker = Worker(SessionConfig("catch", str(run), watch=True))
    worker.start()
    try:
        first = wait_for(worker, lambda s: s.q_values is not None)
        assert first.steps == 4_000 and first.weights_saved_at is not None
        rewrite_live(run, steps=7_000, scale=2.0)
        reloaded = wait_for(worker, lambda s: s.steps == 7_000, timeout=10)
        assert reloaded.q_values is not None and reloaded.frames
    finally:
        started = time.monotonic()
        worker.stop()
        assert time.monotonic() - started < 3.5 and not worker.alive
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["live.pt"], "it wrote nothing"


# ---------------------------------------------------------------------- the scene


class PlayingWorker:
    """A worker that plays catch as a watcher would: one snapshot a frame, the job's weights of step 4,000."""

    def __init__(self) -> None:
        self.starts = 0
        self.sent: list = []
        self.alive = False
        self.frame = np.random.default_rng(0).integers(0, 255, (310, 140, 3), dtype=np.uint8)

    def start(self, resume=None) -> None:
        self.starts += 1
        self.alive = True

    def poll(self) -> Snapshot:
        return Snapshot(
            frames=[self.frame],
            q_values=np.array([0.1, -0.2, 0.3], np.float32),
            action=2,
            greedy_action=2,
            epsilon=0.01,
            epsilon_schedule=None,
            steps=4_000,
            checkpoint="/job/checkpoints/live.pt",
            weights_saved_at=time.time() - 12,
            labels=["NOOP", "LEFT", "RIGHT"],
        )

    def send(self, command) -> None:
        self.sent.append(command)

    def stop(self, save=True) -> None:
        self.alive = False


@pytest.fixture
def app():
    yield from open_app(size=(1280, 720))


def test_the_scene_draws_the_game_the_curves_and_a_row_per_actor(app, job):
    from game.catalog import find_game
    from game.ui.scenes.attach import AttachScene

    worker = PlayingWorker()
    scene = AttachScene(app, find_game("catch"), worker, JobWatch(job))
    try:
        run(app, scene, 30)
        assert is_picture(app.surface)
        assert scene.fleet_panel.rows_drawn == 3 and scene.job.headline().text == "job running"
        assert len(scene.job_curves.episodes) == 60 and len(scene.job_curves.evaluations) == 2
        assert scene._weights_line() == "weights of step 4,000, 12 s old (live.pt)"
        post_key(pygame.K_F2)  # a key that steers learning: nothing is sent to anyone
        post_key(pygame.K_F5)
        run(app, scene, 2)
        assert worker.sent == [] and "learns elsewhere" in app._toast[0]
        post_key(pygame.K_RIGHT)  # the person plays here
        run(app, scene, 2)
        assert [type(c).__name__ for c in worker.sent] == ["TakeOver", "HumanAction"]
    finally:
        scene.close()


def test_the_scene_fits_many_actors_and_waits_for_the_first_weights(app, tmp_path, job):
    from game.catalog import find_game
    from game.ui.scenes.attach import AttachScene

    (tmp_path / "config.json").write_bytes((job / "config.json").read_bytes())
    write_json(tmp_path / "fleet.json", fleet_payload(at=time.time(), actors=40))
    worker = PlayingWorker()
    worker.poll = lambda: None  # the worker waits for weights the job has not written
    scene = AttachScene(app, find_game("catch"), worker, JobWatch(tmp_path))
    try:
        run(app, scene, 5)
        assert 3 < scene.fleet_panel.rows_drawn < 40, "the rest are summed up in one line"
        assert scene._weights_line() == "no weights yet: the job has not saved any"
    finally:
        scene.close()


# ---------------------------------------------------------------------- the command line


def test_attach_refuses_what_is_not_a_job_in_one_sentence(tmp_path, job, capsys):
    import main

    (tmp_path / "empty").mkdir()
    cases = [
        (["arena", "--attach", str(tmp_path / "nowhere")], "There is no run directory"),
        (["arena", "--attach", str(tmp_path / "empty")], "is not a run directory"),
        (["arena", "pong", "--attach", str(job)], "is a run of catch, not pong"),
        (["arena", "--attach", str(job), "--new"], "--new cannot go with --attach"),
    ]
    for argv, said in cases:
        assert main.main(argv) == 2, argv
        message = capsys.readouterr().err.strip()
        assert said in message and "\n" not in message, message
    assert check_run(job) == "catch"


def test_attach_refusal_exits_2_from_the_command_line(tmp_path):
    from tests.test_cli import main_py, one_sentence_exit_2

    assert "no config.json" in one_sentence_exit_2(main_py("arena", "--attach", str(tmp_path)))
