"""Recording play as Minari datasets: the transitions played come back exactly (through Minari's own API
too), recordings append, a crash mid-save keeps the previous dataset, and the arena's worker records a
person's take-over."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from game.catalog import find_game
from game.errors import UserError
from game.modes import dataset_writes
from game.modes.datasets import list_datasets, load_transitions, play_dataset_id, require_minari
from game.modes.protocol import HandBack, HumanAction, Record, SessionConfig, TakeOver
from game.modes.recording import Recorder

minari = pytest.importorskip("minari")
ROOT = Path(__file__).resolve().parent.parent
CATCH_ID = "q-arcade/catch/play-v0"


def play_catch(recorder: Recorder, episodes: int, seed: int) -> list[dict[str, list]]:
    """Play Catch with random keys through ``recorder``; returns what was played, per episode."""
    env = find_game("catch").make_env("train")
    rng = np.random.default_rng(seed)
    played = []
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode)
        record: dict[str, list] = {k: [] for k in ("obs", "actions", "rewards", "term", "trunc")}
        record["obs"].append(obs)
        done = False
        while not done:
            action = int(rng.integers(3))
            next_obs, reward, terminated, truncated, _ = env.step(action)
            recorder.add(obs, action, reward, next_obs, terminated, truncated)
            record["obs"].append(next_obs)
            record["actions"].append(action)
            record["rewards"].append(reward)
            record["term"].append(terminated)
            record["trunc"].append(truncated)
            obs, done = next_obs, terminated or truncated
        played.append(record)
    env.close()
    return played


def catch_recorder(data_dir: Path) -> Recorder:
    env = find_game("catch").make_env("train")
    recorder = Recorder.for_env("catch", env, data_dir)
    env.close()
    return recorder


def assert_same(episode, record: dict[str, list]) -> None:
    np.testing.assert_array_equal(episode.observations, np.stack(record["obs"]))
    np.testing.assert_array_equal(episode.actions, record["actions"])
    np.testing.assert_array_equal(episode.rewards, record["rewards"])
    np.testing.assert_array_equal(episode.terminations, record["term"])
    np.testing.assert_array_equal(episode.truncations, record["trunc"])


def test_a_recording_round_trips_through_minari_and_appends(tmp_path, monkeypatch):
    data = tmp_path / "data"
    recorder = catch_recorder(data)
    recorder.start()
    first = play_catch(recorder, episodes=3, seed=0)
    assert recorder.episodes == 3 and recorder.steps == sum(len(r["actions"]) for r in first)
    result = recorder.stop()
    assert result is not None and result.dataset_id == CATCH_ID == play_dataset_id("catch")
    assert (result.total_episodes, result.episodes_added) == (3, 3)

    monkeypatch.setenv("MINARI_DATASETS_PATH", str(data))  # Minari's own API, the data folder as its root
    loaded = list(minari.load_dataset(CATCH_ID).iterate_episodes())
    assert len(loaded) == 3
    for episode, record in zip(loaded, first, strict=True):
        assert_same(episode, record)
        lag = 3  # Catch steps at 10 a second: 0.25 s is 2.5 steps, rounded to 3
        np.testing.assert_array_equal(
            episode.infos["seen_index"], np.maximum(0, np.arange(len(episode) + 1) - lag)
        )

    recorder.start()
    second = play_catch(recorder, episodes=2, seed=100)
    assert recorder.stop().total_episodes == 5
    loaded = list(minari.load_dataset(CATCH_ID).iterate_episodes())
    assert len(loaded) == 5, "the second recording adds episodes"
    for episode, record in zip(loaded, first + second, strict=True):
        assert_same(episode, record)  # and the first ones are kept as they were

    flat = load_transitions(CATCH_ID, data)
    every = first + second
    np.testing.assert_array_equal(flat.obs, np.concatenate([np.stack(r["obs"][:-1]) for r in every]))
    np.testing.assert_array_equal(flat.next_obs, np.concatenate([np.stack(r["obs"][1:]) for r in every]))
    np.testing.assert_array_equal(flat.actions, np.concatenate([r["actions"] for r in every]))
    (info,) = list_datasets(data)
    assert (info.id, info.game, info.episodes, info.steps) == (CATCH_ID, "catch", 5, len(flat))
    assert info.mean_return == pytest.approx(np.mean([sum(r["rewards"]) for r in every]))


def test_an_episode_in_progress_is_saved_truncated_and_gaps_split_episodes(tmp_path):
    recorder = catch_recorder(tmp_path)
    recorder.start()
    a, b, c = (np.array([0.0, x, 0.5], np.float32) for x in (0.0, 0.25, 0.5))
    recorder.add(a, 0, 0.0, b, False, False)
    recorder.add(c, 1, 0.0, a, False, False)  # does not follow b: the first episode is cut there
    recorder.add(a, 2, 0.0, b, False, False)  # follows: the same episode
    recorder.add(c, 0, 0.0, b, False, False)  # does not follow: a third one
    result = recorder.stop()
    assert result.total_episodes == 3 and result.total_steps == 4
    flat = load_transitions(CATCH_ID, tmp_path)
    np.testing.assert_array_equal(flat.truncated, [True, False, True, True])
    np.testing.assert_array_equal(flat.terminated, [False, False, False, False])
    np.testing.assert_array_equal(flat.actions, [0, 1, 2, 0])
    assert not recorder.recording and recorder.stop() is None, "nothing left to save"


def test_a_crash_between_the_two_renames_keeps_the_previous_dataset(tmp_path, monkeypatch):
    recorder = catch_recorder(tmp_path)
    recorder.start()
    play_catch(recorder, episodes=2, seed=0)
    recorder.stop()
    real_rename = os.rename

    def crash_on_the_second(source, target):
        if Path(source).name == "play-v0" and ".staging-" in str(source):
            raise OSError("power cut")
        real_rename(source, target)

    monkeypatch.setattr(dataset_writes.os, "rename", crash_on_the_second)
    recorder.start()
    play_catch(recorder, episodes=1, seed=50)
    with pytest.raises(OSError, match="power cut"):
        recorder.stop()
    assert not (tmp_path / CATCH_ID).exists(), "the crash came between the renames"
    monkeypatch.setattr(dataset_writes.os, "rename", real_rename)
    assert [info.episodes for info in list_datasets(tmp_path)] == [2], "the previous dataset is back whole"
    assert recorder.pending == 1, "the episode that failed to save is kept"
    assert recorder.save().total_episodes == 3
    assert not list(tmp_path.glob(".staging-*")), "no staging folder is left behind"


def test_a_failed_write_leaves_the_dataset_untouched(tmp_path, monkeypatch):
    recorder = catch_recorder(tmp_path)
    recorder.start()
    play_catch(recorder, episodes=2, seed=0)
    recorder.stop()
    before = sorted(p.read_bytes() for p in (tmp_path / CATCH_ID).rglob("*") if p.is_file())

    def broken(self, buffer):
        raise OSError("disk full")

    monkeypatch.setattr(minari.MinariDataset, "update_dataset_from_buffer", broken)
    recorder.start()
    play_catch(recorder, episodes=1, seed=9)
    assert "could not be saved (disk full)" in recorder.finish()
    after = sorted(p.read_bytes() for p in (tmp_path / CATCH_ID).rglob("*") if p.is_file())
    assert after == before


def test_without_minari_recording_is_refused_in_one_sentence(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "minari", None)
    with pytest.raises(UserError, match=r'pip install -e "\.\[offline\]"'):
        require_minari()
    with pytest.raises(UserError):
        catch_recorder(tmp_path).start()
    code = (
        f"import runpy, sys; sys.path.insert(0, {str(ROOT)!r}); sys.modules['minari'] = None;"
        "sys.argv = ['main.py', 'datasets'];"
        f"runpy.run_path({str(ROOT / 'main.py')!r}, run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "[offline]" in done.stderr


def test_the_plain_app_does_not_import_minari_or_h5py():
    code = (
        "import sys, main, game.modes.session, game.modes.recording, game.modes.offline_training;"
        "main.build_parser(); assert not {'minari', 'h5py'} & set(sys.modules), sorted(sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_worker_records_a_take_over_only(tmp_path):
    from game.modes.session import Session

    session = Session(SessionConfig("catch", str(tmp_path / "run"), data_dir=str(tmp_path / "data")))
    try:
        session.handle(Record(True))
        for _ in range(3):  # the agent's own play is not recorded
            assert session.showcase_step().recording
        assert session.recorder.steps == 0
        session.handle(TakeOver())
        session.handle(HumanAction(2))
        played = []
        episodes = 0
        while episodes < 2:
            obs = session.obs.copy()
            snapshot = session.showcase_step()
            played.append(obs)
            episodes = snapshot.recorded_episodes
        assert snapshot.recorded_steps == len(played) and snapshot.controller == "human"
        session.showcase_step()  # a step of a third episode, then the agent plays again: it is cut there
        session.handle(HandBack())
        session.showcase_step()
        session.handle(Record(False))
        assert "Saved" in session.notices[-1]
        flat = load_transitions(CATCH_ID, tmp_path / "data")
        assert len(flat) == len(played) + 1 and set(flat.actions.tolist()) == {2}
        np.testing.assert_array_equal(flat.obs[: len(played)], np.stack(played))
        assert flat.terminated[: len(played)].sum() == 2 and flat.truncated[-1]
        assert not session.showcase_step().recording
    finally:
        session.close()


def test_a_relative_data_folder_records_and_loads(tmp_path, monkeypatch):
    """A data folder typed as a relative path (``--data datasets``) is taken from where the program runs."""
    monkeypatch.chdir(tmp_path)
    recorder = catch_recorder(Path("datasets"))
    played = []
    for seed in (1, 2):  # a new dataset, then an append to it
        recorder.start()
        played += play_catch(recorder, episodes=2, seed=seed)
        assert recorder.stop() is not None
    data = load_transitions(play_dataset_id("catch"), "datasets")
    assert len(data) == sum(len(episode["actions"]) for episode in played)
