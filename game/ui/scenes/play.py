"""A person plays one game alone: keyboard or gamepad, score, pause, restart, and F10 to record the
play as a dataset for learning offline (``game.modes.recording``).

Real-time games step at their own rate (``metadata["render_fps"]``, Atari at 60 frames a
second) with whatever the held keys say; turn-based games (and games without a NOOP action,
such as GridWorld) wait for the player.
"""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np
import pygame

from game.catalog import GameSpec, action_labels, frame_of, key_bindings
from game.errors import UserError
from game.modes.recording import Recorder
from game.ui import theme
from game.ui.controls import HeldKeys, KeyMap, MatchKeys, move_on_board
from game.ui.widgets.frame import draw_frame, to_frame_coords
from game.ui.widgets.rec_dot import draw_rec
from game.ui.widgets.text import draw_banner, draw_chrome, draw_text

MAX_STEPS_PER_FRAME = 4  # catch-up limit after a slow frame, so the game never races ahead
RESTART_DELAY_S = 0.8  # after game over, keys are ignored this long so a held key does not restart
DIRECTIONS = ("up", "down", "left", "right")
MOVES = {"UP", "DOWN", "LEFT", "RIGHT"}  # action names a help line sums up as "move"


def controls_help(keymap: KeyMap, labels: list[str]) -> str:
    """One line naming the keys of a game: 'ARROWS move · SPACE = FIRE · 1-9 choose'."""
    parts: list[str] = []
    singles = {keys[0]: a for keys, a in keymap.bindings.items() if len(keys) == 1}
    movers = [d for d in DIRECTIONS if d in singles and labels[singles[d]] in MOVES]
    if movers:
        parts.append(("ARROWS" if len(movers) == 4 else "/".join(d.upper() for d in movers)) + " move")
    said = {singles[d] for d in movers}
    digits = sorted(k for k in singles if k.isdigit())
    if len(digits) > 3:
        parts.append(f"{digits[0]}-{digits[-1]} choose")
        said |= {singles[k] for k in digits}
    for key in sorted(singles, key=lambda k: (k not in DIRECTIONS, k)):
        action = singles[key]
        if action not in said:  # one key per action is enough (WASD twins of arrows go unsaid)
            parts.append(f"{key.upper()} = {labels[action]}")
            said.add(action)
    return "  ·  ".join(parts)


