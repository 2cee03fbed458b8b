"""One data folder for everything the program writes: where it is, that nothing is made before it is
written into, that every default follows it at use time, and ``main.py --data-dir``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import pygame
import pytest

import main
from game import places
from game.catalog import find_game
from game.errors import UserError
from game.modes.datasets import data_root
from game.modes.kiosk.booth import KioskConfig
from game.modes.recording import Recorder
from game.modes.runs import arena_run_dir, saved_agents
from game.ui.app import App

ROOT = Path(__file__).resolve().parent.parent


def main_py(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def one_sentence(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in text, text
    assert lines[0].endswith("."), lines[0]
    return lines[0]


# ---------------------------------------------------------------------- where the data folder is


def test_the_variable_names_the_data_folder_first(tmp_path, monkeypatch):
    monkeypatch.setenv(places.ENV_VAR, str(tmp_path / "mine"))
    assert places.data_dir() == tmp_path / "mine"
    assert places.runs_dir() == tmp_path / "mine" / "runs"
    assert places.datasets_dir() == tmp_path / "mine" / "datasets"
    assert places.recordings_dir() == tmp_path / "mine" / "recordings"
    assert places.screenshots_dir() == tmp_path / "mine" / "screenshots"
    assert places.leaderboard_path() == tmp_path / "mine" / "kiosk.sqlite3"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(places.ENV_VAR, "relative")  # taken from where the program runs, made absolute
    assert places.data_dir() == tmp_path / "relative"


@pytest.mark.skipif(places.source_checkout() is None, reason="the tests do not run from a source checkout")
def test_without_the_variable_a_checkout_keeps_its_data_whatever_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.delenv(places.ENV_VAR)
    monkeypatch.chdir(tmp_path)
    assert places.data_dir() == ROOT
    assert places.runs_dir() == ROOT / "runs" and places.runs_dir().is_absolute()
    monkeypatch.setenv(places.ENV_VAR, "")  # an empty variable counts as none
    assert places.data_dir() == ROOT


def test_installed_the_data_goes_to_the_users_data_folder(monkeypatch):
    monkeypatch.delenv(places.ENV_VAR)
    monkeypatch.setattr(places, "source_checkout", lambda: None)
    expected = Path(platformdirs.user_data_dir("q-arcade", appauthor=False))
    assert places.data_dir() == expected and places.runs_dir() == expected / "runs"


def test_a_checkout_is_main_py_beside_pyproject_toml_and_git(tmp_path, monkeypatch):
    monkeypatch.setattr(places, "CODE_DIR", tmp_path)
    (tmp_path / "main.py").write_text("")
    (tmp_path / "pyproject.toml").write_text("")
    assert places.source_checkout() is None  # an unpacked source tree: no .git
    (tmp_path / ".git").mkdir()
    assert places.source_checkout() == tmp_path


# ---------------------------------------------------------------------- made when written, or refused


def test_nothing_is_made_until_something_is_written(data_folder):
    for where in (places.runs_dir, places.datasets_dir, places.recordings_dir, places.screenshots_dir):
        places.check_writable(where())
    arena_run_dir(find_game("catch"))
    assert saved_agents(find_game("catch"))  # the shipped agents; no runs/ to look into yet
    assert not data_folder.exists()
    assert places.made(places.runs_dir()) == data_folder / "runs" and (data_folder / "runs").is_dir()


def test_a_file_where_the_data_folder_should_be_is_refused_in_one_sentence(tmp_path, monkeypatch):
    (tmp_path / "taken").write_text("a file")
    monkeypatch.setenv(places.ENV_VAR, str(tmp_path / "taken"))
    with pytest.raises(UserError, match="--data-dir") as refused:
        places.check_data_dir()
    one_sentence(str(refused.value))
    with pytest.raises(UserError, match=r"taken is a file") as refused:
        places.made(places.runs_dir())
    one_sentence(str(refused.value))


# ---------------------------------------------------------------------- every default follows the folder


def test_the_defaults_are_read_when_used_not_when_imported(tmp_path, monkeypatch):
    for name in ("first", "second"):
        folder = tmp_path / name
        monkeypatch.setenv(places.ENV_VAR, str(folder))
        assert arena_run_dir(find_game("catch")) == folder / "runs" / "arena-catch"
        assert data_root(None) == folder / "datasets" and data_root("mine") == Path("mine")
        kiosk = KioskConfig()
        assert kiosk.leaderboard_file == folder / "kiosk.sqlite3"
        assert kiosk.run_dir("catch", "expert") == folder / "runs" / "kiosk-catch-expert"
        env = find_game("catch").make_env("play")
        try:
            assert Recorder.for_env("catch", env).data_dir == folder / "datasets"
        finally:
            env.close()
    typed = KioskConfig(leaderboard="board.sqlite3", runs_dir="mine")  # paths a user types stay as typed
    assert typed.leaderboard_file == Path("board.sqlite3")
    assert typed.run_dir("catch", None) == Path("mine") / "kiosk-catch-new"


def test_f12_saves_into_the_data_folder_and_says_when_it_cannot(data_folder, tmp_path, monkeypatch):
    toasts: list[str] = []
    window = App(size=(160, 120))
    monkeypatch.setattr(window, "notify", toasts.append)
    window.open()
    try:
        assert isinstance(window.surface, pygame.Surface)
        shot = window.screenshot()
        assert shot is not None and shot.parent == data_folder / "screenshots" and shot.is_file()
        (tmp_path / "taken").write_text("a file")
        monkeypatch.setenv(places.ENV_VAR, str(tmp_path / "taken"))
        assert window.screenshot() is None and "is a file" in toasts[-1]
    finally:
        window.close()


# ---------------------------------------------------------------------- main.py --data-dir


def test_help_says_where_the_data_goes(data_folder):
    text = " ".join(main.build_parser().format_help().split())
    assert f"the data folder {data_folder} (chosen by --data-dir or {places.ENV_VAR})" in text


def test_data_dir_is_put_in_the_environment_as_an_absolute_path(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main.main(["--data-dir", "here", "games", "--kind", "arcade"]) == 0
    assert os.environ[places.ENV_VAR] == str(tmp_path / "here")  # what worker processes inherit
    assert "catch" in capsys.readouterr().out


def test_train_writes_its_run_into_the_data_dir(tmp_path, data_folder):
    result = main_py("--data-dir", "mine", "train", "catch", "--steps", "300", "--threads", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (run,) = (tmp_path / "mine" / "runs").iterdir()
    assert run.name.startswith("catch-") and (run / "checkpoints" / "latest.pt").is_file()
    assert str(run) in result.stdout  # the run's absolute path, to copy into the next command
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mine"] and not data_folder.exists()


def test_a_data_dir_that_is_a_file_ends_in_one_sentence_and_exit_2(tmp_path):
    (tmp_path / "taken").write_text("a file")
    result = main_py("--data-dir", "taken", "train", "catch", "--steps", "300", cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    message = one_sentence(result.stderr)
    assert str(tmp_path / "taken") in message and "--data-dir" in message
    assert sorted(path.name for path in tmp_path.iterdir()) == ["taken"]
