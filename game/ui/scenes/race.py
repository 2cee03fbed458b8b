"""A race on screen: the person's game on the left, the agent's on the right, from the same start.

The race itself (both environments, the clock, scores, the winner) is :class:`game.race.Race`;
this scene turns keys and gamepad into the person's action, counts down before each race,
and draws both sides with their scores, the race clock, the agent's Q-values and the tally.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pygame

from game.catalog import GameSpec, action_labels, key_bindings
from game.players import UNTRAINED, Player
from game.race import RACE_SECONDS, Race, Side
from game.ui import theme
from game.ui.controls import HeldKeys, KeyMap, is_person_input
from game.ui.scenes.play import controls_help
from game.ui.widgets.frame import draw_frame
from game.ui.widgets.qbars import QBars, draw_card, draw_tag, elide
from game.ui.widgets.text import draw_banner, draw_chrome, draw_text

COUNTDOWN_S = 3.0  # both sides hold their (identical) first picture this long before a race
GO_S = 0.6  # "GO!" stays up this long after the countdown
RESTART_DELAY_S = 0.8  # after a race, keys are ignored this long so a held key does not start the next
CLOCK_WARNING_S = 10.0  # the clock turns red this close to the time limit
PANEL_SHARE = 0.27  # height of the panels under the frames, as a share of the body
COUNTDOWN_SHADE = (0, 0, 0, 110)  # light: the identical first pictures should show through
FINISHED_SHADE = (0, 0, 0, 210)  # dark: the game's own game-over text gives way to the notice
PERSON_COLOR = theme.ACCENT  # the person's side, as the Q-bars mark a person's move
AGENT_COLOR = theme.GOOD  # the agent's side, as the Q-bars mark the network's pick


def shade(surface: pygame.Surface, rect: pygame.Rect, rgba: tuple[int, int, int, int]) -> None:
    """Darken ``rect`` with a translucent ``rgba`` veil."""
    veil = pygame.Surface(rect.size, pygame.SRCALPHA)
    veil.fill(rgba)
    surface.blit(veil, rect)


def draw_notice(
    surface: pygame.Surface, center: tuple[int, int], lines: list[tuple[str, int, tuple[int, int, int], bool]]
) -> pygame.Rect:
    """Lines of (text, size, colour, bold) on a solid card centred at ``center``, over what the game drew."""
    images = [theme.font(size, bold).render(text, True, color) for text, size, color, bold in lines]
    pad = max(6, images[0].get_height() // 2)
    width = max(i.get_width() for i in images) + 4 * pad
    card = pygame.Rect(0, 0, width, sum(i.get_height() for i in images) + 2 * pad)
    card.center = center
    pygame.draw.rect(surface, theme.PANEL, card, border_radius=pad)
    pygame.draw.rect(surface, theme.PANEL_EDGE, card, width=1, border_radius=pad)
    y = card.y + pad
    for image in images:
        surface.blit(image, image.get_rect(midtop=(card.centerx, y)))
        y += image.get_height()
    return card


def clock_text(seconds: float) -> str:
    """Seconds as the race clock shows them: 2:05."""
    whole = max(0, int(seconds + 0.999))  # 0.2 s left still reads 0:01
    return f"{whole // 60}:{whole % 60:02d}"


class RaceScene:
    """A person races a trained agent on the same game, split screen.

    Args:
        app: the window (``quit()`` ends it when ESC leaves without ``on_exit``).
        spec: a one-player game (``game.race.check_race``).
        player: the agent; an untrained one (a RandomPlayer) is labelled as such.
        on_exit: called when the person leaves with ESC (None: the app quits).
        seed: the first race's seed; later races draw theirs from it (None: random).
        kiosk: ESC does nothing and the help line does not offer leaving.
        time_limit_s: game seconds after which a race ends as it stands.
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
    ):
        self.app = app
        self.spec = spec
        self.player = player
        self.on_exit = on_exit
        self.kiosk = kiosk
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
        self.held = HeldKeys()
        self.last_input = time.monotonic()
        """time.monotonic() of the person's last key, button or stick event"""
        self.paused = False
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

    # ------------------------------------------------------------------ flow

    def restart(self, next_race: bool = False) -> None:
        """The same race again from its start, or (``next_race``) a new one on a new shared seed."""
        self.race.reset(None if next_race else self.race.seed)
        self.countdown = COUNTDOWN_S
        self.over_for = 0.0
        self.held.take_pressed()

    def close(self) -> None:
        self.race.close()

    def _leave(self) -> None:
        if self.on_exit is not None:
            self.on_exit()
        else:
            self.app.quit()

    # ------------------------------------------------------------------ input

    def handle_event(self, event: pygame.event.Event) -> None:
        if is_person_input(event):
            self.last_input = time.monotonic()
        if event.type == pygame.KEYDOWN:
            if event.key == pygame.K_ESCAPE:
                if not self.kiosk:
                    self._leave()
                return
            if event.key == pygame.K_p:
                self.paused = not self.paused
                return
            if event.key == pygame.K_r:
                self.paused = False
                self.restart()
                return
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
        clock = self._draw_clock(surface, (w // 2, body.y + header_h // 2), size)
        race = self.race
        for column, side, is_person in ((columns[0], race.person, True), (columns[1], race.agent, False)):
            header = pygame.Rect(column.x, column.y, column.width, header_h)
            self._draw_header(surface, header, side, clock, size, small)
            area = pygame.Rect(column.x, header.bottom + pad, column.width, 0)
            area.height = column.bottom - panel_h - pad - area.y
            self._draw_side_frame(surface, area, side, is_person, size, small)
            panel = pygame.Rect(column.x, column.bottom - panel_h, column.width, panel_h)
            if is_person:
                self._draw_move_card(surface, panel, side, [self.controls], size, small)
            elif self.untrained:
                self._draw_move_card(surface, panel, side, self.untrained_note, size, small)
            else:
                self.qbars.draw(surface, panel)

        number = race.games + (0 if race.over else 1)
        where = f"race {number}  ·  seed {race.seed}: the same start on both sides"
        draw_text(surface, where, (bar // 2, h - bar // 2), small, theme.TEXT_DIM, "midleft")
        keys = "P pause  ·  R restart" + ("" if self.kiosk else "  ·  ESC leave")
        draw_text(surface, keys, (w - bar // 2, h - bar // 2), small, theme.TEXT_DIM, "midright")
        self._draw_banners(surface, size)

    def _draw_clock(self, surface: pygame.Surface, center: tuple[int, int], size: int) -> pygame.Rect:
        """The time left in a pill between the two headers; returns the pill."""
        left = self.race.seconds_left
        color = theme.BAD if left <= CLOCK_WARNING_S and not self.race.over else theme.TEXT
        font = theme.font(size, True)
        text_w, text_h = font.size("0:00")
        pill = pygame.Rect(0, 0, text_w + size, text_h + size // 2)
        pill.center = center
        pygame.draw.rect(surface, theme.PANEL, pill, border_radius=pill.height // 2)
        pygame.draw.rect(surface, theme.PANEL_EDGE, pill, width=1, border_radius=pill.height // 2)
        draw_text(surface, clock_text(left), pill.center, size, color, "center", bold=True)
        draw_text(surface, "LEFT", (pill.centerx, pill.bottom + 2), size // 2, theme.TEXT_DIM, "midtop")
        return pill

    def _draw_header(
        self,
        surface: pygame.Surface,
        rect: pygame.Rect,
        side: Side,
        clock: pygame.Rect,
        size: int,
        small: int,
    ) -> None:
        """Name and status at the outer edge, the score big beside the clock (mirrored on the right)."""
        is_person = side is self.race.person
        color = PERSON_COLOR if is_person else AGENT_COLOR
        outer, inner = ("left", "right") if is_person else ("right", "left")
        score_at = (clock.left - size // 2 if is_person else clock.right + size // 2, rect.centery)
        score = draw_text(surface, f"{side.score:g}", score_at, int(size * 1.7), color, f"mid{inner}", True)
        room = abs(getattr(score, outer) - getattr(rect, outer)) - size
        name = elide("YOU" if is_person else f"AGENT ({self.player.name})", theme.font(size, True), room)
        at = (getattr(rect, outer), rect.centery - size // 3)
        label = draw_text(surface, name, at, size, color, f"mid{outer}", bold=True)
        at = (getattr(rect, outer), label.bottom + 2)
        draw_text(surface, self._status(side), at, small, theme.TEXT_DIM, f"top{outer}")
        if self.race.winner == ("person" if is_person else "agent"):
            at = (getattr(label, inner) + (size // 3 if is_person else -size // 3), label.centery)
            draw_tag(surface, "WINNER", f"mid{outer}", at, small, color)

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
        rect = draw_frame(surface, side.frame, area, self.spec.pixel_aspect)
        color = PERSON_COLOR if is_person else AGENT_COLOR
        pygame.draw.rect(surface, color, rect.inflate(6, 6), width=2, border_radius=4)
        race = self.race
        if race.over:
            return
        if self.countdown > 0:
            shade(surface, rect, COUNTDOWN_SHADE)
            count = str(int(self.countdown) + 1)
            draw_text(surface, count, rect.center, size * 4, theme.TEXT, "center", bold=True)
            hint = "get ready" if is_person else "the same start as yours"
            draw_text(surface, hint, (rect.centerx, rect.centery + size * 2), small, theme.TEXT_DIM, "midtop")
        elif side.done:
            shade(surface, rect, FINISHED_SHADE)
            other = "the agent" if is_person else "you"
            lines = [
                ("TIME UP" if side.timed_out else "FINISHED", size * 3 // 2, color, True),
                (f"score {side.score:g}", size, theme.TEXT, False),
                (f"waiting for {other}…", small, theme.TEXT_DIM, False),
            ]
            draw_notice(surface, rect.center, lines)
        elif is_person and race.turn_based and side.steps == 0:
            draw_notice(
                surface,
                (rect.centerx, rect.bottom - small * 2),
                [("your move: press a key", small, color, True)],
            )
        elif race.seconds < GO_S and not (is_person and race.turn_based):
            draw_text(surface, "GO!", rect.center, size * 3, color, "center", bold=True)

    def _draw_move_card(
        self, surface: pygame.Surface, rect: pygame.Rect, side: Side, footer: list[str], size: int, small: int
    ) -> None:
        """A side's move now, big, over ``footer`` lines: the person's keys, or why the agent is random."""
        is_person = side is self.race.person
        pad = draw_card(surface, rect)
        inner = rect.inflate(-2 * pad, -2 * pad)
        title = "YOUR MOVE" if is_person else "AN UNTRAINED AGENT"
        draw_text(surface, title, inner.topleft, small, theme.TEXT, bold=True)
        move = "—" if side.last_action is None else self.labels[side.last_action]
        color = PERSON_COLOR if is_person else AGENT_COLOR
        draw_text(surface, move, inner.center, size * 3 // 2, color, "center", bold=True)
        font, y = theme.font(small), inner.bottom
        for line in reversed(footer):
            at = (inner.centerx, y)
            y = draw_text(surface, elide(line, font, inner.width), at, small, theme.TEXT_DIM, "midbottom").top

    def _draw_banners(self, surface: pygame.Surface, size: int) -> None:
        leave = "" if self.kiosk else "  ·  ESC to leave"
        race = self.race
        if self.paused:
            draw_banner(surface, ["PAUSED", f"P to play on  ·  R to restart{leave}"], size * 2)
            return
        if not race.over:
            return
        headline, color = {
            "person": ("YOU WIN!", PERSON_COLOR),
            "agent": ("THE AGENT WINS", AGENT_COLOR),
            "draw": ("A DRAW", theme.TEXT),
        }[race.winner]
        scores = f"YOU {race.person.score:g}  ·  AGENT {race.agent.score:g}"
        draw_banner(surface, [headline, scores, f"SPACE for the next race{leave}"], size * 2, color)
