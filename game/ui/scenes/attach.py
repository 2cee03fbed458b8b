"""Watching a many-machine job (``main.py arena --attach RUN``): the arena, fed from the job's run directory.

The job learns elsewhere (its learner in the ``train`` process, its actors on Ray); this window never
joins it. Its worker (``game.modes.attach_worker``) plays the game here with the job's newest weights,
reloaded as the job writes them, so the picture, the Q-bars and epsilon are the arena's own. The
curves and the fleet panel are read from the run's files (``game.modes.attach``) every
``REFRESH_S``. A person may take the game over as in the arena; nothing they play reaches the job.
Keys that steer learning (pause, one step, fast-forward, save, the learning layer, recording) have
nothing to steer here.
"""

from __future__ import annotations

import time

import pygame

from game.catalog import GameSpec
from game.modes.attach import JobWatch, age_text
from game.modes.session import Worker
from game.ui import theme
from game.ui.scenes.arena import ArenaScene
from game.ui.widgets.draw import elide
from game.ui.widgets.fleet import FleetPanel
from game.ui.widgets.job_curves import JobCurves
from game.ui.widgets.text import Chrome, draw_text

REFRESH_S = 2.0  # how often fleet.json and the metrics CSVs are read again
PICTURE_SHARE = 0.36  # the window's width the game's column takes
BARS_SHARE = 0.27  # ... the Q-bars' and epsilon's column; the curves and the fleet take the rest
CURVES_SHARE = 0.52  # the right column's height the curves take; the fleet panel has the rest
GAUGE_SHARE = 0.42  # the middle column's height epsilon's gauge takes; the Q-bars have the rest
LEARNING_KEYS = {  # keys of the arena that steer learning, and why they do nothing here
    pygame.K_F2: "pause",
    pygame.K_F3: "single-step",
    pygame.K_F4: "fast-forward",
    pygame.K_F5: "save",
    pygame.K_F8: "show how it learns",
    pygame.K_F10: "record",
}

HELP = [
    ("game keys", "take the controls (your play stays here: the job never sees it)"),
    ("TAB", "give the controls back to the job's weights"),
    ("PAGE UP / DOWN", "raise / lower epsilon (manual)"),
    ("HOME", "epsilon back to the job's evaluation epsilon"),
    ("F6", "Q-values on the board on / off (GridWorld, Tic-Tac-Toe)"),
    ("F7", "lower plot: evaluations / the learner's loss"),
    ("F11 / F12", "fullscreen / screenshot"),
    ("F1 or ?", "this help"),
    ("ESC", "leave (the job goes on)"),
]


