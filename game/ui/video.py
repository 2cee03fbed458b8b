"""``main.py record``: a trained agent's play as an MP4, drawn off-screen with the arena's own widgets.

:mod:`game.modes.video` plays the game and hands over one Snapshot per agent step; :class:`VideoCanvas`
draws it on a surface of ``VIDEO_SIZE`` that no window shows: the game's frame scaled up on the left,
the Q-bars and the epsilon gauge on the right, fed from the snapshot as the arena feeds them, and the
score along the bottom. The frames go through the recorder's MP4 writer into a hidden file beside the
target, renamed into place only once the video is whole.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pygame

from game.errors import UserError
from game.modes.evaluation import acting_threads
from game.modes.protocol import Snapshot
from game.modes.video import AgentShow, Recording, VideoRequest, check_request, default_path, open_show
from game.ui import theme
from game.ui.recorder import describe_error, partial_path, write_mp4
from game.ui.widgets.draw import elide
from game.ui.widgets.frame import draw_frame
from game.ui.widgets.gauge import EpsilonGauge
from game.ui.widgets.qbars import QBars
from game.ui.widgets.text import draw_chrome, draw_text

VIDEO_SIZE = (1280, 720)  # 720p: both sides even, as H.264's halved colour needs, and sharp on any screen
SIDE_SHARE = 0.36  # the widgets' column, as a share of the width (the arena's)
BARS_SHARE = 0.68  # the Q-bars' share of the column's height; the epsilon gauge takes the rest
TITLE = "Q-Arcade"  # signs the video, bottom right


class VideoCanvas:
    """One video frame at a time: the newest snapshot's widgets around the game's current frame.

    ``take(snapshot)`` draws everything but the game (once per agent step); ``image(frame)`` draws one
    display frame into its place and returns the whole picture as (height, width, 3) uint8.
    """

    def __init__(self, show: AgentShow, size: tuple[int, int] = VIDEO_SIZE):
        w, h = size
        assert w % 2 == 0 and h % 2 == 0, f"a video's sides are even, not {size}"
        self.show = show
        self.surface = pygame.Surface(size)
        self.qbars = QBars(len(show.labels), show.labels)
        self.gauge = EpsilonGauge()
        self.chrome = draw_chrome(self.surface, show.spec.full_title)
        bar = self.chrome.top.height
        side_w = int(w * SIDE_SHARE)
        self.game_area = pygame.Rect(0, bar, w - side_w, h - 2 * bar).inflate(-bar // 2, -bar // 2)
        side = pygame.Rect(w - side_w, bar, side_w, h - 2 * bar).inflate(-bar // 3, -bar // 3)
        bars_h = int(side.height * BARS_SHARE)
        self.bars = pygame.Rect(side.x, side.y, side.width, bars_h)
        self.epsilon = pygame.Rect(side.x, self.bars.bottom, side.width, side.height - bars_h)

    def take(self, snapshot: Snapshot) -> None:
        """Feed the widgets one agent step, as the arena does, and draw all but the game's picture."""
        s = snapshot
        assert s.q_values is not None, "an agent step carries its Q-values"
        self.qbars.update(s.q_values, s.action, s.greedy_action, s.explored, value=s.value)
        self.gauge.update(s.epsilon, s.explored, s.steps)  # a fixed epsilon: no schedule to draw
        chrome = draw_chrome(self.surface, self.show.spec.full_title)
        trained = f"  ·  trained {self.show.trained_steps:,} steps" if self.show.trained_steps else ""
        banner_px = chrome.size * 3 // 4
        where = (chrome.top.right - chrome.top.height // 2, chrome.top.centery)
        draw_text(
            self.surface, f"THE AGENT IS PLAYING{trained}", where, banner_px, theme.GOOD, "midright", True
        )
        self.qbars.draw(self.surface, self.bars)
        self.gauge.draw(self.surface, self.epsilon)
        pad, y = chrome.top.height // 2, chrome.bottom.centery
        mark = draw_text(
            self.surface, TITLE, (chrome.bottom.right - pad, y), chrome.small, theme.TEXT_DIM, "midright"
        )
        draw_text(
            self.surface,
            elide(self._status(snapshot), theme.font(chrome.small), mark.left - 2 * pad),
            (pad, y),
            chrome.small,
            theme.TEXT,
            "midleft",
        )

    def _status(self, snapshot: Snapshot) -> str:
        finished = snapshot.recent_returns[-8:]
        past = f"  ·  last games {', '.join(f'{r:g}' for r in finished)}" if finished else ""
        return f"game {snapshot.episodes + 1}  ·  score {snapshot.score:g}{past}  ·  ε {snapshot.epsilon:.2f}"

    def image(self, frame: np.ndarray) -> np.ndarray:
        """The picture with ``frame`` in its place, as (height, width, 3) uint8 RGB."""
        self.surface.fill(theme.BACKGROUND, self.game_area)
        draw_frame(self.surface, frame, self.game_area, self.show.spec.pixel_aspect)
        w, h = self.surface.get_size()
        return np.frombuffer(pygame.image.tobytes(self.surface, "RGB"), dtype=np.uint8).reshape(h, w, 3)


def video_images(show: AgentShow, canvas: VideoCanvas) -> Iterator[np.ndarray]:
    """Video frames without end: each display frame of the agent's play, ``show.rate.repeat`` times."""
    while True:
        snapshot = show.step()
        canvas.take(snapshot)
        for frame in snapshot.frames:
            image = canvas.image(frame)
            for _ in range(show.rate.repeat):
                yield image


def record_video(request: VideoRequest) -> Recording:
    """Play the request's agent for ``request.seconds`` and write the video; no window opens.

    Raises:
        UserError: bad options, no run or checkpoint there, a damaged one, or a file that cannot be
            written (one sentence each).
    """
    out = check_request(request)  # before the agent loads: a typo costs nothing
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # pygame draws on surfaces only, never on a screen
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    pygame.font.init()
    with acting_threads():
        show = open_show(request)
        try:
            out = out or default_path(show.spec.id)
            frames = max(1, round(request.seconds * show.rate.fps))
            _write(out, itertools.islice(video_images(show, VideoCanvas(show)), frames), show.rate.fps)
        finally:
            show.close()
    return Recording(out, frames, show.rate.fps, out.stat().st_size, list(show.returns), show.unfinished)


def _write(out: Path, images: Iterator[np.ndarray], fps: int) -> None:
    """Write ``images`` to ``out`` atomically: into a hidden file beside it, then os.replace."""
    partial = partial_path(out)
    try:
        write_mp4(partial, images, fps)
        os.replace(partial, out)
    except OSError as error:
        raise UserError(f"Could not write {out} ({describe_error(error)}); choose another --out.") from error
    finally:
        partial.unlink(missing_ok=True)
