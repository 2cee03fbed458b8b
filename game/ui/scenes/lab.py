"""The Q-learning lab on screen: one grid solved four (or five) ways side by side.

The lab itself (the world, the methods, their errors) runs in a worker process
(:mod:`game.modes.lab_worker`); this scene draws its snapshots and turns keys and the mouse into its
commands: run, step, reset, a layout, the sliders, a click that edits a cell, and the cell whose
Bellman backup is written out (under the mouse, or the keyboard's cursor).
"""

from __future__ import annotations

from collections.abc import Callable

import pygame

from game.modes.lab import LAYOUTS
from game.modes.lab_protocol import (
    LabBackup,
    LabConfig,
    LabEdit,
    LabLayout,
    LabReset,
    LabRun,
    LabSet,
    LabSnapshot,
    LabSpeed,
    LabStep,
)
from game.modes.lab_worker import LabWorker
from game.ui import theme
from game.ui.widgets.draw import blend
from game.ui.widgets.help_overlay import draw_help
from game.ui.widgets.lab.backup_card import draw_backup
from game.ui.widgets.lab.error_plot import draw_error_plot
from game.ui.widgets.lab.grid_view import GridGeometry, draw_method
from game.ui.widgets.lab.settings import SettingsStrip, draw_state
from game.ui.widgets.text import draw_banner, draw_chrome, draw_text

COLOURS = {  # each method's colour, in its title, its curve and its backup
    "Value iteration": theme.INFO,
    "Policy iteration": theme.ACCENT,
    "Q-learning": theme.GOOD,
    "DQN": (190, 120, 255),
    "Fitted Q-iteration": (255, 140, 90),
}
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)  # the paced methods' speed factors, [ and ] step through them
PANELS_SHARE = 0.56  # the methods' row, as a share of the body's height
STRIP_SHARE = 0.075  # the settings strip
GAP = 8  # pixels between cards
MOVES = {pygame.K_UP: (-1, 0), pygame.K_DOWN: (1, 0), pygame.K_LEFT: (0, -1), pygame.K_RIGHT: (0, 1)}
HELP = [
    ("SPACE", "run / pause every method"),
    ("N", "one unit of work each (a sweep, a step, an iteration)"),
    ("R", "reset: every method starts again"),
    ("L", "next layout: " + ", ".join(LAYOUTS)),
    ("CLICK / ENTER", "cycle a cell: floor, wall, pit, goal"),
    ("MOUSE / ARROWS", "the cell whose Bellman backup is written out"),
    ("M", "whose backup the cursor shows (the method)"),
    ("TAB, - / +", "pick a slider, move it (or drag it)"),
    ("[ / ]", "slower / faster"),
    ("F1", "this help"),
    ("ESC", "leave"),
]


