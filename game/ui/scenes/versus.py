"""Versus: a person against a trained agent, with the agent's Q-values beside the game and a scoreboard.

The match logic lives in :mod:`game.modes.versus`; this scene turns keys, gamepad and clicks into the
person's actions, runs real-time games at their own rate (Atari: 60 raw frames a second, the agent
deciding every few), and on boards shows the agent's values on the free squares for a moment
before its mark appears. It counts the games each side won; a kiosk reads ``tally`` and
``last_input`` and lets nobody leave with ESC.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pygame

from game.catalog import GameSpec
from game.modes.players import Player
from game.modes.versus import AGENT, DRAW, PERSON, Match, Thought, make_match
from game.ui import theme
from game.ui.controls import HeldKeys, KeyMap, MatchKeys, is_person_input, move_on_board
from game.ui.scenes.play import DIRECTIONS
from game.ui.widgets.frame import draw_frame, to_frame_coords
from game.ui.widgets.learning.gaze import GazeLayer
from game.ui.widgets.match_banners import draw_paused, draw_result, keys_line
from game.ui.widgets.qbars import QBars
from game.ui.widgets.text import draw_chrome, draw_text
from game.ui.widgets.versus_panels import draw_board_overlay, draw_scoreboard, draw_sides, person_controls

MAX_TICKS_PER_FRAME = 4  # catch-up limit after a slow frame, so the game never races ahead
NEXT_GAME_DELAY_S = 0.8  # after a game, keys are ignored this long so a held key does not skip the result
THINK_SECONDS = 0.8  # a board game shows the agent's values this long before its mark appears
SIDE_SHARE = 0.34  # width of the right-hand column (scoreboard, Q-bars), share of the window
SCOREBOARD_SHARE = 0.3  # height of the scoreboard card, share of the right-hand column


class VersusScene:
    """A person and an agent, game after game, on one screen."""

    def __init__(
        self,
        app,
        spec: GameSpec,
        player: Player,
        on_exit: Callable[[], None] | None = None,
        seed: int | None = None,
        kiosk: bool = False,
        points_to_win: int | None = None,
    ):
        self.app = app
        self.spec = spec
        self.player = player
        self.kiosk = kiosk
        self.match: Match = make_match(spec, player, points_to_win, seed)
        self.keymap = KeyMap(self.match.person_keys)
        board = self.match.board is not None
        self.controls = person_controls(self.keymap, self.match.person_labels, board)
        labels = self.match.agent_labels
        self.qbars = QBars(len(labels), labels)
        self.gaze = GazeLayer(labels, self.match.gaze)
        self.held = HeldKeys()
        self.tally = {PERSON: 0, AGENT: 0, DRAW: 0}  # games finished, by winner
        self.games = 0
        self.last_input = time.monotonic()
        self.match_keys = MatchKeys(app, self.restart, on_exit, kiosk)
        self.cursor = 4  # highlighted square on boards, moved by arrows / d-pad
        self.cursor_shown = False  # the highlight appears once the person steers it
        self.frame_rect = pygame.Rect(0, 0, 1, 1)
        self.decisions = 0  # the agent's decisions already on the Q-bars
        self._start(self.match.new_game)

    # ------------------------------------------------------------------ game flow

    def _start(self, begin: Callable[[], None]) -> None:
        begin()
        self.counted = False  # the finished game is in the tally
        self.over_for = 0.0
        self.accumulated = 0.0
        self.thought: Thought | None = None
        self.thinking_for = 0.0
        self.held.take_pressed()
        self.frame = self.match.frame()
        self._take_thought()

    def restart(self) -> None:
        """This game again from its start, or the next one when it is over."""
        self._start(self.match.new_game if self.over else self.match.restart)

    def result(self) -> tuple[float, float]:
        """Games won so far: (by the person, by the agent)."""
        return float(self.tally[PERSON]), float(self.tally[AGENT])

    @property
    def under_way(self) -> bool:
        """Never a game that :meth:`stop` could count: a game played to a number of points, or on a
        board, has no result before its end."""
        return False

    def stop(self) -> None:
        """The visitor's time is up: the game under way is not counted (see ``under_way``)."""

    @property
    def paused(self) -> bool:
        """P has paused the game."""
        return self.match_keys.paused

    @property
    def thinking(self) -> bool:
        """A board game is showing the agent's values before its move."""
        return self.thought is not None

    @property
    def over(self) -> bool:
        """The game has ended and its end is on screen."""
        return self.counted

    def play(self, action: int) -> None:
        """The person's move in a turn-based game (also the entry point for scripted play in tests)."""
        if self.match.legal(action) and not self.thinking:
            self.match.advance(action)
            self.frame = self.match.frame()
            self._take_thought()

    def _take_thought(self) -> None:
        self._show_decision()
        thought = self.match.take_thought()
        if thought is not None:
            self.thought, self.thinking_for = thought, 0.0

    def _show_decision(self) -> None:
        act = self.match.last_act
        if act is not None and self.match.decisions != self.decisions:
            self.decisions = self.match.decisions
            self.qbars.update(act.q_values, act.action, act.greedy_action, act.explored, value=act.value)

    def _count(self) -> None:
        """Put a game that has just ended, and is now shown, into the tally."""
        if self.counted or not self.match.over or self.thinking:
            return
        winner = self.match.winner
        assert winner in self.tally, winner
        self.tally[winner] += 1
        self.games += 1
        self.counted = True

    def close(self) -> None:
        self.match.close()

    # ------------------------------------------------------------------ input

    def handle_event(self, event: pygame.event.Event) -> None:
        if is_person_input(event):
            self.last_input = time.monotonic()
        if self.match_keys.handle_event(event) or self.gaze.handle_event(event):
            return
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == pygame.BUTTON_LEFT:
            self._click(event.pos)
        else:
            self.held.handle_event(event)

    def _click(self, pos: tuple[int, int]) -> None:
        board = self.match.board
        if board is None or self.paused or self.over:
            return
        h, w = self.frame.shape[:2]
        where = to_frame_coords(pos, self.frame_rect, w, h)
        cell = board.cell_at(*where) if where else None
        if cell is not None:
            self.cursor, self.cursor_shown = cell, False
            self.play(cell)

    # ------------------------------------------------------------------ update

    def update(self, dt: float) -> None:
        pressed = self.held.take_pressed()
        self.gaze.update()
        if self.paused:
            return
        if self.thinking:
            self.thinking_for += dt
            if self.thinking_for < THINK_SECONDS:
                return
            self.thought = None
        self._count()
        if self.over:
            self.over_for += dt
            if self.over_for >= NEXT_GAME_DELAY_S and any(k in ("space", "return") for k in pressed):
                self._start(self.match.new_game)
            return
        if self.match.turn_based:
            self._moves(pressed)
        else:
            self._ticks(dt)
        self._count()

    def _ticks(self, dt: float) -> None:
        """Real time: as many ticks as ``dt`` holds (at most MAX_TICKS_PER_FRAME), the held keys each."""
        tick = self.match.tick_seconds
        self.accumulated += dt
        ticks = 0
        while self.accumulated >= tick and ticks < MAX_TICKS_PER_FRAME and not self.match.over:
            self.accumulated -= tick
            action = self.keymap.action_for(self.held.held)
            self.match.advance(self.match.person_noop if action is None else action)
            ticks += 1
        self.accumulated = min(self.accumulated, tick)
        if ticks:
            self.frame = self.match.frame()
            self._show_decision()

    def _moves(self, pressed: list[str]) -> None:
        """Turn-based: a number key plays its square; arrows move the highlight, SPACE / ENTER play it."""
        for name in pressed:
            if self.thinking or self.match.over:
                return
            name = self.keymap.aliases.get(name, name)
            if name in DIRECTIONS:
                self._move_cursor(name)
                self.cursor_shown = True
            elif name in ("space", "return"):
                if self.cursor_shown:
                    self.play(self.cursor)
                self.cursor_shown = True  # a first press shows where the next one plays
            elif self.keymap.is_game_key(name):
                action = self.keymap.action_for(frozenset([name]))
                if action is not None:
                    self.play(action)

    def _move_cursor(self, direction: str) -> None:
        self.cursor = move_on_board(self.cursor, direction, len(self.match.agent_labels))

    # ------------------------------------------------------------------ drawing

    def draw(self, surface: pygame.Surface) -> None:
        w, h = surface.get_size()
        chrome = draw_chrome(surface, f"{self.spec.full_title}  ·  you against the agent")
        bar, size, small = chrome.top.height, chrome.size, chrome.small
        draw_text(surface, self._game_line(), (w - bar // 2, bar // 2), small, theme.TEXT, "midright")

        side_w = max(280, int(w * SIDE_SHARE))
        game_area = pygame.Rect(0, bar, w - side_w, h - 2 * bar).inflate(-bar // 2, -bar // 2)
        side = pygame.Rect(w - side_w, bar, side_w, h - 2 * bar).inflate(-bar // 3, -bar // 3)
        label_h = small * 3
        frame_area = pygame.Rect(game_area.x, game_area.y, game_area.width, game_area.height - label_h)
        self._draw_game(surface, frame_area, small)
        you = f"YOU: {self.match.person_side}  ·  {self.controls}"
        agent = f"AGENT ({self.player.name}): {self.match.agent_side}"
        draw_sides(surface, self.frame_rect, self.frame_rect.bottom + label_h // 2, you, agent, small)

        board_h = int(side.height * SCOREBOARD_SHARE)
        won = self.tally[PERSON], self.tally[AGENT]
        card = pygame.Rect(side.x, side.y, side.width, board_h)
        draw_scoreboard(surface, card, size, won, self.games, self.tally[DRAW], self.player.name)
        gap = bar // 4
        self.qbars.draw(
            surface, pygame.Rect(side.x, side.y + board_h + gap, side.width, side.height - board_h - gap)
        )

        keys = keys_line(self.kiosk) + self.gaze.hint()
        draw_text(surface, keys, (w // 2, h - bar // 2), small, theme.TEXT_DIM, "center")
        if self.paused:
            draw_paused(surface, "R to restart this game", self.kiosk, size)
        elif self.over:
            detail = "SPACE for the next game"
            if self.match.points_to_win is not None or self.match.board is None:
                person, agent = self.match.points
                detail = f"YOU {person} – {agent} AGENT  ·  {detail}"
            draw_result(surface, self.match.winner, [detail], size)

    def _game_line(self) -> str:
        """The top bar's right side: which game, and its points or whose move."""
        number = f"GAME {self.games + (0 if self.over else 1)}"
        if self.match.board is not None:
            return f"{number}  ·  YOU PLAY {self.match.person_side.upper()}"
        person, agent = self.match.points
        first = f"  ·  FIRST TO {self.match.points_to_win}" if self.match.points_to_win else ""
        return f"{number}  ·  POINTS  YOU {person} – {agent} AGENT{first}"

    def _draw_game(self, surface: pygame.Surface, area: pygame.Rect, small: int) -> None:
        frame = self.thought.frame if self.thought is not None else self.frame
        self.frame_rect = draw_frame(surface, frame, area, self.match.pixel_aspect)
        self.gaze.draw(surface, self.frame_rect)  # where the agent looks (F8)
        board = self.match.board
        if board is not None:
            cursor = self.cursor if self.cursor_shown and not self.over and not self.paused else None
            cells = len(self.match.agent_labels)
            draw_board_overlay(surface, self.frame_rect, frame, board, cells, self.thought, cursor, small)
