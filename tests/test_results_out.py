"""Results out of a run: ``main.py evaluate`` and ``main.py plot``, provenance.json, the commands the end of
``train`` suggests, and a plain start-up that loads neither matplotlib nor TensorBoard."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import main
from game.catalog import find_game
from game.modes import provenance
from game.modes.runs import read_run
from game.modes.training import next_commands

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "main.py"
STEPS = 1_500  # a Catch run of a few seconds, evaluated every 500 steps


def main_py(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(MAIN), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def catch_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """One short Catch run, made once (about 4 s); tests that change it work on a copy."""
    cwd = tmp_path_factory.mktemp("results")
    flags = ["--steps", str(STEPS), "--out", "RUN", "--threads", "1", "--set", "eval_every_steps=500"]
    result = main_py("train", "catch", *flags, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result, cwd / "RUN"


def one_sentence(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in text, text
    assert lines[0].endswith("."), lines[0]
    return lines[0]


def test_the_end_of_train_says_how_to_watch_race_and_evaluate(catch_run):
    out = catch_run[0].stdout
    assert "python main.py arena catch --checkpoint RUN/checkpoints/latest.pt" in out
    assert "python main.py race catch --checkpoint RUN/checkpoints/latest.pt" in out
    assert "python main.py evaluate RUN" in out
    assert out.index("Done:") < out.index("python main.py evaluate RUN")


def test_a_two_player_game_suggests_versus_and_paths_are_quoted():
    text = next_commands(find_game("pong"), Path("runs/my pong"))
    assert "python main.py versus pong --checkpoint 'runs/my pong/checkpoints/latest.pt'" in text
    assert "race" not in text and "python main.py evaluate 'runs/my pong'" in text


def test_provenance_records_versions_command_and_commit(catch_run):
    payload = json.loads((catch_run[1] / "provenance.json").read_text())
    (session,) = payload["sessions"]
    assert session["step"] == 0 and session["argv"][1:4] == ["train", "catch", "--steps"]
    assert session["command"].startswith("python ") and "--out RUN" in session["command"]
    versions = session["versions"]
    assert {"python", "torch", "gymnasium", "ale-py", "numpy", "pygame-ce"} <= set(versions)
    assert versions["torch"] and versions["numpy"] and versions["python"].count(".") == 2
    commit = session["git"]["commit"]
    assert commit is None or (len(commit) == 40 and int(commit, 16) >= 0)


def test_provenance_outside_a_checkout_has_no_commit_and_a_resume_appends(tmp_path, monkeypatch):
    monkeypatch.setattr(provenance, "REPOSITORY", tmp_path)  # no .git there
    provenance.record_session(tmp_path, 0, ["main.py", "train", "catch"])
    path = provenance.record_session(tmp_path, 3_000, ["main.py", "train", "--resume", "RUN"])
    sessions = json.loads(path.read_text())["sessions"]
    assert [s["step"] for s in sessions] == [0, 3_000]
    assert sessions[1]["command"] == "python main.py train --resume RUN"
    assert sessions[0]["git"] == {"commit": None, "dirty": None}
    assert not list(tmp_path.glob(".*.tmp"))


def test_evaluate_prints_the_statistics_and_writes_them_as_json(catch_run, tmp_path):
    run = Path(shutil.copytree(catch_run[1], tmp_path / "RUN"))
    result = main_py("evaluate", "RUN", "--episodes", "6", "--seed", "4", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("Evaluating Catch (catch), trained 1,500 steps") and "6 games" in lines[0]
    assert (
        lines[1].startswith("mean ") and "std " in lines[1] and "over 6 episodes, 54 agent steps" in lines[1]
    )
    assert lines[-1] == "Written to RUN/evaluation.json"
    stats = json.loads((run / "evaluation.json").read_text())
    returns = np.array(stats["returns"])
    assert stats["episodes"] == 6 and len(returns) == 6 and stats["steps"] == sum(stats["lengths"]) == 54
    assert stats["mean"] == pytest.approx(returns.mean()) and stats["std"] == pytest.approx(returns.std())
    assert (stats["min"], stats["max"]) == (returns.min(), returns.max())
    assert stats["epsilon"] == 0.0 and stats["seed"] == 4 and stats["trained_steps"] == STEPS


def test_evaluate_a_checkpoint_file_writes_beside_it_and_is_seeded(catch_run, tmp_path, capsys):
    checkpoint = catch_run[1] / "checkpoints" / "best.pt"
    outs = [tmp_path / "a.json", tmp_path / "b.json"]
    threads = torch.get_num_threads()
    for out in outs:
        argv = ["evaluate", str(checkpoint), "--episodes", "5", "--epsilon", "0.5", "--out", str(out)]
        assert main.main(argv) == 0
    assert torch.get_num_threads() == threads, "the caller's torch threads are given back"
    first, second = (json.loads(out.read_text()) for out in outs)
    assert first["returns"] == second["returns"] and first["epsilon"] == 0.5  # same seed, same games
    assert (
        main.main(["evaluate", str(shutil.copy(checkpoint, tmp_path / "agent.pt")), "--episodes", "2"]) == 0
    )
    assert json.loads((tmp_path / "agent.evaluation.json").read_text())["episodes"] == 2
    capsys.readouterr()


@pytest.mark.parametrize("case", ["missing", "damaged", "foreign", "no-checkpoint", "zero-episodes"])
def test_evaluate_refuses_bad_input_in_one_sentence(catch_run, tmp_path, capsys, case):
    target = tmp_path / "target"
    args: list[str] = []
    if case == "damaged":
        data = (catch_run[1] / "checkpoints" / "latest.pt").read_bytes()
        target = tmp_path / "latest.pt"
        target.write_bytes(data[: len(data) // 2])
    elif case == "foreign":
        target = tmp_path / "notes.pt"
        target.write_text("not a checkpoint\n")
    elif case == "no-checkpoint":
        target.mkdir()
    elif case == "zero-episodes":
        target, args = catch_run[1], ["--episodes", "0"]
    assert main.main(["evaluate", str(target), *args]) == 2
    sentence = one_sentence(capsys.readouterr().err)
    assert {
        "missing": "There is no run directory or checkpoint",
        "damaged": "is damaged",
        "foreign": "is not a Q-Arcade checkpoint",
        "no-checkpoint": "holds no checkpoints/latest.pt",
        "zero-episodes": "--episodes must be at least 1",
    }[case] in sentence


def test_plot_of_two_runs_writes_a_png_with_curves(catch_run, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from PIL import Image

    other = Path(shutil.copytree(catch_run[1], tmp_path / "other"))
    out = tmp_path / "curves.png"
    assert main.main(["plot", str(catch_run[1]), str(other), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"Curves written to {out}"
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (1400, 560)
        pixels = np.asarray(image.convert("RGB"))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50, "lines, labels and numbers, not a blank page"
    assert not list(tmp_path.glob(".*.tmp"))


def test_plot_refuses_bad_runs_and_a_missing_matplotlib_in_one_sentence(
    catch_run, tmp_path, capsys, monkeypatch
):
    assert main.main(["plot", str(tmp_path / "nowhere"), "--out", str(tmp_path / "c.png")]) == 2
    assert "There is no run directory" in one_sentence(capsys.readouterr().err)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    assert main.main(["plot", str(catch_run[1]), "--out", str(tmp_path / "c.png")]) == 2
    assert 'pip install -e ".[plot]"' in one_sentence(capsys.readouterr().err)
    assert not (tmp_path / "c.png").exists()


def test_a_run_without_evaluations_still_reads(tmp_path):
    (tmp_path / "episodes.csv").write_text("step,episode,return,length,epsilon,wall_s\n9,1,1,9,0.5,0.1\n")
    run = read_run(tmp_path)
    assert len(run.eval_steps) == 0 and list(run.episode_means) == [1.0]


def test_plain_start_up_loads_neither_matplotlib_nor_tensorboard():
    code = (
        "import sys, io, contextlib, main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main.main(['games']) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'tensorboard')"
        " or m == 'torch.utils.tensorboard'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
