"""Faults a long run meets: a damaged checkpoint or metrics file at start, settings the machine cannot
hold, numbers that go bad, a full disk. Each ends in a sentence and a run that goes on (or a clean
refusal), never a traceback or a run that trains on NaN."""

from __future__ import annotations

import dataclasses
import errno
import os
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

import agents.resources
from agents.checkpoint import CheckpointError, load_checkpoint
from agents.dqn import DQNConfig
from agents.replay import replay_nbytes
from agents.resources import NotEnoughMemoryError
from agents.train_config import TrainConfig
from agents.trainer import REPLAY_FILE, Trainer
from game.catalog import find_game

torch.set_num_threads(1)

TINY = TrainConfig(
    total_steps=600,
    learning_starts=100,
    epsilon_decay_steps=300,
    eval_every_steps=300,
    eval_episodes=2,
    eval_epsilon=0.0,
    checkpoint_every_steps=200,
    keep_checkpoints=2,
    dqn=DQNConfig(batch_size=16, hidden=(32,), replay_capacity=2_000, target_update_period=50, device="cpu"),
)
"""Catch, a second of training that evaluates at 300 and 600 and checkpoints at 200, 400 and 600."""

GIB = 1024**3


def catch_trainer(config: TrainConfig, run_dir: Path | None = None) -> Trainer:
    spec = find_game("catch")
    return Trainer(spec.id, lambda: spec.make_env("train"), config, run_dir)


def trained_run(run_dir: Path, config: TrainConfig = TINY) -> Trainer:
    trainer = catch_trainer(config, run_dir)
    trainer.train()
    trainer.close()
    return trainer


def weights_are_finite(trainer: Trainer) -> bool:
    networks = (trainer.agent.network, trainer.agent.target_network)
    return all(torch.isfinite(p).all() for net in networks for p in net.parameters())


def litter(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.name.endswith(".tmp")]


# ---------------------------------------------------------------------- 1. a damaged state at start


