"""The real program in a real X window: start it, press keys with xdotool, grab the screen."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pygame
import pytest

ROOT = Path(__file__).resolve().parent.parent
IMPORT = "/usr/bin/import"  # ImageMagick's screen grabber (a 'convert' earlier on PATH may be another tool)

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.skipif(
        not (shutil.which("xvfb-run") and shutil.which("xdotool") and os.path.exists(IMPORT)),
        reason="needs xvfb-run, xdotool and ImageMagick (apt-get install xvfb xdotool imagemagick)",
    ),
]

SCRIPT = r"""
"$QA_PYTHON" main.py $QA_ARGS &
app=$!
win=$(timeout 60 xdotool search --sync --limit 1 --class q-arcade) || { kill $app; exit 3; }
xdotool windowfocus --sync "$win"  # keys go to the focused window (SDL ignores sent events)
sleep "$QA_SETTLE"
for key in $QA_KEYS; do
  xdotool keydown "$key"; sleep 0.4; xdotool keyup "$key"
done
sleep 0.5
import -window root "$QA_SHOT"
for key in $QA_QUIT_KEYS; do xdotool key "$key"; sleep 0.5; done
wait $app
"""


def run_and_grab(
    args: str, keys: str, shot: Path, settle_s: float = 2, quit_keys: str = "Escape"
) -> subprocess.CompletedProcess:
    """Run ``main.py ARGS`` in a virtual screen, press ``keys``, grab the screen, quit with ``quit_keys``."""
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "SDL_AUDIODRIVER", "DISPLAY")}
    env.update(
        QA_PYTHON=sys.executable,
        QA_ARGS=args,
        QA_KEYS=keys,
        QA_SHOT=str(shot),
        QA_SETTLE=str(settle_s),
        QA_QUIT_KEYS=quit_keys,
        SDL_AUDIODRIVER="dummy",
    )
    command = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "bash", "-c", SCRIPT]
    with subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the program, the screen and xdotool: nothing left behind
            stdout, stderr = process.communicate()
            raise AssertionError(f"the program did not finish: {stderr[-2000:]}") from None
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


@pytest.mark.parametrize("game", ["catch", "ALE/Pong-v5"])
def test_window_shows_the_game_and_escape_closes_it(tmp_path, game):
    shot = tmp_path / "screen.png"
    result = run_and_grab(f"play {game} --seed 1", "Left Right Up", shot)
    assert result.returncode == 0, result.stderr[-2000:]
    pixels = screen(shot, game)
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    assert pixels.std() > 20 and len(colours) > 100, "the screen is blank"


def screen(shot: Path, name: str) -> np.ndarray:
    """The grabbed screen's pixels (and a copy kept in $Q_ARCADE_SHOTS when set, to look at)."""
    pixels = pygame.surfarray.array3d(pygame.image.load(str(shot)))
    assert pixels.shape[:2] == (1280, 800)
    if os.environ.get("Q_ARCADE_SHOTS"):
        keep = Path(os.environ["Q_ARCADE_SHOTS"])
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, keep / f"{name.replace('/', '_')}.png")
    return pixels


@pytest.mark.slow
def test_arena_shows_the_game_the_bars_and_the_gauge(tmp_path):
    shot = tmp_path / "arena.png"
    run = tmp_path / "run"
    # ESC leaves the arena for the menu (saving the agent), a second ESC quits.
    result = run_and_grab(f"arena catch --run {run}", "", shot, settle_s=25, quit_keys="Escape Escape")
    assert result.returncode == 0, result.stderr[-2000:]
    pixels = screen(shot, "arena_catch")
    game, side = pixels[:800], pixels[830:]  # the game on the left, the overlays on the right
    assert game.std() > 20, "the game is drawn"
    greedy_green = np.all(np.abs(side.astype(int) - [92, 214, 140]) < 40, axis=-1)
    assert greedy_green.sum() > 200, "the Q-value bars are drawn (a greedy bar is green)"
    gauge_violet = np.all(np.abs(side.astype(int) - [180, 120, 250]) < 60, axis=-1)
    assert gauge_violet.sum() > 50, "the epsilon gauge is drawn"
    assert (run / "checkpoints" / "latest.pt").is_file(), "leaving the arena saved the agent"


@pytest.mark.slow
def test_kiosk_keeps_visitors_in_and_the_operator_quits_it(tmp_path):
    shot = tmp_path / "kiosk.png"
    board = tmp_path / "board.sqlite3"
    # ESC and Alt+F4 must not end the kiosk: the screen grabbed after them still shows it.
    result = run_and_grab(
        f"kiosk --games catch --leaderboard {board}",
        "Escape alt+F4 F11",
        shot,
        settle_s=12,
        quit_keys="ctrl+shift+q",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    pixels = screen(shot, "kiosk_catch")
    assert pixels.std() > 20 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 100, "the kiosk is on screen"
