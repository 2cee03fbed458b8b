"""The worker process: it starts, streams snapshots, obeys commands, survives a kill, and stops cleanly."""

import dataclasses
import multiprocessing as mp
import time

import numpy as np
import pytest

from agents.checkpoint import load_checkpoint
from game.modes.protocol import (
    HandBack,
    HumanAction,
    Pause,
    Save,
    SessionConfig,
    SetSpeed,
    ShowLearning,
    StepOnce,
    TakeOver,
)
from game.modes.session import Session, Worker, run_session

WAIT_S = 60  # a spawned worker imports torch and gymnasium first: generous on a busy two-core machine


def wait_for(worker: Worker, predicate, timeout: float = WAIT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snapshot = worker.poll()
        if snapshot is not None:
            assert snapshot.error is None, snapshot.traceback
            if predicate(snapshot):
                return snapshot
        time.sleep(0.01)
    raise AssertionError("the worker did not get there in time")


def test_showcase_step_takes_over_and_records_demonstrations(tmp_path):
    session = Session(SessionConfig("catch", str(tmp_path / "run")))
    try:
        first = session.showcase_step()
        assert first.labels == ["NOOP", "LEFT", "RIGHT"]
        assert first.q_values.shape == (3,) and first.controller == "agent"
        assert first.frames and first.frames[0].dtype == np.uint8 and first.frames[0].ndim == 3
        demos = session.trainer.agent.replay.num_demos
        session.handle(TakeOver())
        session.handle(HumanAction(2))
        for _ in range(5):
            snap = session.showcase_step()
            assert snap.controller == "human" and snap.action == 2 and not snap.explored
        assert session.trainer.agent.replay.num_demos > demos, "the person's steps are demonstrations"
        session.handle(HandBack())
        assert session.showcase_step().controller == "agent"
    finally:
        session.close()


def test_atari_showcase_sends_every_frame(tmp_path):
    session = Session(SessionConfig("ALE/Pong-v5", str(tmp_path / "run"), train_overrides={"num_envs": 1}))
    try:
        snap = session.showcase_step()
        assert all(f.shape == (210, 160, 3) for f in snap.frames)
        assert len(session.showcase_step().frames) == 4, "frame skip 4: four display frames per agent step"
        assert session.step_seconds == pytest.approx(4 / 60)
    finally:
        session.close()


@pytest.mark.slow
def test_worker_streams_obeys_survives_a_kill_and_stops(tmp_path):
    worker = Worker(SessionConfig("catch", str(tmp_path / "run")))
    worker.start()
    try:
        first = wait_for(worker, lambda s: s.steps > 300)
        assert first.labels == ["NOOP", "LEFT", "RIGHT"] and first.q_values.shape == (3,)

        worker.send(Pause(True))
        paused = wait_for(worker, lambda s: s.paused)
        time.sleep(1.0)
        still = wait_for(worker, lambda s: True)
        assert still.steps == paused.steps, "learning pauses"
        worker.send(Pause(False))

        worker.send(SetSpeed(True))
        wait_for(worker, lambda s: s.fast)
        worker.send(SetSpeed(False))
        wait_for(worker, lambda s: not s.fast)

        worker.send(TakeOver())
        worker.send(HumanAction(1))
        wait_for(worker, lambda s: s.controller == "human" and s.action == 1)
        worker.send(HandBack())

        worker.send(Save())
        wait_for(worker, lambda s: s.checkpoint is not None)
        _, saved = load_checkpoint(tmp_path / "run" / "checkpoints" / "latest.pt")
        worker.process.kill()  # a crash: the arena restarts the worker from the last checkpoint
        worker.process.join(5)
        assert not worker.alive
        worker.restart()
        resumed = wait_for(worker, lambda s: s.steps > 0)
        assert resumed.steps >= saved["steps"], "the new worker continues from the checkpoint"
    finally:
        started = time.monotonic()
        worker.stop()
        assert time.monotonic() - started < 3.0
        assert not worker.alive
    assert (tmp_path / "run" / "checkpoints" / "latest.pt").is_file()


def test_a_session_can_start_from_a_shipped_agent(tmp_path):
    from game.modes.runs import AGENTS_DIR, manifest

    entry = manifest()["runner"]["expert"]
    shipped = str(AGENTS_DIR / entry["file"])
    session = Session(SessionConfig("runner", str(tmp_path / "run"), checkpoint=shipped))
    try:
        first = session.showcase_step()
        assert first.steps == entry["steps"], "the agent's step count comes with its weights"
        end = session.trainer.config.epsilon_end
        assert first.epsilon == pytest.approx(end), "so epsilon is where it was"
        assert first.checkpoint.endswith("expert.pt")
    finally:
        session.close()


def test_a_session_builds_the_network_its_checkpoint_was_trained_with(tmp_path):
    # Checkpoints of other widths than the preset's (a Nature CNN agent where the preset now has the
    # 2013 network, here a Catch agent of 16 units) load as they were trained.
    from agents.trainer import Trainer
    from game.catalog import find_game
    from game.presets import preset

    spec = find_game("catch")
    narrow = dataclasses.replace(preset("catch"), dqn=dataclasses.replace(preset("catch").dqn, hidden=(16,)))
    trainer = Trainer(spec.id, lambda: spec.make_env("train"), narrow, tmp_path / "narrow")
    try:
        checkpoint = trainer.save()
    finally:
        trainer.close()
    session = Session(SessionConfig("catch", str(tmp_path / "arena"), checkpoint=str(checkpoint)))
    try:
        assert session.trainer.config.dqn.hidden == (16,)
        assert session.showcase_step().q_values.shape == (3,)
    finally:
        session.close()


def test_a_session_caps_its_metrics_new_or_resumed(tmp_path):
    run_dir = str(tmp_path / "run")
    session = Session(SessionConfig("catch", run_dir, metrics_max_bytes=10_000))
    try:
        assert session.trainer.metrics.max_bytes == 10_000
        session.save(with_replay=False)
    finally:
        session.close()
    # A resumed run reads its settings from config.json: the cap comes with the session, not from there.
    resumed = Session(SessionConfig("catch", run_dir, resume=True, metrics_max_bytes=10_000))
    try:
        assert resumed.trainer.metrics.max_bytes == 10_000
    finally:
        resumed.close()
    uncapped = Session(SessionConfig("catch", str(tmp_path / "other")))
    try:
        assert uncapped.trainer.metrics.max_bytes is None, "training outside the kiosk keeps every row"
    finally:
        uncapped.close()


def test_a_damaged_latest_checkpoint_resumes_from_the_previous_one_and_the_snapshot_says_so(tmp_path):
    run = tmp_path / "run"
    first = Session(SessionConfig("catch", str(run)))
    try:
        for _ in range(2):
            for _ in range(150):
                first.learn()
            first.save(with_replay=False)
    finally:
        first.close()
    numbered = sorted((run / "checkpoints").glob("step-*.pt"))
    assert len(numbered) == 2
    (run / "checkpoints" / "latest.pt").write_bytes(b"\0" * 100)  # a crash in the middle of a write
    again = Session(SessionConfig("catch", str(run), resume=True))
    try:
        snapshot = again.showcase_step()
    finally:
        again.close()
    assert snapshot.error is None and snapshot.checkpoint == str(numbered[-1]), "the newest good one"
    assert snapshot.notice_count == 1 and numbered[-1].name in snapshot.notices[-1]


def test_settings_the_machine_cannot_hold_end_in_one_sentence_that_is_not_retried(tmp_path):
    context = mp.get_context("spawn")
    commands, snapshots = context.Queue(), context.Queue()
    config = SessionConfig(
        "catch", str(tmp_path / "run"), train_overrides={"dqn.replay_capacity": "10000000000"}
    )
    run_session(config, commands, snapshots)  # in this process: it must return, not raise
    snapshot = snapshots.get(timeout=10)
    assert (
        snapshot.error is not None and "replay_capacity" in snapshot.error and "available" in snapshot.error
    )
    assert snapshot.traceback is None and not snapshot.retry


def test_learning_layer_sends_every_view_only_while_it_is_on(tmp_path):
    session = Session(SessionConfig("catch", str(tmp_path / "run"), train_overrides={"learning_starts": 50}))
    try:
        views = ("readout", "replay", "target", "surprise", "predicted", "saliency")
        seen: set[str] = set()
        for _ in range(120):  # off: nothing is computed
            session.learn()
            snap = session.showcase_step()
            seen |= {name for name in views if getattr(snap, name) is not None}
        assert not seen and session.trainer.agent.last_trace is None
        session.handle(ShowLearning(True))
        deadline = time.monotonic() + 30
        while (
            not {"readout", "replay", "target", "surprise", "predicted"} <= seen
            and time.monotonic() < deadline
        ):
            session.learn()
            snap = session.showcase_step()
            seen |= {name for name in views if getattr(snap, name) is not None}
            if snap.readout is not None:
                readout, replay = snap.readout, snap.replay
        assert {"readout", "replay", "target", "surprise", "predicted"} <= seen
        assert "saliency" not in seen  # Catch's state is three numbers, not a picture
        assert replay.update == readout.update and replay.batch_age.shape == (32,)
        assert len(readout.state_before) == 3 and readout.before is None
        session.handle(Pause(True))
        session.handle(ShowLearning(True))
        before = session.trainer.agent.update_count
        session.handle(StepOnce())  # while paused, F3 shows the update it makes
        assert session.trainer.agent.last_trace.update == session.trainer.agent.update_count > before
        session.handle(ShowLearning(False))
        snap = session.showcase_step()
        assert all(getattr(snap, name) is None for name in views)
    finally:
        session.close()


def test_learning_layer_on_pong_sends_pictures_and_a_saliency_map(tmp_path):
    overrides = {"num_envs": 1, "learning_starts": 100, "train_every": 1}
    session = Session(SessionConfig("ALE/Pong-v5", str(tmp_path / "run"), train_overrides=overrides))
    try:
        session.handle(ShowLearning(True))
        readout = saliency = None
        deadline = time.monotonic() + 60
        while (readout is None or saliency is None) and time.monotonic() < deadline:
            session.learn()
            session.lens.work()
            snap = session.showcase_step()
            readout = snap.readout or readout
            saliency = snap.saliency or saliency
        assert readout is not None and saliency is not None
        assert readout.before.shape == readout.after.shape == (84, 84) and readout.before.dtype == np.uint8
        assert saliency.heat.shape == (84, 84) and saliency.heat.max() == pytest.approx(1.0)
    finally:
        session.close()
