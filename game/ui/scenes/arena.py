"""The arena: watch the agent learn a game live, with its Q-values and epsilon, and take over at will.

The learner runs in a worker process (game.modes.session); this scene only draws its newest snapshot,
plays the display frames at 60 a second, and turns keys into commands. Pressing one of the game's
keys takes the controls; a few idle seconds (or TAB) hand them back. F8 shows how it learns: the
worker then sends its views of learning (game.modes.insight), and the layer of game.ui.widgets.learning
draws them around the picture and the Q-bars.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

import numpy as np
import pygame

from game.catalog import GameSpec, action_labels, key_bindings
from game.modes.protocol import (
    HandBack,
    HumanAction,
    OverrideEpsilon,
    Pause,
    Record,
    RestartPolicy,
    Save,
    SetSpeed,
    ShowLearning,
    Snapshot,
    StepOnce,
    TakeOver,
)
from game.modes.session import Worker
from game.ui import theme
from game.ui.controls import PAD_BACK, PAD_START, ControlHolder, HeldKeys, KeyMap
from game.ui.widgets.board import draw_grid_values, draw_square_values
from game.ui.widgets.curves import LearningCurves
from game.ui.widgets.draw import elide
from game.ui.widgets.frame import draw_frame
from game.ui.widgets.gauge import EpsilonGauge
from game.ui.widgets.help_overlay import draw_help
from game.ui.widgets.kiosk_chrome import band_height
from game.ui.widgets.learning.layer import LearningLayer, epsilon_lines, layer_layout
from game.ui.widgets.learning.panel import PANEL_COLORS, sizes_for
from game.ui.widgets.qbars import QBars
from game.ui.widgets.rec_dot import draw_rec
from game.ui.widgets.slider import EpsilonSlider
from game.ui.widgets.text import Chrome, draw_banner, draw_chrome, draw_text

MAX_FRAME_BACKLOG = 8  # display frames queued before the oldest are skipped (keeps latency low)
EPSILON_STEP = 0.05  # PAGE UP / PAGE DOWN change of the epsilon override
AGREEMENT_WINDOW = 200  # person's moves over which "agent agrees with you" is measured

HELP = [
    ("game keys", "take the controls (the agent keeps advising)"),
    ("TAB", "give the controls back to the agent"),
    ("F2", "pause / resume learning (the agent keeps playing)"),
    ("F3", "one learning step while paused"),
    ("F4", "fast-forward: learn flat out / real time"),
    ("PAGE UP / DOWN", "raise / lower epsilon (manual)"),
    ("HOME", "epsilon back to its schedule"),
    ("F5", "save a checkpoint"),
    ("F6", "Q-values on the board on / off (GridWorld, Tic-Tac-Toe)"),
    ("F7", "lower plot: the loss / the mean Q-value"),
    ("F8", "how it learns: Bellman target, surprise, replay, target network, where it looks"),
    ("F10", "record your play (when you take over) as a dataset for learning offline"),
    ("F11 / F12", "fullscreen / screenshot"),
    ("F1 or ?", "this help"),
    ("ESC", "leave (the agent is saved)"),
]


class ArenaScene:
    """One game learning live, in a worker process.

    A kiosk arena (``kiosk=True``) shows no help or status text and ignores ESC: the kiosk scene
    around it decides what visitors may do. ``restart`` says when a crashed or silent worker is
    restarted; the default (``RestartPolicy()``) gives up after a few failures in a row and lets the
    person decide.
    """

    help_rows = HELP  # what F1 lists
    worker_title = "THE LEARNER"  # what the banners call the worker process when it fails
    agent_playing = "THE AGENT IS PLAYING"  # the banner while the agent plays

    def __init__(
        self,
        app,
        spec: GameSpec,
        worker: Worker,
        on_exit: Callable[[], None] | None = None,
        kiosk: bool = False,
        restart: RestartPolicy | None = None,
    ):
        self.app = app
        self.spec = spec
        self.worker = worker
        self.on_exit = on_exit
        self.kiosk = kiosk
        self.restart = restart or RestartPolicy()
        self._env = spec.make_env("show")  # names, keys, and the board's geometry
        self.labels = action_labels(self._env)
        self.keymap = KeyMap(key_bindings(self._env))
        game = self._env.unwrapped
        self.board_game = game if hasattr(game, "cell_rect") else None  # Q-values go on its cells
        self.board_q: np.ndarray | None = None
        self.board_mask: np.ndarray | None = None
        self.show_board_values = True
        self._stop_in_background = False
        self.slider = EpsilonSlider()
        self.held = HeldKeys()
        self.takeover = ControlHolder()
        self.qbars = QBars(len(self.labels), self.labels)
        self.gauge = EpsilonGauge()
        self.curves = LearningCurves()
        self.learning = LearningLayer(self.labels, spec.pixel_aspect)
        self.show_learning = False  # F8: the "how it learns" layer
        self.snapshot: Snapshot | None = None
        self.frames: deque[np.ndarray] = deque()
        self.frame: np.ndarray | None = None
        self.fast = False
        self.paused = False
        self.help = False
        self.error: Snapshot | None = None
        self.error_for = 0.0
        self.failures = 0  # errors since the worker last sent a normal snapshot
        self.notices_seen = 0  # the worker's notices already shown (its count starts again on a restart)
        self.last_heard = time.monotonic()  # when the worker last sent anything, or was (re)started
        self.panels: dict[str, pygame.Rect] = {}  # where the last draw put the Q-bars and the epsilon gauge
        self.agreement: deque[bool] = deque(maxlen=AGREEMENT_WINDOW)
        self.sent_action: int | None = None  # the person's action the worker last heard of
        if not worker.alive:
            worker.start()

    # ------------------------------------------------------------------ input

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.KEYDOWN and self._arena_key(event):
            return
        if event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEMOTION, pygame.MOUSEBUTTONUP):
            chosen = self.slider.handle_event(event)
            if chosen is not None:
                self.worker.send(OverrideEpsilon(None if chosen == "schedule" else float(chosen)))
            return
        if event.type == pygame.JOYBUTTONDOWN and event.button in (PAD_BACK, PAD_START):
            self._command_key(pygame.K_TAB if event.button == PAD_BACK else pygame.K_F2)
            return
        if self.held.handle_event(event):
            pressed = [k for k in self.held.pressed if self.keymap.is_game_key(k) or k in ("space", "return")]
            if pressed and event.type in (
                pygame.KEYDOWN,
                pygame.JOYBUTTONDOWN,
                pygame.JOYHATMOTION,
                pygame.JOYAXISMOTION,
            ):
                if self.takeover.input():
                    self.worker.send(TakeOver())
                    self.sent_action = None
                self._send_human_action()

    def _arena_key(self, event: pygame.event.Event) -> bool:
        """Keys of the arena itself (never the game's); True when the key was one."""
        if self.error is not None and self._gives_up() and event.key == pygame.K_RETURN:
            self.failures = 0
            self._restart()
            return True
        if event.key == pygame.K_ESCAPE:
            if self.kiosk:
                return True
            if self.help:
                self.help = False
            else:
                self._leave()
            return True
        if event.key == pygame.K_F1 or event.unicode == "?":
            self.help = not self.help
            return True
        return self._command_key(event.key)

    def _command_key(self, key: int) -> bool:
        if key == pygame.K_TAB:
            if self.takeover.hand_back():
                self.worker.send(HandBack())
        elif key == pygame.K_F2:
            self.paused = not self.paused
            self.worker.send(Pause(self.paused))
        elif key == pygame.K_F3:
            self.worker.send(StepOnce())
        elif key == pygame.K_F4:
            self.toggle_fast()
        elif key in (pygame.K_PAGEUP, pygame.K_PAGEDOWN):
            now = self.snapshot.epsilon if self.snapshot else 0.1
            delta = EPSILON_STEP if key == pygame.K_PAGEUP else -EPSILON_STEP
            self.worker.send(OverrideEpsilon(float(np.clip(round(now + delta, 2), 0.0, 1.0))))
        elif key == pygame.K_HOME:
            self.worker.send(OverrideEpsilon(None))
        elif key == pygame.K_F6:
            self.show_board_values = not self.show_board_values
        elif key == pygame.K_F7:
            self.curves.show_mean_q = not self.curves.show_mean_q
        elif key == pygame.K_F8:
            self.set_learning_layer(not self.show_learning)
        elif key == pygame.K_F10 and not self.kiosk:
            self.worker.send(Record(not (self.snapshot is not None and self.snapshot.recording)))
        elif key == pygame.K_F5:
            self.worker.send(Save())
            self.app.notify("Saving a checkpoint…")
        else:
            return False
        return True

    def toggle_fast(self) -> None:
        """Fast-forward (the learners shown as they fly) or back to the game's real rate."""
        self.fast = not self.fast
        self.worker.send(SetSpeed(self.fast))
        self.frames.clear()

    def set_learning_layer(self, on: bool) -> None:
        """Show or hide the "how it learns" layer (F8); the worker computes its views only while it shows."""
        self.show_learning = bool(on)
        self.worker.send(ShowLearning(self.show_learning))
        self.learning.clear()  # views from before are stale
        self.qbars.clear_target()

    def _send_human_action(self) -> None:
        """Tell the worker what the person holds, when it changed."""
        action = self.keymap.action_for(self.held.held)
        action = self.keymap.noop if action is None else action
        if action is not None and action != self.sent_action:
            self.sent_action = action
            self.worker.send(HumanAction(int(action)))

    def _leave(self) -> None:
        if self.on_exit is not None:
            self._stop_in_background = True  # the menu appears at once while the worker saves
            self.on_exit()
        else:
            self.app.quit()

    def close(self, background: bool = False) -> None:
        """Stop the worker (it saves first); in the background when the arcade goes on to the menu
        (or when asked: ``background``)."""
        if self._stop_in_background or background:
            # Not a daemon: the program waits for the save before it exits.
            threading.Thread(target=self.worker.stop, name="q-arcade-worker-stop").start()
        else:
            self.worker.stop()
        self._env.close()

    # ------------------------------------------------------------------ update

    def update(self, dt: float) -> None:
        self.held.take_pressed()
        if self.takeover.human:
            holding = self.keymap.action_for(self.held.held) not in (None, self.keymap.noop)
            self._send_human_action()
            if self.takeover.tick(dt, holding):
                self.worker.send(HandBack())
        self._take_snapshots()
        if self.error is not None:
            self.error_for += dt
            delay = self.restart.delay(self.failures)
            if self.error_for >= delay and not self._gives_up():
                self._restart()
        elif not self.worker.alive and self.snapshot is not None:
            self._fail("The learner stopped without a word.")
        elif self.restart.hang_s is not None and time.monotonic() - self.last_heard > self.restart.hang_s:
            self._fail(f"The learner has not answered for {self.restart.hang_s:g} seconds.")
        if self.frames:
            while len(self.frames) > MAX_FRAME_BACKLOG:
                self.frames.popleft()
            self.frame = self.frames.popleft()

    def _gives_up(self) -> bool:
        """Whether the arena stops restarting the learner and leaves it to the person (ENTER)."""
        hopeless = self.error is not None and not self.error.retry  # a restart would fail the same way
        return hopeless or self.restart.gives_up(self.failures)

    def _fail(self, message: str) -> None:
        self.error = Snapshot(error=message)
        self.error_for = 0.0
        self.failures += 1

    def _take_snapshots(self) -> None:
        snapshot = self.worker.poll()
        if snapshot is None:
            return
        self.last_heard = time.monotonic()
        if snapshot.error is not None:
            self.error, self.error_for = snapshot, 0.0
            self.failures += 1
            return
        self.failures = 0  # a worker that speaks normally has recovered
        if snapshot.notice_count > self.notices_seen and snapshot.notices:
            self.app.notify(snapshot.notices[-1])  # a checkpoint it fell back to, a failed write, a rollback
        self.notices_seen = snapshot.notice_count
        self.frames.extend(snapshot.frames)
        if snapshot.board_q is not None:
            self.board_q, self.board_mask = snapshot.board_q, snapshot.board_mask
        if snapshot.q_values is not None:
            human = snapshot.controller == "human"
            self.qbars.update(
                snapshot.q_values,
                snapshot.action,
                snapshot.greedy_action,
                snapshot.explored,
                value=snapshot.value,
                human=human,
            )
            if human:
                self.agreement.append(snapshot.greedy_action == snapshot.action)
            else:
                self.gauge.update(
                    snapshot.epsilon,
                    snapshot.explored,
                    snapshot.steps,
                    snapshot.epsilon_schedule,
                    override=snapshot.epsilon_override,
                )
        if self.show_learning and (readout := self.learning.take(snapshot)) is not None:
            self.qbars.set_target(readout.action, readout.target)  # after the bars took this snapshot's Q
        self.curves.take(snapshot)
        self.snapshot = snapshot

    def _restart(self) -> None:
        self.worker.restart()
        if self.show_learning:  # a new worker starts without the layer's views
            self.worker.send(ShowLearning(True))
            self.learning.clear()
        self.last_heard = time.monotonic()
        self.app.notify("The learner was restarted from its last checkpoint.")
        self.error = None
        self.snapshot = None
        self.frames.clear()
        self.takeover.hand_back()
        self.paused = self.fast = False

    # ------------------------------------------------------------------ drawing

    def draw(self, surface: pygame.Surface) -> None:
        w, h = surface.get_size()
        chrome = draw_chrome(surface, self.spec.full_title)
        top, bar, size, small = chrome.top, chrome.top.height, chrome.size, chrome.small
        self._draw_who(surface, top, size)

        if self.show_learning:
            self._draw_learning(surface, chrome.body, size)
        else:
            for name in PANEL_COLORS:  # where the layer's panels were: gone with it
                self.panels.pop(name, None)
            self._draw_body(surface, chrome)

        if not self.kiosk:  # at a kiosk the booth's captions go there
            y = h - bar // 2
            keys = draw_text(
                surface, "F1 help  ·  ESC leave", (w - bar // 2, y), small, theme.TEXT_DIM, "midright"
            )
            snap = self.snapshot
            if snap is not None and snap.recording:  # F10: the person's play goes into the game's dataset
                keys = draw_rec(
                    surface, (keys.left - bar // 2, y), small, snap.recorded_episodes, snap.recorded_steps
                )
            status = elide(self._status_line(), theme.font(small), keys.left - bar)  # a long run's numbers
            draw_text(surface, status, (bar // 2, y), small, theme.TEXT_DIM, "midleft")
        if self.error is not None:
            first = (self.error.error or "").splitlines()[0][:120]
            if not self._gives_up():
                lines = [f"{self.worker_title} STOPPED", first, "restarting from the last checkpoint…"]
            elif not self.error.retry:  # the settings or the run: restarting would fail the same way
                lines = [f"{self.worker_title} CANNOT START", first, "ENTER to try again  ·  ESC to leave"]
            else:
                lines = [f"{self.worker_title} KEEPS STOPPING", first, "ENTER to try again  ·  ESC to leave"]
            draw_banner(surface, lines, size * 2, theme.BAD)
        if self.help:
            draw_help(surface, self.help_rows, size)

    def _draw_body(self, surface: pygame.Surface, chrome: Chrome) -> None:
        """Between the bars: the picture on the left, the Q-bars, epsilon and curves on the right."""
        w, h = surface.get_size()
        bar = chrome.top.height
        side_w = max(260, int(w * 0.36))
        game_area = pygame.Rect(0, bar, w - side_w, h - 2 * bar).inflate(-bar // 2, -bar // 2)
        side = pygame.Rect(w - side_w, bar, side_w, h - 2 * bar).inflate(-bar // 3, -bar // 3)
        self._draw_picture(surface, game_area, chrome.size)
        self._draw_side(surface, side, chrome.small)

    def _draw_picture(self, surface: pygame.Surface, area: pygame.Rect, size: int) -> pygame.Rect | None:
        """The game's newest frame fitted into ``area`` (with the board's values); where it went."""
        if self.frame is None:
            draw_text(surface, "starting the learner…", area.center, size, theme.TEXT_DIM, "center")
            return None
        frame_rect = draw_frame(surface, self.frame, area, self.spec.pixel_aspect)
        self._draw_board_values(surface, frame_rect)
        return frame_rect

    def _draw_learning(self, surface: pygame.Surface, body: pygame.Rect, size: int) -> None:
        """The "how it learns" layer: the picture and the Q-bars among its panels; epsilon in one line."""
        h = surface.get_height()
        sizes = sizes_for(h)
        reserve = max(0, band_height(h) - (h - body.bottom)) if self.kiosk else 0  # the booth's captions
        frame_size = None if self.frame is None else (self.frame.shape[1], self.frame.shape[0])
        lay = layer_layout(body, frame_size, self.spec.pixel_aspect, sizes, reserve)
        frame_rect = self._draw_picture(surface, lay.picture, size)
        self.panels.update(lay.panels())
        self.panels.pop("saliency", None)
        glow = frame_rect is not None and not self.fast  # fast-forward shows the learners, not the showcase
        if glow and self.learning.draw_saliency(surface, frame_rect, sizes):
            self.panels["saliency"] = frame_rect  # only where a map is shown (image games)
        self.qbars.draw(surface, lay.bars)
        self.learning.draw(surface, lay, sizes, epsilon_lines(self.gauge))

    def _draw_board_values(self, surface: pygame.Surface, frame_rect: pygame.Rect) -> None:
        """GridWorld's and TicTacToe's Q-values on their own cells (F6 hides them)."""
        if self.board_game is None or self.board_q is None or self.fast or not self.show_board_values:
            return
        frame_size = (self.frame.shape[1], self.frame.shape[0])
        if self.board_q.ndim == 2:
            draw_grid_values(surface, frame_rect, frame_size, self.board_game, self.board_q, self.labels)
        else:
            draw_square_values(
                surface, frame_rect, frame_size, self.board_game, self.board_q, self.board_mask
            )

    def _draw_who(self, surface: pygame.Surface, top: pygame.Rect, size: int) -> None:
        """Who plays, right of the title: hints go first where the bar is short (a long Atari title on a
        small window), then the agreement; what remains is cut short rather than run into the title."""
        if self.takeover.human:
            share = (
                f"  ·  agent agrees with you {100 * np.mean(self.agreement):.0f}%" if self.agreement else ""
            )
            hint = "" if self.kiosk else "  ·  TAB hands back"
            who, color = "YOU ARE PLAYING", theme.ACCENT
        else:
            share, hint = "", "" if self.kiosk else "  ·  press a game key to take over"
            who, color = self.agent_playing, theme.GOOD
        mode = "  ·  FAST" if self.fast else ""
        mode += "  ·  LEARNING PAUSED" if self.paused else ""
        banner_px, pad = size * 3 // 4, top.height // 2
        font = theme.font(banner_px, True)
        title_w = theme.font(size, True).size(self.spec.full_title)[0]  # as draw_chrome writes it
        room = top.width - 3 * pad - title_w - size
        texts = (f"{who}{share}{hint}{mode}", f"{who}{share}{mode}", f"{who}{mode}")
        text = next((t for t in texts if font.size(t)[0] <= room), elide(texts[-1], font, room))
        draw_text(surface, text, (top.right - pad, top.centery), banner_px, color, "midright", bold=True)

    def _draw_side(self, surface: pygame.Surface, side: pygame.Rect, small: int) -> None:
        q_h = int(side.height * 0.4)
        gauge_h = int(side.height * 0.2)
        slider_h = 0 if self.kiosk else max(24, int(small * 1.4))  # no mouse at a kiosk
        plot_h = (side.height - q_h - gauge_h - slider_h) // 2
        y = side.y
        self.panels["bars"] = pygame.Rect(side.x, y, side.width, q_h)
        self.qbars.draw(surface, self.panels["bars"])
        y += q_h
        self.panels["epsilon"] = pygame.Rect(side.x, y, side.width, gauge_h)
        self.gauge.draw(surface, self.panels["epsilon"])
        y += gauge_h
        if slider_h:
            s = self.snapshot
            epsilon, override = (s.epsilon, s.epsilon_override) if s is not None else (0.0, False)
            track = pygame.Rect(side.x + 6, y, side.width - 12, slider_h)
            self.slider.draw(surface, track, epsilon, override)
        y += slider_h
        self.curves.draw(surface, pygame.Rect(side.x, y, side.width, 2 * plot_h))

    def _status_line(self) -> str:
        s = self.snapshot
        if s is None:
            return "waiting for the learner…"
        checkpoint = f"  ·  checkpoint {s.checkpoint}" if s.checkpoint else ""
        return (
            f"score {s.score:g}  ·  steps {s.steps:,}  ·  episodes {s.episodes:,}  ·  "
            f"{s.steps_per_second:,.0f} steps/s  ·  updates {s.updates:,}{checkpoint}"
        )
