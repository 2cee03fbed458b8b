"""``python main.py train`` as a user runs it: a run directory, resume, Ctrl-C, settings files, and
bad input that ends in one sentence with exit status 2."""

from __future__ import annotations

import csv
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from agents.checkpoint import load_checkpoint
from game.errors import UserError
from game.modes.training import TrainRequest, run_training
from game.presets import preset, with_overrides

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "main.py"


def main_py(
    *args: str, cwd: Path, env: dict | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(MAIN), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as file:
        return list(csv.reader(file))


def steps_of(run: Path) -> int:
    return load_checkpoint(run / "checkpoints" / "latest.pt")[1]["steps"]


@pytest.fixture(scope="module")
def catch_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """One 3,000-step Catch run, made once; a test that changes it works on a copy."""
    cwd = tmp_path_factory.mktemp("catch")
    return main_py("train", "catch", "--steps", "3000", "--out", "RUN", cwd=cwd), cwd / "RUN"


def copy_of(run: Path, cwd: Path) -> Path:
    return Path(shutil.copytree(run, cwd / "RUN"))


def test_train_writes_a_run_directory_and_reports_progress(catch_run):
    result, run = catch_run
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith("Training: Catch (catch) to 3,000 steps")
    done = next(line for line in result.stdout.splitlines() if line.startswith("Done: "))  # "Next:" follows
    assert done.startswith("Done: 3,000 steps,") and "RUN/checkpoints/latest.pt" in done, done
    progress = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert progress and "3,000/3,000" in progress[-1] and "steps/s" in progress[-1], result.stderr

    for name in ("config.json", "episodes.csv", "train.csv", "eval.csv", "checkpoints/latest.pt"):
        assert (run / name).is_file(), name
    config = json.loads((run / "config.json").read_text())
    assert config["game_id"] == "catch" and config["train"]["total_steps"] == 3_000
    assert [row[0] for row in rows(run / "eval.csv")] == ["step", "1000", "2000", "3000"]
    assert len(rows(run / "episodes.csv")) > 300  # 9-step games
    assert rows(run / "train.csv")[0][:2] == ["step", "updates"]
    assert steps_of(run) == 3_000


def test_resume_continues_from_the_latest_checkpoint(catch_run, tmp_path):
    run = copy_of(catch_run[1], tmp_path)
    episodes_before = load_checkpoint(run / "checkpoints" / "latest.pt")[1]["episodes"]
    result = main_py("train", "--resume", "RUN", "--steps", "4000", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Resuming at step 3,000: Catch (catch) to 4,000 steps")
    _, metadata = load_checkpoint(run / "checkpoints" / "latest.pt", {"game_id": "catch"})
    assert metadata["steps"] == 4_000 and metadata["episodes"] > episodes_before + 100
    assert [row[0] for row in rows(run / "eval.csv")] == ["step", "1000", "2000", "3000", "4000"]
    assert [row[0] for row in rows(run / "episodes.csv")].count("step") == 1


def ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell does for a job started with '&'


@pytest.mark.parametrize(
    ("stop", "start_in_background"),
    [(signal.SIGINT, False), (signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c", "kill-int-background", "kill"],
)
def test_ctrl_c_or_kill_saves_and_says_how_to_resume(tmp_path, stop, start_in_background):
    command = [sys.executable, str(MAIN), "train", "catch", "--steps", "1000000", "--out", "RUN"]
    command += ["--set", "checkpoint_every_steps=500", "--set", "eval_every_steps=0"]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ignore_sigint if start_in_background else None,
    )
    latest = tmp_path / "RUN" / "checkpoints" / "latest.pt"
    deadline = time.monotonic() + 120
    while not latest.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert process.poll() is None, process.communicate()
    process.send_signal(stop)
    stdout, stderr = process.communicate(timeout=120)

    assert process.returncode == 130, (stdout, stderr)
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    said = [line for line in stderr.splitlines() if line and not line.startswith("[")]  # no progress lines
    assert len(said) == 1 and "--resume RUN" in said[0], stderr
    assert steps_of(tmp_path / "RUN") >= 500


def not_a_run(tmp_path: Path, run: Path) -> list[str]:
    (tmp_path / "somewhere").mkdir()
    return ["train", "--resume", "somewhere"]


def truncated_checkpoint(tmp_path: Path, run: Path) -> list[str]:
    for path in (copy_of(run, tmp_path) / "checkpoints").glob("*.pt"):  # no good one left to fall back on
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return ["train", "--resume", "RUN"]


def random_bytes_checkpoint(tmp_path: Path, run: Path) -> list[str]:
    for path in (copy_of(run, tmp_path) / "checkpoints").glob("*.pt"):
        path.write_bytes(os.urandom(4096))
    return ["train", "--resume", "RUN"]


def checkpoint_of_another_game(tmp_path: Path, run: Path) -> list[str]:
    config = copy_of(run, tmp_path) / "config.json"
    config.write_text(config.read_text().replace('"game_id": "catch"', '"game_id": "snake"'))
    return ["train", "--resume", "RUN"]


def damaged_replay(tmp_path: Path, run: Path) -> list[str]:
    replay = copy_of(run, tmp_path) / "replay.replay.npz"
    replay.write_bytes(replay.read_bytes()[:1000])
    return ["train", "--resume", "RUN"]


def network_changed_on_resume(tmp_path: Path, run: Path) -> list[str]:
    copy_of(run, tmp_path)
    return ["train", "--resume", "RUN", "--set", "dqn.hidden=32"]


def already_trained(tmp_path: Path, run: Path) -> list[str]:
    copy_of(run, tmp_path)
    return ["train", "--resume", "RUN", "--steps", "2000"]


def toml_with_an_unknown_key(tmp_path: Path, run: Path) -> list[str]:
    (tmp_path / "bad.toml").write_text("total_steps = 100\nbogus = 3\n")
    return ["train", "catch", "--config", "bad.toml"]


def out_holds_a_run(tmp_path: Path, run: Path) -> list[str]:
    copy_of(run, tmp_path)
    return ["train", "catch", "--out", "RUN"]


def fixed(*args: str) -> Callable[[Path, Path], list[str]]:
    return lambda tmp_path, run: list(args)


BAD_INPUT = {
    "not-a-run": (not_a_run, "not a run directory"),
    "truncated-checkpoint": (truncated_checkpoint, "damaged"),
    "random-bytes-checkpoint": (random_bytes_checkpoint, "not a Q-Arcade checkpoint"),
    "another-game": (checkpoint_of_another_game, "made for game 'catch'"),
    "damaged-replay": (damaged_replay, "replay"),
    "network-changed-on-resume": (network_changed_on_resume, "dqn.hidden"),
    "unknown-setting": (fixed("train", "catch", "--set", "nosuch=1"), "'nosuch'"),
    "setting-of-the-wrong-type": (fixed("train", "catch", "--set", "learning_starts=abc"), "learning_starts"),
    "invalid-setting": (fixed("train", "catch", "--set", "num_envs=0"), "num_envs"),
    "missing-config": (fixed("train", "catch", "--config", "missing.toml"), "missing.toml"),
    "toml-with-unknown-key": (toml_with_an_unknown_key, "'bogus'"),
    "zero-steps": (fixed("train", "catch", "--steps", "0"), "--steps"),
    "games-without-self-play": (fixed("train", "catch", "--games", "100"), "--self-play"),
    "zero-self-play-games": (fixed("train", "tictactoe", "--self-play", "--games", "0"), "--games"),
    "out-holds-a-run": (out_holds_a_run, "--resume RUN"),
    "no-game": (fixed("train"), "Name a game"),
}
if Path("/proc/meminfo").is_file():  # where the available memory is known
    BAD_INPUT["replay-the-machine-cannot-hold"] = (
        fixed("train", "catch", "--set", "dqn.replay_capacity=10000000000", "--out", "RUN"),
        "dqn.replay_capacity=10,000,000,000 needs",
    )


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_ends_in_one_sentence_and_exit_status_2(case, catch_run, tmp_path):
    make_args, expected = BAD_INPUT[case]
    args = make_args(tmp_path, catch_run[1])
    config = tmp_path / "RUN" / "config.json"
    config_before = config.read_bytes() if config.exists() else None
    result = main_py(*args, cwd=tmp_path, timeout=120)
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    message = result.stderr.strip()
    assert message and "\n" not in message and "Traceback" not in message, message
    assert message.endswith((".", "?")) and expected in message, message
    if config_before is not None:
        assert config.read_bytes() == config_before  # a refused resume leaves the run as it was


def test_a_damaged_checkpoint_and_metrics_file_at_start_are_said_and_the_run_goes_on(catch_run, tmp_path):
    run = copy_of(catch_run[1], tmp_path)
    assert sorted(p.name for p in (run / "checkpoints").glob("step-*.pt")) == [
        "step-0000002000.pt",
        "step-0000003000.pt",
    ]
    (run / "checkpoints" / "latest.pt").write_bytes(os.urandom(4096))
    (run / "checkpoints" / "step-0000003000.pt").write_bytes(b"")
    (run / "episodes.csv").write_bytes(os.urandom(4096))
    result = main_py("train", "--resume", "RUN", "--steps", "2500", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    said = [line for line in result.stderr.splitlines() if line and not line.startswith("[")]
    assert len(said) == 2, result.stderr
    assert "latest.pt could not be loaded" in said[0] and "step-0000002000.pt, at step 2,000." in said[0]
    assert "episodes.csv was damaged; it is kept as episodes.csv.damaged-" in said[1]
    assert result.stdout.startswith("Resuming at step 2,000: Catch (catch) to 2,500 steps")
    assert steps_of(run) == 2_500 and len(list(run.glob("episodes.csv.damaged-*"))) == 1


def test_a_learning_rate_that_blows_up_stops_with_the_last_good_weights(tmp_path):
    args = ["train", "catch", "--steps", "3000", "--out", "RUN", "--set", "dqn.learning_rate=1e30"]
    result = main_py(*args, cwd=tmp_path)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    said = [line for line in result.stderr.splitlines() if line and not line.startswith("[")]
    assert "not learned from" in said[0] and "Learning stopped at step" in said[-2], result.stderr
    assert said[-1].startswith("Stopped early:"), result.stderr
    state, _ = load_checkpoint(tmp_path / "RUN" / "checkpoints" / "latest.pt")
    assert all(torch.isfinite(t).all() for t in state["model"]["network"].values())


def test_a_full_disk_is_said_and_training_goes_on_to_the_end(tmp_path, monkeypatch, capsys):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("torch.save", full)
    request = TrainRequest("catch", steps=1_200, out=str(tmp_path / "RUN"), threads=1)
    assert run_training(request) == 1  # trained to the end, but nothing could be kept
    out, err = capsys.readouterr()
    said = [line for line in err.splitlines() if line and not line.startswith("[")]
    assert said and all(line.startswith("Could not write checkpoints/") for line in said), err
    assert "No space left on device" in said[-1] and "training goes on" in said[-1]
    assert out.splitlines()[-1].startswith("Done: 1,200 steps,") and "none could be saved" in out
    assert not list((tmp_path / "RUN" / "checkpoints").glob("*"))


def test_a_toml_file_overrides_the_preset_and_set_overrides_the_file(tmp_path):
    (tmp_path / "mine.toml").write_text(
        "total_steps = 1500\nlearning_starts = 250\neval_every_steps = 0\n[dqn]\nlearning_rate = 0.002\n"
    )
    args = ["train", "catch", "--config", "mine.toml", "--set", "learning_starts=300", "--out", "RUN"]
    result = main_py(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    train = json.loads((tmp_path / "RUN" / "config.json").read_text())["train"]
    assert (train["total_steps"], train["learning_starts"], train["eval_every_steps"]) == (1_500, 300, 0)
    assert train["dqn"]["learning_rate"] == 0.002
    assert train["dqn"]["hidden"] == [64, 64] and train["checkpoint_every_steps"] == 2_000  # the preset's
    state, metadata = load_checkpoint(tmp_path / "RUN" / "checkpoints" / "latest.pt")
    assert metadata["steps"] == 1_500 and metadata["updates"] == 1_500 - 300 + 1
    assert state["optimizer"]["param_groups"][0]["lr"] == 0.002
    assert not (tmp_path / "RUN" / "eval.csv").exists()


@pytest.mark.slow
def test_atari_trains_checkpoints_and_resumes(tmp_path):
    settings = ["learning_starts=400", "num_envs=2", "eval_every_steps=0", "checkpoint_every_steps=600"]
    settings.append("dqn.replay_capacity=5000")  # the preset's 200k frames would be 1.4 GB if filled
    flags = [arg for setting in settings for arg in ("--set", setting)]
    # numpy's OpenBLAS threads spin against each other on a busy two-core machine and make the
    # frame preprocessing several times slower; one thread keeps this test cheap.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    result = main_py("train", "ALE/Pong-v5", "--steps", "1200", *flags, "--out", "RUN", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    run = tmp_path / "RUN"
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "latest.pt",
        "step-0000000600.pt",
        "step-0000001200.pt",
    ]
    expected = {"game_id": "ALE/Pong-v5", "observation_shape": [4, 84, 84], "n_actions": 6}
    _, metadata = load_checkpoint(run / "checkpoints" / "latest.pt", expected)
    assert metadata["steps"] == 1_200
    assert metadata["updates"] == 100  # one per 8 agent steps from step 400 on
    assert metadata["config"]["num_envs"] == 2 and metadata["config"]["dqn"]["replay_capacity"] == 5_000

    result = main_py("train", "--resume", "RUN", "--steps", "1600", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Resuming at step 1,200: Pong (ALE/Pong-v5) to 1,600 steps, 2 env(s)")
    _, metadata = load_checkpoint(run / "checkpoints" / "latest.pt", expected)
    assert (metadata["steps"], metadata["updates"]) == (1_600, 150)


@pytest.mark.slow
def test_self_play_trains_a_table_that_does_not_lose(tmp_path):
    from agents.tabular import load_table

    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "train",
            "tictactoe",
            "--self-play",
            "--games",
            "20000",
            "--out",
            "RUN",
            "--seed",
            "0",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    done = result.stdout.strip().splitlines()[-1]
    assert done.startswith("Done in") and " 0 lost of 50" in done, done
    assert len(load_table(tmp_path / "RUN" / "qtable.npz").q) > 4000
    refused = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "train", "catch", "--self-play"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2 and "two-player" in refused.stderr and "Traceback" not in refused.stderr


def test_set_gives_an_unset_optional_setting_the_type_it_is_declared_with():
    config = with_overrides(preset("atari"), {"epsilon_end_max": "0.1", "dqn.hidden": "256,128"}, "--set")
    assert config.epsilon_end_max == 0.1 and config.dqn.hidden == (256, 128)
    with pytest.raises(UserError, match="'epsilon_end_max' in --set cannot be 'lots'"):
        with_overrides(preset("atari"), {"epsilon_end_max": "lots"}, "--set")
