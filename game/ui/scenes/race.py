"""A race on screen: the person's game on the left, the agent's on the right, from the same start.

The race itself (both environments, the clock, scores, the winner) is :class:`game.modes.race.Race`;
this scene turns keys and gamepad into the person's action, counts down before each race,
and draws both sides with their scores, the race clock, the agent's Q-values and the tally
(the panels themselves are :mod:`game.ui.widgets.race_panels`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pygame

from game.catalog import GameSpec, action_labels, key_bindings
from game.modes.players import UNTRAINED, Player
from game.modes.race import RACE_SECONDS, Race, Side
from game.ui import theme
from game.ui.controls import HeldKeys, KeyMap, MatchKeys, is_person_input
from game.ui.scenes.play import controls_help
from game.ui.widgets.frame import draw_frame
from game.ui.widgets.kiosk_chrome import clock_reserve
from game.ui.widgets.learning.gaze import GazeLayer
from game.ui.widgets.match_banners import draw_paused, draw_result, keys_line, leave_hint, side_color
from game.ui.widgets.qbars import QBars
from game.ui.widgets.race_panels import (
    clock_pill,
    draw_countdown,
    draw_finished,
    draw_move_card,
    draw_notice,
    draw_race_clock,
    draw_side_header,
)
from game.ui.widgets.text import draw_chrome, draw_text

COUNTDOWN_S = 3.0  # both sides hold their (identical) first picture this long before a race
GO_S = 0.6  # "GO!" stays up this long after the countdown
RESTART_DELAY_S = 0.8  # after a race, keys are ignored this long so a held key does not start the next
PANEL_SHARE = 0.27  # height of the panels under the frames, as a share of the body


class RaceScene:
    """A person races a trained agent on the same game, split screen.

    Args:
        app: the window (``quit()`` ends it when ESC leaves without ``on_exit``).
        spec: a one-player game (``game.modes.race.check_race``).
        player: the agent; an untrained one (a RandomPlayer) is labelled as such.
        on_exit: called when the person leaves with ESC (None: the app quits).
        seed: the first race's seed; later races draw theirs from it (None: random).
        kiosk: ESC does nothing, and the help line does not offer leaving and keeps clear of the
            booth's clock at the right end of the bottom bar.
        time_limit_s: game seconds after which a race ends as it stands.
        show_clock: draw the race clock (a kiosk leaves it out: its session clock is the one shown).
    """

    def __init__(
        self,
        app,
        spec: GameSpec,
        player: Player,
        on_exit: Callable[[], None] | None = None,
        seed: int | None = None,
        kiosk: bool = False,
        time_limit_s: float = RACE_SECONDS,
        show_clock: bool = True,
    ):
        self.app = app
        self.spec = spec
        self.player = player
        self.kiosk = kiosk
        self.show_clock = show_clock
        self.race = Race(spec, player, seed=seed, time_limit_s=time_limit_s)
        self.labels = action_labels(self.race.person.env)
        self.keymap = KeyMap(key_bindings(self.race.person.env))
        self.controls = controls_help(self.keymap, self.labels)
        self.untrained = player.name == UNTRAINED
        self.untrained_note = [
            "No trained agent ships for this game yet: it moves at random.",
            f"Train one with: python main.py train {spec.id}",
        ]
        self.qbars = QBars(self.race.n_actions, self.labels)
        self.gaze = GazeLayer(self.labels, self.race.gaze)
        self.agent_rect = pygame.Rect(0, 0, 0, 0)  # where the agent's picture was last drawn
        self.held = HeldKeys()
        self.last_input = time.monotonic()
        """time.monotonic() of the person's last key, button or stick event"""
        self.match_keys = MatchKeys(app, self.restart, on_exit, kiosk)
        self.countdown = COUNTDOWN_S
        self.over_for = 0.0
        self._decisions_seen = self.race.decisions

    # ------------------------------------------------------------------ what the kiosk reads

    @property
    def tally(self) -> dict[str, int]:
        """Races won by "person", by "agent", and "draw"n."""
        return self.race.tally

    @property
    def games(self) -> int:
        """Races finished."""
        return self.race.games

    def result(self) -> tuple[float, float]:
        """Races won by the person, and by the agent."""
        return float(self.tally["person"]), float(self.tally["agent"])

    @property
    def paused(self) -> bool:
        """P has paused the game."""
        return self.match_keys.paused

    @property
    def under_way(self) -> bool:
        """A race is being played (its countdown is over, its end not reached): :meth:`stop` counts it."""
        return self.race.ticks > 0 and not self.race.over

    def stop(self) -> None:
        """The visitor's time is up: the race under way ends as it stands and counts, as its own time
        limit would end it. A race still counting down has not begun: it is dropped."""
        if self.under_way:
            self.race.stop()

    # ------------------------------------------------------------------ flow

    def restart(self, next_race: bool = False) -> None:
        """The same race again from its start, or (``next_race``) a new one on a new shared seed."""
        self.race.reset(None if next_race else self.race.seed)
        self.countdown = COUNTDOWN_S
        self.over_for = 0.0
        self.held.take_pressed()

    def close(self) -> None:
        self.race.close()

    # ------------------------------------------------------------------ input

    def handle_event(self, event: pygame.event.Event) -> None:
        if is_person_input(event):
            self.last_input = time.monotonic()
        if not self.match_keys.handle_event(event) and not self.gaze.handle_event(event):
            self.held.handle_event(event)

    # ------------------------------------------------------------------ update

    def update(self, dt: float) -> None:
        if self.paused:
            self.held.take_pressed()
        elif self.race.over:
            self.over_for += dt
            pressed = self.held.take_pressed()
            if self.over_for >= RESTART_DELAY_S and ("space" in pressed or "return" in pressed):
                self.restart(next_race=True)
        elif self.countdown > 0:
            self.held.take_pressed()
            self.countdown -= dt
        elif self.race.turn_based:
            for name in self.held.take_pressed():
                action = self.keymap.action_for(frozenset([name]))
                if action is not None and self.keymap.is_game_key(name) and self._legal(action):
                    self.race.step_person(action)
            self.race.advance(dt)
        else:
            self.held.take_pressed()
            self.race.advance(dt, self.keymap.action_for(self.held.held))
        if self.race.decisions != self._decisions_seen and self.race.last_act is not None:
            self._decisions_seen = self.race.decisions
            act = self.race.last_act
            self.qbars.update(act.q_values, act.action, act.greedy_action, act.explored, value=act.value)
        self.gaze.update()

    def _legal(self, action: int) -> bool:
        mask = self.race.person.info.get("action_mask")
        return mask is None or bool(mask[action])

    # ------------------------------------------------------------------ drawing

    def draw(self, surface: pygame.Surface) -> None:
        w, h = surface.get_size()
        chrome = draw_chrome(surface, f"RACE  ·  {self.spec.full_title}")
        bar, size, small = chrome.top.height, chrome.size, chrome.small
        tally = self.tally
        won = f"WON   YOU {tally['person']}  ·  AGENT {tally['agent']}  ·  DRAWS {tally['draw']}"
        draw_text(surface, won, (w - bar // 2, bar // 2), size * 3 // 4, theme.TEXT, "midright", bold=True)

        body = chrome.body.inflate(-bar // 2, -bar // 3)
        gutter = max(16, w // 48)
        half = (body.width - gutter) // 2
        header_h = int(size * 2.1)
        panel_h = int(body.height * PANEL_SHARE)
        pad = max(6, bar // 6)
        columns = (
            pygame.Rect(body.x, body.y, half, body.height),
            pygame.Rect(body.right - half, body.y, half, body.height),
        )
        race = self.race
        clock = clock_pill((w // 2, body.y + header_h // 2), size)
        if self.show_clock:
            draw_race_clock(surface, clock, race.seconds_left, not race.over, size)
        for column, side, is_person in ((columns[0], race.person, True), (columns[1], race.agent, False)):
            header = pygame.Rect(column.x, column.y, column.width, header_h)
            name = "YOU" if is_person else f"AGENT ({self.player.name})"
            won_it = race.winner == ("person" if is_person else "agent")
            status = self._status(side)
            draw_side_header(surface, header, clock, is_person, name, side.score, status, won_it, size, small)
            area = pygame.Rect(column.x, header.bottom + pad, column.width, 0)
            area.height = column.bottom - panel_h - pad - area.y
            self._draw_side_frame(surface, area, side, is_person, size, small)
            panel = pygame.Rect(column.x, column.bottom - panel_h, column.width, panel_h)
            if is_person:
                self._draw_move_card(surface, panel, side, "YOUR MOVE", [self.controls], size, small)
            elif self.untrained:
                note = self.untrained_note
                self._draw_move_card(surface, panel, side, "AN UNTRAINED AGENT", note, size, small)
            else:
                self.qbars.draw(surface, panel)

        number = race.games + (0 if race.over else 1)
        where = f"race {number}  ·  seed {race.seed}: the same start on both sides"
        draw_text(surface, where, (bar // 2, h - bar // 2), small, theme.TEXT_DIM, "midleft")
        right = w - bar // 2 - (clock_reserve((w, h)) if self.kiosk else 0)  # clear of the booth's clock
        keys = keys_line(self.kiosk) + self.gaze.hint()
        draw_text(surface, keys, (right, h - bar // 2), small, theme.TEXT_DIM, "midright")
        if self.paused:
            draw_paused(surface, "R to restart", self.kiosk, size)
        elif race.over:
            scores = f"YOU {race.person.score:g}  ·  AGENT {race.agent.score:g}"
            next_race = f"SPACE for the next race{leave_hint(self.kiosk)}"
            draw_result(surface, race.winner, [scores, next_race], size)

    def _status(self, side: Side) -> str:
        race = self.race
        rounds = (
            f"round {min(side.rounds_done + 1, race.rounds)} of {race.rounds}  ·  " if race.rounds > 1 else ""
        )
        if side.timed_out:
            return f"{rounds}time up"
        if side.done:
            return f"{rounds}finished"
        if self.countdown > 0:
            return f"{rounds}ready"
        if side is race.person:
            return f"{rounds}playing"
        return f"{rounds}{'moving at random' if self.untrained else 'playing greedily'}"

    def _draw_side_frame(
        self, surface: pygame.Surface, area: pygame.Rect, side: Side, is_person: bool, size: int, small: int
    ) -> None:
        """A side's picture in its colour's frame, under the countdown, its finished notice or GO!."""
        rect = draw_frame(surface, side.frame, area, self.spec.pixel_aspect)
        if not is_person:
            self.agent_rect = rect
            self.gaze.draw(surface, rect)  # where the agent looks, on its own half (F8)
        color = side_color(is_person)
        pygame.draw.rect(surface, color, rect.inflate(6, 6), width=2, border_radius=4)
        race = self.race
        if race.over:
            return
        if self.countdown > 0:
            hint = "get ready" if is_person else "the same start as yours"
            draw_countdown(surface, rect, int(self.countdown) + 1, hint, size, small)
        elif side.done:
            draw_finished(surface, rect, is_person, side.timed_out, side.score, size, small)
        elif is_person and race.turn_based and side.steps == 0:
            at = (rect.centerx, rect.bottom - small * 2)
            draw_notice(surface, at, [("your move: press a key", small, color, True)])
        elif race.seconds < GO_S and not (is_person and race.turn_based):
            draw_text(surface, "GO!", rect.center, size * 3, color, "center", bold=True)

    def _draw_move_card(
        self,
        surface: pygame.Surface,
        rect: pygame.Rect,
        side: Side,
        title: str,
        footer: list[str],
        size: int,
        small: int,
    ) -> None:
        """A side's move now, big, over ``footer`` lines: the person's keys, or why the agent is random."""
        move = "—" if side.last_action is None else self.labels[side.last_action]
        color = side_color(side is self.race.person)
        draw_move_card(surface, rect, title, move, color, footer, size, small)
