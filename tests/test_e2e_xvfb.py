"""The real program in a real X window: start it, press keys with xdotool, grab the screen."""

import os
import shutil
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
"$PYTHON" main.py play "$GAME" --seed 1 &
app=$!
win=$(xdotool search --sync --limit 1 --class q-arcade)
xdotool windowfocus --sync "$win"  # keys go to the focused window (SDL ignores sent events)
sleep 2
for key in $KEYS; do
  xdotool keydown "$key"; sleep 0.4; xdotool keyup "$key"
done
sleep 0.5
import -window root "$SHOT"
xdotool key Escape
wait $app
"""


def play_and_grab(game: str, keys: str, shot: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "SDL_AUDIODRIVER", "DISPLAY")}
    env.update(PYTHON=sys.executable, GAME=game, KEYS=keys, SHOT=str(shot), SDL_AUDIODRIVER="dummy")
    return subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "bash", "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )


@pytest.mark.parametrize("game", ["catch", "ALE/Pong-v5"])
def test_window_shows_the_game_and_escape_closes_it(tmp_path, game):
    shot = tmp_path / "screen.png"
    result = play_and_grab(game, "Left Right Up", shot)
    assert result.returncode == 0, result.stderr[-2000:]
    pixels = pygame.surfarray.array3d(pygame.image.load(str(shot)))
    assert pixels.shape[:2] == (1280, 800)
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    assert pixels.std() > 20 and len(colours) > 100, "the screen is blank"
    keep = Path(os.environ.get("Q_ARCADE_SHOTS", "")) if os.environ.get("Q_ARCADE_SHOTS") else None
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, keep / f"{game.replace('/', '_')}.png")
