"""The kiosk: an unattended booth that shows the agent learning, lets visitors play it, keeps a leaderboard.

The phases and their clocks are :class:`game.modes.kiosk.booth.Kiosk`; this scene feeds it events, owns the
child scenes (the attract arena, the visitor's match, the name entry) and draws the booth's layer
over them: captions, the visitor's clock, the idle warning. Visitors cannot leave: ESC goes
nowhere, and the app ignores closing the window. Operators hold Ctrl+Shift (never shown on screen):

    Ctrl+Shift+N  next game          Ctrl+Shift+C  next agent stage of this game
    Ctrl+Shift+F  fast-forward       Ctrl+Shift+L  twice within 5 s: reset the leaderboard
    Ctrl+Shift+Q  quit (the only way out)
"""

from __future__ import annotations

import sqlite3

import pygame

from game.catalog import find_game
from game.modes.kiosk.booth import ATTRACT, BOARD, NAME, VISIT, Kiosk, KioskConfig
from game.modes.kiosk.leaderboard import Entry, Leaderboard
from game.modes.protocol import HandBack, Pause
from game.ui import theme
from game.ui.controls import HeldKeys
from game.ui.scenes.arena import ArenaScene
from game.ui.scenes.kiosk.games import AttractLoop, KioskGames, VisitorGame, stage_label
from game.ui.scenes.kiosk.inputs import is_input, is_operator, joins, reaches_arena
from game.ui.scenes.kiosk.name_entry import NameEntryScreen
from game.ui.widgets.kiosk_chrome import (
    TAG_COLORS,
    draw_caption_band,
    draw_clock,
    draw_idle_warning,
    draw_pointer,
    draw_title_card,
)
from game.ui.widgets.leaderboard_table import draw_board_screen
from game.ui.widgets.learning.panel import PANEL_COLORS

CAPTION_SECONDS = 7.0  # each attract caption stays this long
CAPTIONS = (  # (tag, sentence, colour key of kiosk_chrome.TAG_COLORS)
    ("THE BARS", "Each bar is the agent's guess of the total future reward for that move", "bars"),
    ("GREEN", "The green bar is the move it thinks is best right now", "bars"),
    ("EPSILON", "Epsilon: how often it tries a random move to explore", "epsilon"),
    ("LIVE", "It is learning right now, from every game it plays", "info"),
    (
        "TARGET",
        "It learns by nudging its guess toward reward now plus its own guess of what comes next",
        "readout",
    ),
    ("SURPRISE", "Big jumps mark moments it did not expect: that is where it learns most", "surprise"),
    ("MEMORY", "It learns from a random handful of old moments, not just the last one", "replay"),
    ("COPY", "A frozen copy of its brain gives steady targets; it is refreshed every so often", "target"),
    ("HINDSIGHT", "One line: what it expected to win. The other: what it really got", "predicted"),
    ("LOOKING", "The glow shows what in the picture changes its mind", "saliency"),
    ("YOUR TURN", "Press any key or button to play against it!", "join"),
)
TAKEOVER_CAPTION = "Your moves now: the bars show what the agent would do in your place"
JOIN_CAPTION = {"race": "race it!", "takeover": "take the controls!", "versus": "play against it!"}
RESET_CONFIRM_SECONDS = 5.0  # a second Ctrl+Shift+L within this resets the leaderboard