class AttachScene(ArenaScene):
    """The arena watching a job: the showcase played with its newest weights, its curves, its fleet."""

    help_rows = HELP
    worker_title = "THE PLAYER"
    agent_playing = "THE JOB'S AGENT IS PLAYING"

    def __init__(self, app, spec: GameSpec, worker: Worker, job: JobWatch):
        super().__init__(app, spec, worker)
        self.job = job
        self.job_curves = JobCurves()
        self.fleet_panel = FleetPanel()
        self.next_refresh = 0.0
        self.job_saved_weights = False
        """whether the job has written any weights yet, as of the last refresh"""
        self.refresh()

    def refresh(self) -> None:
        """Read the job's files again: its fleet and the new rows of its curves."""
        self.job_curves.take(self.job.refresh())
        self.job_saved_weights = self.job.weights() is not None
        self.next_refresh = time.monotonic() + REFRESH_S

    # ------------------------------------------------------------------ input and update

    def _command_key(self, key: int) -> bool:
        if key in LEARNING_KEYS:
            self.app.notify(f"The job learns elsewhere: there is nothing to {LEARNING_KEYS[key]} here.")
            return True
        if key == pygame.K_F7:
            self.job_curves.show_loss = not self.job_curves.show_loss
            return True
        return super()._command_key(key)

    def update(self, dt: float) -> None:
        super().update(dt)
        if time.monotonic() >= self.next_refresh:
            self.refresh()

    # ------------------------------------------------------------------ drawing

    def _draw_body(self, surface: pygame.Surface, chrome: Chrome) -> None:
        """Three columns: the game and whose weights play it; Q-bars and epsilon; curves and fleet."""
        body, bar = chrome.body, chrome.top.height
        w = body.width
        left_w, middle_w = int(w * PICTURE_SHARE), int(w * BARS_SHARE)
        left = pygame.Rect(body.x, body.y, left_w, body.height).inflate(-bar // 2, -bar // 2)
        middle = pygame.Rect(body.x + left_w, body.y, middle_w, body.height).inflate(-bar // 3, -bar // 3)
        right = pygame.Rect(body.x + left_w + middle_w, body.y, w - left_w - middle_w, body.height)
        right = right.inflate(-bar // 3, -bar // 3)
        caption_h = int(chrome.small * 1.3)
        picture = pygame.Rect(left.x, left.y, left.width, left.height - caption_h)
        self._draw_picture(surface, picture, chrome.size)
        self._draw_weights(surface, pygame.Rect(left.x, picture.bottom, left.width, caption_h), chrome.small)
        self._draw_side(surface, middle, chrome.small)
        curves_h = int(right.height * CURVES_SHARE)
        self.job_curves.draw(surface, pygame.Rect(right.x, right.y, right.width, curves_h))
        gap = bar // 6
        fleet = pygame.Rect(right.x, right.y + curves_h + gap, right.width, right.height - curves_h - gap)
        self.fleet_panel.draw(surface, fleet, self.job.fleet, self.job.headline())

    def _draw_side(self, surface: pygame.Surface, side: pygame.Rect, small: int) -> None:
        """The Q-bars above, epsilon and its slider below (the curves have a column of their own)."""
        slider_h = max(24, int(small * 1.4))
        gauge_h = int((side.height - slider_h) * GAUGE_SHARE)
        bars = pygame.Rect(side.x, side.y, side.width, side.height - slider_h - gauge_h)
        self.panels["bars"] = bars
        self.qbars.draw(surface, bars)
        self.panels["epsilon"] = pygame.Rect(side.x, bars.bottom, side.width, gauge_h)
        self.gauge.draw(surface, self.panels["epsilon"])
        s = self.snapshot
        epsilon, override = (s.epsilon, s.epsilon_override) if s is not None else (0.0, False)
        track = pygame.Rect(side.x + 6, side.bottom - slider_h, side.width - 12, slider_h)
        self.slider.draw(surface, track, epsilon, override)

    def _draw_picture(self, surface: pygame.Surface, area: pygame.Rect, size: int) -> pygame.Rect | None:
        if self.frame is None:
            waiting = (
                "loading the job's weights…" if self.job_saved_weights else "waiting for the job's weights…"
            )
            draw_text(surface, waiting, area.center, size, theme.TEXT_DIM, "center")
            return None
        return super()._draw_picture(surface, area, size)

    def _draw_weights(self, surface: pygame.Surface, area: pygame.Rect, small: int) -> None:
        """Whose weights play: the job's step they were saved at and how long ago."""
        text, color = self._weights_line(), theme.TEXT_DIM
        if self.snapshot is None or self.snapshot.weights_saved_at is None:
            color = theme.ACCENT
        draw_text(surface, elide(text, theme.font(small), area.width), area.center, small, color, "center")

    def _weights_line(self) -> str:
        s = self.snapshot
        if s is None or s.weights_saved_at is None:
            if not self.job_saved_weights:
                return "no weights yet: the job has not saved any"
            return "loading the job's weights…"
        name = s.checkpoint.rsplit("/", 1)[-1] if s.checkpoint else "?"
        age = age_text(time.time() - s.weights_saved_at)
        return f"weights of step {s.steps:,}, {age} old ({name})"

    def _status_line(self) -> str:
        s = self.snapshot
        if s is None:
            return f"watching {self.job.run_dir}  ·  starting the player…"
        return f"watching {self.job.run_dir}  ·  score {s.score:g}  ·  epsilon {s.epsilon:.2f}"