def test_a_damaged_latest_checkpoint_resumes_from_the_newest_good_one(tmp_path):
    trained_run(tmp_path)
    folder = tmp_path / "checkpoints"
    assert sorted(p.name for p in folder.glob("step-*.pt")) == ["step-0000000400.pt", "step-0000000600.pt"]
    latest = folder / "latest.pt"
    latest.write_bytes(latest.read_bytes()[: latest.stat().st_size // 2])  # truncated
    (folder / "step-0000000600.pt").write_bytes(os.urandom(4096))  # and the newest numbered one, garbage

    trainer = catch_trainer(dataclasses.replace(TINY, total_steps=800), tmp_path)
    trainer.restore()
    assert trainer.steps == 400 and trainer.restored_from == folder / "step-0000000400.pt"
    notices = trainer.take_notices()
    assert len(notices) == 1 and "latest.pt" in notices[0] and "step-0000000400.pt" in notices[0]
    assert "400" in notices[0] and notices[0].endswith(".")
    trainer.train()  # and it goes on from there
    trainer.close()
    assert load_checkpoint(latest)[1]["steps"] == 800


def test_an_intact_latest_checkpoint_resumes_without_a_notice(tmp_path):
    trained_run(tmp_path)
    trainer = catch_trainer(dataclasses.replace(TINY, total_steps=800), tmp_path)
    trainer.restore()
    trainer.close()
    assert trainer.steps == 600 and trainer.restored_from == tmp_path / "checkpoints" / "latest.pt"
    assert trainer.take_notices() == []


def test_with_no_good_checkpoint_left_the_damaged_error_stays(tmp_path):
    trained_run(tmp_path)
    for path in (tmp_path / "checkpoints").glob("*.pt"):
        path.write_bytes(path.read_bytes()[:100])
    trainer = catch_trainer(dataclasses.replace(TINY, total_steps=800), tmp_path)
    with pytest.raises(CheckpointError, match=r"latest\.pt is damaged"):
        trainer.restore()
    trainer.close()


def test_a_damaged_metrics_file_is_kept_aside_and_started_anew(tmp_path):
    trained_run(tmp_path)
    garbage = os.urandom(4096)
    (tmp_path / "episodes.csv").write_bytes(garbage)
    (tmp_path / "eval.csv").write_bytes(b"step,mean_return,returns\n300,1,1 1\n\x00\x00\x00\x00")  # a crash

    trainer = catch_trainer(dataclasses.replace(TINY, total_steps=800), tmp_path)
    trainer.restore()
    notices = trainer.take_notices()
    trainer.train()
    trainer.close()
    kept = sorted(tmp_path.glob("*.csv.damaged-*"))
    assert [path.name.split(".damaged-")[0] for path in kept] == ["episodes.csv", "eval.csv"]
    assert kept[0].read_bytes() == garbage
    assert len(notices) == 2 and all(kept[0].name in n or kept[1].name in n for n in notices)
    lines = (tmp_path / "episodes.csv").read_text().splitlines()
    assert lines[0] == "step,episode,return,length,epsilon,wall_s" and len(lines) > 10
    assert (tmp_path / "eval.csv").read_text().splitlines()[0] == "step,mean_return,returns"


# ---------------------------------------------------------------------- 2. settings the machine cannot hold


def test_the_replay_estimate_matches_what_the_memory_allocates():
    config = dataclasses.replace(TINY, dqn=dataclasses.replace(TINY.dqn, demo_capacity=500))
    trainer = catch_trainer(config)
    trainer.close()
    replay = trainer.agent.replay
    allocated = sum(store.nbytes_per_slot() * store.capacity for store in (replay.main, replay.demos))
    assert replay_nbytes(trainer.pool.observation_space, 2_000, 500) == pytest.approx(allocated)
    frames = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)  # Atari: one 84x84 frame a slot
    assert replay_nbytes(frames, 1_000_000) == pytest.approx(1_000_000 * (84 * 84 + 17 + 16), rel=0.05)


def test_a_replay_memory_the_machine_cannot_hold_is_refused_before_it_is_allocated(monkeypatch, tmp_path):
    monkeypatch.setattr(agents.resources, "available_bytes", lambda: 2 * GIB)
    config = dataclasses.replace(TINY, dqn=dataclasses.replace(TINY.dqn, replay_capacity=10_000_000_000))
    with pytest.raises(NotEnoughMemoryError) as caught:
        catch_trainer(config, tmp_path / "run")
    message = str(caught.value)
    assert message.startswith("dqn.replay_capacity=10,000,000,000 needs ") and "GiB" in message
    assert "but 2.0 GiB is available; lower it." in message and "\n" not in message
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_a_run_near_the_available_memory_is_warned_about(monkeypatch):
    needed = replay_nbytes(gym.spaces.Box(0.0, 1.0, (3,), np.float32), TINY.dqn.replay_capacity)
    monkeypatch.setattr(agents.resources, "available_bytes", lambda: int(needed / 0.9))
    trainer = catch_trainer(TINY)
    trainer.close()
    notices = trainer.take_notices()
    assert len(notices) == 1 and "of the" in notices[0] and "available" in notices[0], notices
    monkeypatch.setattr(agents.resources, "available_bytes", lambda: None)  # unknown: no check
    trainer = catch_trainer(TINY)
    trainer.close()
    assert trainer.take_notices() == []


def test_available_memory_is_read_from_meminfo(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       16000000 kB\nMemFree:  100 kB\nMemAvailable:    8000000 kB\n")
    assert agents.resources.available_bytes(meminfo) == 8_000_000 * 1024
    meminfo.write_text("MemTotal:       16000000 kB\n")
    assert agents.resources.available_bytes(meminfo) is None
    assert agents.resources.available_bytes(tmp_path / "missing") is None


# ---------------------------------------------------------------------- 3. numbers that go bad


def test_a_nan_reward_batch_restores_the_last_good_weights_and_training_goes_on(tmp_path):
    trainer = catch_trainer(TINY, tmp_path)
    replay = trainer.agent.replay
    sample = replay.sample
    poisoned = []

    def nan_once(batch_size, beta=1.0):
        batch = sample(batch_size, beta)
        if trainer.steps >= 450 and not poisoned:
            poisoned.append(trainer.agent.update_count)
            return batch._replace(reward=np.full_like(batch.reward, np.nan))
        return batch

    replay.sample = nan_once
    trainer.train()
    trainer.close()
    assert poisoned and trainer.rollbacks == 1 and not trainer.learning_stopped
    assert weights_are_finite(trainer) and trainer.steps == 600
    assert trainer.agent.update_count > poisoned[0]  # it learned on after the rollback
    assert all(np.isfinite(v) for v in trainer.statistics.values())
    notices = trainer.take_notices()
    assert len(notices) == 1 and "non-finite" in notices[0] and "step 400" in notices[0], notices
    state, _ = load_checkpoint(tmp_path / "checkpoints" / "latest.pt")
    assert all(torch.isfinite(t).all() for t in state["model"]["network"].values())


def test_an_infinite_weight_is_rolled_back_to_the_last_evaluation(tmp_path):
    def break_a_weight(trainer: Trainer) -> None:
        if trainer.steps == 350:
            with torch.no_grad():
                next(trainer.agent.network.parameters())[0, 0] = float("inf")

    trainer = catch_trainer(TINY, tmp_path)
    trainer.train(progress=break_a_weight)
    trainer.close()
    assert trainer.rollbacks == 1 and weights_are_finite(trainer)
    assert "step 300" in trainer.take_notices()[0]  # the evaluation at 300 was the last good state


def test_updates_that_keep_going_bad_stop_learning_with_good_weights(tmp_path):
    trainer = catch_trainer(TINY, tmp_path)
    sample = trainer.agent.replay.sample
    trainer.agent.replay.sample = lambda n, beta=1.0: sample(n, beta)._replace(
        reward=np.full(n, np.inf, dtype=np.float32)
    )
    trainer.train()
    trainer.close()
    assert trainer.learning_stopped and weights_are_finite(trainer)
    assert trainer.steps < TINY.total_steps  # the run ends instead of playing on without learning
    notices = trainer.take_notices()
    assert "stopped" in notices[-1] and "dqn.learning_rate" in notices[-1], notices


# ---------------------------------------------------------------------- 4. a full disk


def raise_oserror(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return fail


FAILING_FILES = {  # what each write failure hits: checkpoints (torch.save), the replay (np.savez), both
    "torch.save": ("checkpoints/latest.pt",),
    "numpy.savez": (REPLAY_FILE,),
    "os.replace": ("checkpoints/latest.pt", REPLAY_FILE),
}


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES], ids=["ENOSPC", "EACCES"])
@pytest.mark.parametrize("target", list(FAILING_FILES))
def test_a_failed_write_keeps_the_previous_file_and_training_goes_on(tmp_path, monkeypatch, target, code):
    trainer = catch_trainer(TINY, tmp_path)
    for _ in range(200):
        trainer.step()
    latest = tmp_path / "checkpoints" / "latest.pt"
    assert trainer.save() == latest
    failing = [tmp_path / name for name in FAILING_FILES[target]]
    before = {path: path.read_bytes() for path in failing}
    checkpoints = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    for _ in range(200):
        trainer.step()

    with monkeypatch.context() as patch:
        patch.setattr(target, raise_oserror(code))
        saved = trainer.save()
    assert {path: path.read_bytes() for path in failing} == before, "the previous file is intact"
    assert litter(tmp_path) == []
    if latest in failing:
        assert saved is None and load_checkpoint(latest)[1]["steps"] == 200
        assert sorted(p.name for p in latest.parent.iterdir()) == checkpoints, "no good one was pruned"
    else:
        assert saved == latest and load_checkpoint(latest)[1]["steps"] == 400
    assert trainer.save_failures == 1 and os.strerror(code) in trainer.last_save_error
    assert all(name in trainer.last_save_error for name in FAILING_FILES[target])
    notices = trainer.take_notices()
    assert notices == [trainer.last_save_error] and notices[0].endswith(".")

    for _ in range(200):
        trainer.step()  # training goes on, and the next save works again
    assert trainer.save() == latest and load_checkpoint(latest)[1]["steps"] == 600
    assert trainer.save_failures == 1
    trainer.close()


def test_a_full_disk_through_a_whole_run_does_not_stop_training(tmp_path, monkeypatch):
    monkeypatch.setattr("torch.save", raise_oserror(errno.ENOSPC))
    trainer = catch_trainer(TINY, tmp_path)
    trainer.train()
    trainer.close()
    assert trainer.steps == 600 and trainer.save_failures >= 3  # the checkpoints at 200, 400, 600
    assert not list((tmp_path / "checkpoints").glob("*.pt")) and litter(tmp_path) == []
    assert "No space left on device" in trainer.last_save_error