class KioskScene:
    """The booth. ``games`` builds its child scenes (tests pass a lighter one)."""

    def __init__(self, app, config: KioskConfig, games: KioskGames | None = None):
        self.app = app
        self.config = config
        self.kiosk = Kiosk(config)
        self.phase = self.kiosk.phase
        self.leaderboard = Leaderboard(config.leaderboard_file)
        if self.leaderboard.recovered:  # a damaged file was moved aside at start: tell the operator
            app.notify(self.leaderboard.recovered)
        self.games = games or KioskGames(app, config)
        self.held = HeldKeys()
        self.clock = 0.0  # seconds of update(dt) since the kiosk started
        self.caption_index = 0
        self.caption_for = 0.0
        self.reset_armed_until = -1.0
        self.loop = AttractLoop(self.games, self.kiosk)
        self.visit: VisitorGame | None = None  # None in take-over, and while the opponent loads
        self.modes = {game: config.mode_for(game) for game in config.games}  # how a visitor plays each
        self.mode = self.modes[self.kiosk.game]
        self.result: tuple[str, str, float, float] | None = None  # game, mode, visitor's and agent's wins
        self.cut_short = False  # the visit's time ended its last game, which counted as it stood
        self.name_screen: NameEntryScreen | None = None
        self.saved: tuple[Entry, int, list[Entry]] | None = None  # the new entry, its place, the top ten

    @property
    def attract(self) -> ArenaScene:
        """The arena on screen in the attract loop (and in a take-over visit)."""
        return self.loop.arena

    @property
    def upcoming(self) -> ArenaScene | None:
        """The next game's arena, started early (None most of the time)."""
        return self.loop.upcoming

    # ------------------------------------------------------------------ input

    def handle_event(self, event: pygame.event.Event) -> None:
        if is_operator(event):
            self._operator(event.key)
            return
        self.held.handle_event(event)
        kiosk = self.kiosk
        if kiosk.phase == NAME and self.name_screen is not None:
            self.name_screen.handle_event(event)
        elif kiosk.phase == VISIT:
            self._forward(event)
        if kiosk.phase == ATTRACT and not joins(event):
            return
        if is_input(event):
            joined = kiosk.input()
            self._sync()
            if joined and self.mode == "takeover":
                self._forward(event)  # the key that joined already steers the agent's game

    def _forward(self, event: pygame.event.Event) -> None:
        """A visitor's event to their game; in take-over only the game's own keys reach the arena."""
        if self.visit is not None:
            self.visit.handle_event(event)
        elif self.mode == "takeover" and reaches_arena(event, self.attract.keymap):
            self.attract.handle_event(event)

    def _operator(self, key: int) -> None:
        """The hidden hotkeys (Ctrl+Shift held)."""
        game = self.kiosk.game
        if key == pygame.K_q:
            self.app.quit()
        elif key == pygame.K_n:
            self._back_to_attract()
            self.loop.show_next()
        elif key == pygame.K_f:
            self.attract.toggle_fast()
            self.app.notify("Fast-forward" if self.attract.fast else "Real time")
        elif key == pygame.K_c:
            if len(self.games.stages(game)) < 2:
                self.app.notify(f"{find_game(game).title} ships no other agent stage.")
                return
            stage = self.games.next_stage(game)
            self._back_to_attract()
            self.loop.replace(self.games.attract(game))
            self.app.notify(f"{find_game(game).title}: the agent is now {stage_label(stage)}")
        elif key == pygame.K_l:
            if self.clock <= self.reset_armed_until:
                self.leaderboard.reset()
                self.reset_armed_until = -1.0
                self.app.notify("The leaderboard was reset.")
            else:
                self.reset_armed_until = self.clock + RESET_CONFIRM_SECONDS
                self.app.notify("Press Ctrl+Shift+L again within 5 seconds to reset the leaderboard.")

    # ------------------------------------------------------------------ phases

    def _sync(self) -> None:
        """Do what the state machine's new phase needs: start or end a visit, ask a name, resume."""
        new = self.kiosk.phase
        if new == self.phase:
            return
        old, self.phase = self.phase, new
        if old == VISIT:
            self._end_visit()
        if new == VISIT:
            self._start_visit()
        elif new == NAME and self.result is not None:
            game, mode, person, agent = self.result
            headline = "YOU BEAT THE AGENT!" if person > agent else "WELL PLAYED!"
            title = find_game(game).title
            detail = f"{title}  ·  you {person:g} – {agent:g} agent  ({mode})"
            if self.cut_short:
                detail += f"  ·  time's up: your last {mode} counts as it stood"
            color = theme.ACCENT if person > agent else theme.TEXT
            self.name_screen = NameEntryScreen(headline, detail, color)
        elif new == ATTRACT:
            self.name_screen = None
            self.saved = None
            self.attract.set_learning_layer(True)
            self.attract.worker.send(Pause(False))

    def _start_visit(self) -> None:
        self.mode = self.modes[self.kiosk.game]
        self.held.clear()
        self.attract.set_learning_layer(False)  # the visitor's game gets the room and the cores
        if self.mode != "takeover":
            self.attract.worker.send(Pause(True))  # the cores are the visitor's now
            self.loop.drop_upcoming()

    def _end_visit(self) -> None:
        self.cut_short = False
        if self.visit is not None:
            if self.kiosk.time_up and self.visit.under_way:
                self.visit.stop()  # ends as it stands, as a race's own time limit ends it: fair to both
                self.cut_short = True
            person, agent = self.visit.result()
            self.result = (self.kiosk.game, self.mode, person, agent)
            self.visit.close()
            self.visit = None
        elif self.mode == "takeover" and self.attract.takeover.hand_back():
            self.attract.worker.send(HandBack())

    def _back_to_attract(self) -> None:
        """End whatever a visitor was doing, storing nothing."""
        self.kiosk.attract()
        self._sync()

    def _save_name(self) -> None:
        assert self.name_screen is not None and self.result is not None
        game, mode, person, agent = self.result
        try:
            entry = self.leaderboard.add(self.name_screen.entry.text, game, mode, person, agent)
            self.saved = (entry, self.leaderboard.rank(entry), self.leaderboard.top(game, mode))
        except (sqlite3.Error, OSError) as error:  # a full or failing disk: the booth goes on without it
            self.app.notify(f"The name could not be saved ({error}); the booth goes on.")
            self._back_to_attract()
            return
        self.kiosk.name_saved()
        self._sync()

    # ------------------------------------------------------------------ update

    def update(self, dt: float) -> None:
        self.clock += dt
        kiosk = self.kiosk
        if kiosk.phase == VISIT and self.visit is None and self.mode != "takeover":
            self._open_visit()
        visit = self.visit
        finished = visit.games if visit is not None else 0
        under_way = visit is not None and visit.under_way
        kiosk.tick(dt, holding=bool(self.held.held), games_finished=finished, game_under_way=under_way)
        self.held.take_pressed()  # only what is held counts here; the list must not grow
        if kiosk.phase == NAME and self.name_screen is not None and self.name_screen.entry.done:
            self._save_name()
        self._sync()
        if kiosk.phase == ATTRACT:
            self.caption_for += dt
            if self.caption_for >= CAPTION_SECONDS:
                self.caption_index, self.caption_for = self._next_caption(), 0.0
            self.loop.update(dt)
            if not self.attract.show_learning:  # how it learns, for the watchers (a new arena too)
                self.attract.set_learning_layer(True)
        elif kiosk.phase == VISIT:
            (self.visit or self.attract).update(dt)

    def _next_caption(self) -> int:
        """The next caption that has something to point at (a vector game has no saliency glow)."""
        for step in range(1, len(CAPTIONS) + 1):
            index = (self.caption_index + step) % len(CAPTIONS)
            kind = CAPTIONS[index][2]
            if kind not in PANEL_COLORS or kind in self.attract.panels:
                return index
        return 0

    def _open_visit(self) -> None:
        """The visitor's match, once its opponent has loaded; a failure sends the booth back to attract."""
        game = self.kiosk.game
        try:
            player = self.games.player(game)
            if player is not None:
                self.visit = self.games.visit(game, self.mode, player)
        except Exception as error:  # a booth runs on: say so, and show the agent again
            self.app.notify(f"{find_game(game).title} cannot be played now ({type(error).__name__}).")
            self._back_to_attract()

    # ------------------------------------------------------------------ drawing

    def draw(self, surface: pygame.Surface) -> None:
        kiosk = self.kiosk
        if kiosk.phase == ATTRACT:
            self._draw_attract(surface)
        elif kiosk.phase == VISIT:
            if self.visit is None and self.mode != "takeover":
                title = find_game(kiosk.game).title
                draw_title_card(surface, "get ready", title, ["The agent is taking its seat…"])
            elif self.visit is not None:
                self.visit.draw(surface)
            else:
                self.attract.draw(surface)
                reserve = surface.get_width() // 5  # the visitor's clock goes there
                draw_caption_band(surface, "YOU", TAKEOVER_CAPTION, "join", reserve)
            draw_clock(surface, kiosk.session_left)
        elif kiosk.phase == NAME and self.name_screen is not None:
            self.name_screen.draw(surface)
        elif kiosk.phase == BOARD and self.saved is not None:
            seconds_left = self.config.board_seconds - kiosk.board_for
            draw_board_screen(surface, find_game(self.saved[0].game).title, *self.saved, seconds_left)
        if kiosk.idle_warning is not None and kiosk.phase == NAME:
            save = "Press ENTER, or A on DONE, to save your name"
            draw_idle_warning(surface, kiosk.idle_warning, save, center_share=0.62)  # under the letters
        elif kiosk.idle_warning is not None:
            draw_idle_warning(surface, kiosk.idle_warning)

    def _draw_attract(self, surface: pygame.Surface) -> None:
        spec = self.attract.spec
        if self.attract.snapshot is None and self.attract.error is None:  # the worker is starting
            stage = stage_label(self.games.learner_stage(spec.id))
            lines = [spec.blurb, f"An agent ({stage}) learns live while you watch."]
            draw_title_card(surface, "up next", spec.full_title, lines, self._join_line())
            return
        self.attract.draw(surface)
        tag, text, kind = CAPTIONS[self.caption_index]
        if kind == "join":
            text = self._join_line()
        draw_caption_band(surface, tag, text, kind)
        panel = self.attract.panels.get(kind)
        if panel is not None:  # the caption points at the part of the screen it explains
            draw_pointer(surface, panel, TAG_COLORS[kind])

    def _join_line(self) -> str:
        return f"Press any key or button to {JOIN_CAPTION[self.modes[self.kiosk.game]]}"

    def close(self) -> None:
        """Stop every worker (saving their weights) and close the visitor's game and the leaderboard."""
        if self.visit is not None:
            self.visit.close()
            self.visit = None
        self.loop.close()
        self.games.close()
        self.leaderboard.close()