class PlayScene:
    """One person, one game; F10 records the games played into the game's dataset under ``data_dir``
    (None: the data folder's datasets/, ``game.places``)."""

    def __init__(
        self,
        app,
        spec: GameSpec,
        on_exit: Callable[[], None] | None = None,
        seed: int | None = None,
        data_dir: str | None = None,
    ):
        self.app = app
        self.spec = spec
        self.env: gym.Env = spec.make_env("play")
        assert isinstance(self.env.action_space, gym.spaces.Discrete)
        self.labels = action_labels(self.env)
        self.keymap = KeyMap(key_bindings(self.env))
        game = self.env.unwrapped
        self.turn_based = bool(getattr(game, "turn_based", False)) or self.keymap.noop is None
        self.cells = hasattr(game, "cell_at") and hasattr(game, "cell_rect")  # boards played by pointing
        self.help = controls_help(self.keymap, self.labels)
        if self.cells:
            self.help += "  ·  or click a square (ARROWS + SPACE)"
        self.step_seconds = 1.0 / float(self.env.metadata.get("render_fps") or theme.FPS)
        self.held = HeldKeys()
        self.seed = seed
        self.best: float | None = None
        self.episodes = 0
        self.match_keys = MatchKeys(app, self._reset, on_exit, resume_on_restart=False)
        self.cursor = 0  # highlighted cell on boards, moved by arrows / d-pad
        self.frame_rect = pygame.Rect(0, 0, 1, 1)
        self.recorder = Recorder.for_env(spec.id, self.env, data_dir)
        self._reset()

    # ------------------------------------------------------------------ game flow

    def _reset(self) -> None:
        self.obs, self.info = self.env.reset(seed=self.seed)
        self.seed = None  # later episodes continue the generator
        self.score = 0.0
        self.steps = 0
        self.over = False
        self.over_for = 0.0
        self.accumulated = 0.0
        self.held.take_pressed()
        self.frame = frame_of(self.env)

    @property
    def paused(self) -> bool:
        """P has paused the game."""
        return self.match_keys.paused

    def act(self, action: int) -> None:
        """Play one step of ``action`` (also the entry point for scripted play in tests)."""
        obs = self.obs
        self.obs, reward, terminated, truncated, self.info = self.env.step(int(action))
        self.recorder.add(obs, int(action), float(reward), self.obs, terminated, truncated)
        self.score += float(reward)
        self.steps += 1
        self.frame = frame_of(self.env)
        if terminated or truncated:
            self.over = True
            self.episodes += 1
            self.best = self.score if self.best is None else max(self.best, self.score)
            if self.recorder.recording:
                self.recorder.save_async()  # each finished game is on disk before the next one ends

    def _legal(self, action: int) -> bool:
        mask = self.info.get("action_mask")
        return mask is None or bool(np.asarray(mask)[action])

    def toggle_recording(self) -> None:
        """F10: start keeping the games played, or stop and save them (a sentence says where)."""
        if self.recorder.recording:
            self.app.notify(self.recorder.finish() or "Recording stopped: no game was played.")
            return
        try:
            self.recorder.start()
        except UserError as error:
            self.app.notify(str(error))
            return
        self.app.notify("Recording your play (F10 again stops and saves it).")

    def close(self) -> None:
        message = self.recorder.finish()  # the games recorded so far are saved
        if message:
            print(message)
        self.env.close()

    # ------------------------------------------------------------------ scene interface

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.KEYDOWN and event.key == pygame.K_F10:
            self.toggle_recording()
            return
        if self.match_keys.handle_event(event):
            return
        if (
            event.type == pygame.MOUSEBUTTONDOWN
            and event.button == pygame.BUTTON_LEFT
            and self.cells
            and not self.over
        ):
            h, w = self.frame.shape[:2]
            where = to_frame_coords(event.pos, self.frame_rect, w, h)
            cell = self.env.unwrapped.cell_at(*where) if where else None
            if cell is not None and self._legal(cell) and not self.paused:
                self.cursor = cell
                self.act(cell)
            return
        self.held.handle_event(event)

    def update(self, dt: float) -> None:
        if self.paused:
            self.held.take_pressed()
            return
        if self.over:
            self.over_for += dt
            pressed = self.held.take_pressed()
            if self.over_for >= RESTART_DELAY_S and any(
                self.keymap.is_game_key(k) or k in ("space", "return") for k in pressed
            ):
                self._reset()
            return
        if self.turn_based:
            self._update_turn_based(dt)
            return
        self.held.take_pressed()
        self.accumulated += dt
        steps = 0
        while self.accumulated >= self.step_seconds and steps < MAX_STEPS_PER_FRAME and not self.over:
            self.accumulated -= self.step_seconds
            action = self.keymap.action_for(self.held.held)
            self.act(self.keymap.noop if action is None else action)
            steps += 1
        self.accumulated = min(self.accumulated, self.step_seconds)

    def _update_turn_based(self, dt: float) -> None:
        """Each new key press is one move; on boards, arrows move a cursor and SPACE/ENTER place."""
        for name in self.held.take_pressed():
            if self.over:
                return
            if self.cells and name in DIRECTIONS and name not in self.keymap.bound_keys:
                self._move_cursor(name)
                continue
            if self.cells and name in ("space", "return") and name not in self.keymap.bound_keys:
                if self._legal(self.cursor):
                    self.act(self.cursor)
                continue
            action = self.keymap.action_for(frozenset([name]))
            if action is not None and self.keymap.is_game_key(name) and self._legal(action):
                self.act(action)
                self.accumulated = 0.0
        # Held direction keys repeat moves in grid games, at the game's own rate.
        if not self.cells and not self.over:
            action = self.keymap.action_for(self.held.held)
            if action is None:
                self.accumulated = 0.0
                return
            self.accumulated += dt
            if self.accumulated >= self.step_seconds * 2:  # first repeat waits a little longer
                self.accumulated = self.step_seconds
                self.act(action)

    def _move_cursor(self, direction: str) -> None:
        self.cursor = move_on_board(self.cursor, direction, int(self.env.action_space.n))

    # ------------------------------------------------------------------ drawing

    def draw(self, surface: pygame.Surface) -> None:
        w, h = surface.get_size()
        chrome = draw_chrome(surface, self.spec.full_title)
        bar, size, small = chrome.top.height, chrome.size, chrome.small
        best = "-" if self.best is None else f"{self.best:g}"
        stats = f"SCORE {self.score:g}    BEST {best}    GAMES {self.episodes}"
        draw_text(surface, stats, (w - bar // 2, bar // 2), size, theme.ACCENT, "midright")
        area = chrome.body.inflate(-bar // 2, -bar // 2)
        self.frame_rect = draw_frame(surface, self.frame, area, self.spec.pixel_aspect)
        if self.cells and not self.over:
            self._draw_cursor(surface)
        if self.recorder.recording:
            steps = self.recorder.steps
            draw_rec(surface, (w - bar // 2, chrome.body.y + small), small, self.recorder.episodes, steps)
        if (error := self.recorder.take_error()) is not None:
            self.app.notify(error)
        record = "F10 stop recording" if self.recorder.recording else "F10 record"
        help_line = f"{self.help}  ·  P pause  ·  R restart  ·  {record}  ·  ESC leave"
        draw_text(surface, help_line, (w // 2, h - bar // 2), small, theme.TEXT_DIM, "center")
        if self.paused:
            draw_banner(surface, ["PAUSED", "P to play on  ·  R to restart  ·  ESC to leave"], size * 2)
        elif self.over:
            draw_banner(
                surface,
                [f"GAME OVER  ·  SCORE {self.score:g}", "SPACE or ENTER to play again  ·  ESC to leave"],
                size * 2,
            )
        elif self.turn_based and not self.cells and self.steps == 0:
            draw_text(
                surface, "press a key to start", (w // 2, area.bottom - small), small, theme.TEXT, "midbottom"
            )

    def _draw_cursor(self, surface: pygame.Surface) -> None:
        x, y, cw, ch = self.env.unwrapped.cell_rect(self.cursor)
        fh, fw = self.frame.shape[:2]
        sx, sy = self.frame_rect.width / fw, self.frame_rect.height / fh
        rect = pygame.Rect(self.frame_rect.x + x * sx, self.frame_rect.y + y * sy, cw * sx, ch * sy)
        pygame.draw.rect(surface, theme.ACCENT, rect, width=max(2, int(4 * sx / 3)), border_radius=6)