class LabScene:
    """Four methods on one grid, their error curves, the backup of one cell and the world's sliders.

    Args:
        app: the window (``quit()`` ends it when ESC leaves without ``on_exit``).
        config: how the worker starts (layout, seed, a recorded dataset for fitted Q-iteration).
        on_exit: called when the person leaves with ESC (None: the app quits).
        worker: a worker already made (tests); None starts one.
    """

    def __init__(
        self,
        app,
        config: LabConfig | None = None,
        on_exit: Callable[[], None] | None = None,
        worker: LabWorker | None = None,
    ):
        self.app = app
        self.on_exit = on_exit
        self.worker = worker if worker is not None else LabWorker(config or LabConfig())
        if self.worker.process is None:
            self.worker.start()
        self.snapshot: LabSnapshot | None = None
        self.settings = SettingsStrip()
        self.geometries: list[GridGeometry] = []
        self.cursor = (0, 0)
        self.hover: tuple[int, tuple[int, int]] | None = None  # (method index, cell) under the mouse
        self.cursor_method = 0
        self.backup_sent: int | None = -1
        self.speed_index = SPEEDS.index(1.0)
        self.show_help = False

    # ------------------------------------------------------------------ flow

    def close(self) -> None:
        self.worker.stop()

    def leave(self) -> None:
        if self.on_exit is not None:
            self.on_exit()
        else:
            self.app.quit()

    # ------------------------------------------------------------------ input

    def handle_event(self, event: pygame.event.Event) -> None:
        changed = self.settings.handle_event(event)
        if changed is not None:
            self.worker.send(LabSet(**changed))
            return
        if event.type == pygame.KEYDOWN:
            self._key(event.key)
        elif event.type == pygame.MOUSEMOTION:
            self.hover = self._cell_at(event.pos)
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == pygame.BUTTON_LEFT:
            hit = self._cell_at(event.pos)
            if hit is not None and self.settings.dragging is None:
                self.cursor = hit[1]
                self.worker.send(LabEdit(*hit[1]))

    def _key(self, key: int) -> None:
        if self.show_help and key != pygame.K_F1:
            self.show_help = False
            return
        snap = self.snapshot
        if key == pygame.K_ESCAPE:
            self.leave()
        elif key == pygame.K_F1:
            self.show_help = not self.show_help
        elif key == pygame.K_SPACE:
            self.worker.send(LabRun(not (snap is not None and snap.running)))
        elif key == pygame.K_n:
            self.worker.send(LabStep())
        elif key == pygame.K_r:
            self.worker.send(LabReset())
        elif key == pygame.K_l:
            names = list(LAYOUTS)
            current = names.index(snap.layout_name) if snap is not None and snap.layout_name in names else -1
            self.worker.send(LabLayout(names[(current + 1) % len(names)]))
        elif key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            self.worker.send(LabEdit(*self.cursor))
        elif key in MOVES and snap is not None and snap.layout:
            d_row, d_col = MOVES[key]
            rows, cols = len(snap.layout), len(snap.layout[0])
            self.cursor = (
                min(rows - 1, max(0, self.cursor[0] + d_row)),
                min(cols - 1, max(0, self.cursor[1] + d_col)),
            )
            self.hover = None
        elif key == pygame.K_m and snap is not None and snap.methods:
            self.cursor_method = (self.cursor_method + 1) % len(snap.methods)
            self.hover = None
        elif key == pygame.K_TAB:
            self.settings.next_focus()
        elif (
            key in (pygame.K_MINUS, pygame.K_KP_MINUS, pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS)
            and snap
        ):
            direction = -1 if key in (pygame.K_MINUS, pygame.K_KP_MINUS) else 1
            self.worker.send(LabSet(**self.settings.nudge(self._values(snap), direction)))
        elif key in (pygame.K_LEFTBRACKET, pygame.K_RIGHTBRACKET):
            step = -1 if key == pygame.K_LEFTBRACKET else 1
            self.speed_index = min(len(SPEEDS) - 1, max(0, self.speed_index + step))
            self.worker.send(LabSpeed(SPEEDS[self.speed_index]))

    def _cell_at(self, pos: tuple[int, int]) -> tuple[int, tuple[int, int]] | None:
        for index, geometry in enumerate(self.geometries):
            cell = geometry.cell_at(pos)
            if cell is not None:
                return index, cell
        return None

    @staticmethod
    def _values(snap: LabSnapshot) -> dict[str, float]:
        return {"gamma": snap.gamma, "slip": snap.slip, "step_reward": snap.step_reward}

    # ------------------------------------------------------------------ time

    def update(self, dt: float) -> None:
        newest = self.worker.poll()
        if newest is not None:
            self.snapshot = newest
        if self.snapshot is None or not self.snapshot.layout:
            return
        cols = len(self.snapshot.layout[0])
        row, col = self.focus_cell()[1]
        state = row * cols + col
        if state != self.backup_sent:
            self.worker.send(LabBackup(state))
            self.backup_sent = state

    def focus_cell(self) -> tuple[int, tuple[int, int]]:
        """(method index, cell) whose backup is shown: the mouse's, else the keyboard cursor's."""
        return self.hover if self.hover is not None else (self.cursor_method, self.cursor)

    # ------------------------------------------------------------------ drawing

    def draw(self, surface: pygame.Surface) -> None:
        snap = self.snapshot
        title = "Q-LEARNING LAB · planning with a model against learning from experience"
        chrome = draw_chrome(surface, title)
        draw_text(
            surface,
            "SPACE run/pause · N step · R reset · L layout · click a cell to edit · F1 help · ESC leave",
            (chrome.bottom.x + chrome.small, chrome.bottom.centery),
            chrome.small,
            theme.TEXT_DIM,
            "midleft",
        )
        if snap is None or (not snap.methods and snap.error is None):
            draw_banner(surface, ["Starting the lab…"], chrome.size)
            return
        body = chrome.body.inflate(-2 * GAP, -2 * GAP)
        panels_h = min(int(body.height * PANELS_SHARE), self._panels_height(body.width, snap, chrome.small))
        strip_h = max(chrome.small + 10, int(body.height * STRIP_SHARE))
        panels = pygame.Rect(body.x, body.y, body.width, panels_h)
        strip = pygame.Rect(body.x, panels.bottom + GAP // 2, body.width, strip_h)
        lower = pygame.Rect(
            body.x, strip.bottom + GAP // 2, body.width, body.bottom - strip.bottom - GAP // 2
        )
        if snap.methods:
            self._draw_methods(surface, panels, snap)
        self.settings.draw(surface, strip, self._values(snap), chrome.small)
        draw_state(
            surface,
            strip,
            snap.running,
            snap.speed,
            snap.layout_name + (" (edited)" if snap.edited else ""),
            chrome.small,
        )
        plot = pygame.Rect(lower.x, lower.y, int(lower.width * 0.42), lower.height)
        card = pygame.Rect(plot.right + GAP, lower.y, lower.right - plot.right - GAP, lower.height)
        units = {m.name: m.unit for m in snap.methods}
        draw_error_plot(surface, plot, snap.curves, units, {n: c for n, c in COLOURS.items() if n in units})
        self._draw_backup(surface, card, snap)
        if snap.error:
            draw_banner(surface, [snap.error, "R resets the lab; L loads another layout"], chrome.size)
        if self.show_help:
            draw_help(surface, HELP, chrome.small)

    @staticmethod
    def _panels_height(width: int, snap: LabSnapshot, small: int) -> int:
        """What the methods' row needs: three lines of text over the grid at the cards' width (a wide
        grid leaves the rows below more room)."""
        count = max(1, len(snap.methods))
        rows, cols = len(snap.layout), len(snap.layout[0])
        card_w = (width - GAP * (count - 1)) // count - 2 * GAP
        return card_w // cols * rows + 5 * small + 4 * GAP

    def _draw_methods(self, surface: pygame.Surface, rect: pygame.Rect, snap: LabSnapshot) -> None:
        count = len(snap.methods)
        width = (rect.width - GAP * (count - 1)) // count
        scale = float(abs(snap.v_star).max()) if snap.v_star is not None and snap.v_star.size else 1.0
        focus_method, focus_cell = self.focus_cell()
        self.geometries = []
        for index, view in enumerate(snap.methods):
            card = pygame.Rect(rect.x + index * (width + GAP), rect.y, width, rect.height)
            colour = COLOURS.get(view.name, theme.TEXT)
            cursor = focus_cell if index == focus_method else None
            self.geometries.append(draw_method(surface, card, view, snap.layout, scale, colour, cursor))

    def _draw_backup(self, surface: pygame.Surface, rect: pygame.Rect, snap: LabSnapshot) -> None:
        index, _ = self.focus_cell()
        view = snap.methods[index] if 0 <= index < len(snap.methods) else None
        colour = COLOURS.get(view.name, theme.TEXT) if view is not None else theme.TEXT
        hint = "Point at a cell (or move the cursor with the arrows) to see its backup."
        draw_backup(
            surface, rect, None if view is None else view.backup, blend(theme.TEXT, colour, 0.8), hint
        )
