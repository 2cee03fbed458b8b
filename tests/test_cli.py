"""main.py as a user runs it: listings, and bad input ending in one sentence with exit status 2."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def main_py(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    environment = dict(os.environ) if env is None else env
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_games_lists_the_whole_catalog():
    result = main_py("games")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert sum("ALE/" in line for line in lines) >= 100
    for game_id in ("catch", "snake", "runner", "pong", "gridworld", "tictactoe", "CartPole-v1"):
        assert any(line.split()[1:2] == [game_id] or f" {game_id} " in line for line in lines), game_id


def test_version_names_the_package():
    result = main_py("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("q-arcade 0.")


def test_games_filtered_by_kind():
    result = main_py("games", "--kind", "arcade")
    assert result.returncode == 0
    assert "ALE/" not in result.stdout and "catch" in result.stdout


def one_sentence_exit_2(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    message = result.stderr.strip()
    assert message and "\n" not in message and "Traceback" not in message, message
    return message


def test_unknown_game():
    message = one_sentence_exit_2(main_py("play", "snkae"))
    assert "snake" in message


def test_continuous_game():
    assert "discrete" in one_sentence_exit_2(main_py("play", "MountainCarContinuous-v0"))


@pytest.mark.parametrize("args", [("--bogus",), ("play",), ("fly",), ("play", "catch", "--seed", "x")])
def test_bad_flags(args):
    one_sentence_exit_2(main_py(*args))


def test_no_display_says_so():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    message = one_sentence_exit_2(main_py("play", "catch", env=env))
    assert "display" in message.lower() and "xvfb-run" in message


def test_arena_bad_input_ends_in_one_sentence(tmp_path):
    assert "catch" in one_sentence_exit_2(main_py("arena", "cacth"))
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint at all")
    assert "broken.pt" in one_sentence_exit_2(main_py("arena", "catch", "--checkpoint", str(broken)))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    assert "xvfb-run" in one_sentence_exit_2(main_py("arena", env=env))


def test_an_unknown_game_is_named_even_without_a_display():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    message = one_sentence_exit_2(main_py("play", "snkae", env=env))
    assert "snake" in message and "display" not in message.lower()


def test_the_listing_into_a_closed_pipe_ends_quietly():
    result = subprocess.run(
        f"'{sys.executable}' main.py games | head -1", shell=True, cwd=ROOT, capture_output=True, text=True
    )
    assert result.stdout.startswith("Home-made games") and "Traceback" not in result.stderr
