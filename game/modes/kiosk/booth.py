"""The event booth (``main.py kiosk``): its settings and the phases a visitor goes through, without drawing.

The booth loops through four phases, each timed in seconds of ``update(dt)``:

- **attract**: the agent plays the featured games in turn, ``rotate_seconds`` each, while captions
  explain what is on screen. Any key or gamepad button lets a visitor join.
- **visit**: the visitor plays (versus, race, or takes over the agent's game) for at most
  ``session_seconds``; ``idle_seconds`` without input ends the visit early. A race still running
  when the time runs out ends there, with the scores as they stand (as a race's own time limit
  ends it), and counts as a finished game; one left by an idle visitor does not.
- **name**: a visitor who finished at least one game types a name for the leaderboard (keyboard,
  or gamepad only: :class:`game.modes.kiosk.name_entry.NameEntry`). Only a confirmed name is stored: a visitor
  who walks away from this screen leaves nothing behind.
- **board**: the top ten, the visitor's row highlighted, for ``board_seconds``; then attract again.

:class:`Kiosk` is the pure state machine; ``game.ui.scenes.kiosk.scene.KioskScene`` feeds it events and
draws it. Nothing here imports pygame or torch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from game import places
from game.errors import UserError
from game.modes.runs import game_slug

Phase = Literal["attract", "visit", "name", "board"]
ATTRACT, VISIT, NAME, BOARD = "attract", "visit", "name", "board"
JOIN_MODES = ("auto", "versus", "race", "takeover")
# Games with a visitor mode and a shipped agent, in the attract loop's order.
DEFAULT_GAMES = ("pong", "catch", "tictactoe", "ALE/Pong-v5", "ALE/Boxing-v5", "ALE/Breakout-v5")
ROTATE_SECONDS = 50.0  # attract: each game is shown this long
BOARD_SECONDS = 10.0  # the leaderboard stays this long after a name is saved
BOARD_MIN_SECONDS = 3.0  # ... and input cannot skip it before this
STUCK_KEY_SECONDS = 60.0  # a key held this long with no other input is stuck (or an object lies on it)
IDLE_WARNING_SECONDS = 10.0  # "still there?" shows this long (at most half the idle time) before the end
# Atari versus at the booth: Pong ends at 5 points, not 21; Boxing keeps its own two-minute clock
# (or a knock-out), which fits a visitor's three minutes (5 punches would take seconds).
ATARI_POINTS_TO_WIN = {"ALE/Pong-v5": 5}
KIOSK_REPLAY_CAPACITY = 20_000  # transitions: the attract learner's replay memory, all day
KIOSK_DEMO_CAPACITY = 2_000  # transitions of visitors' take-over play kept apart from the ring
KIOSK_CHECKPOINT_EVERY_STEPS = 10_000  # agent steps: the watchdog restarts from at most this far back
KIOSK_METRICS_MAX_BYTES = 5_000_000  # each metrics CSV of an attract learner, its newest rows kept


@dataclass(frozen=True)
class KioskConfig:
    """How the booth runs; built once by :meth:`from_args` (main.py) or directly (tests)."""

    games: tuple[str, ...] = DEFAULT_GAMES
    """game ids of the attract loop, in order"""
    join: str = "auto"
    """what a visitor joins: auto (versus where a game has it, else race), versus, race or takeover"""
    session_seconds: float = 180.0
    """play time per visitor"""
    idle_seconds: float = 30.0
    """without any input this long, a visitor is let go (and an unconfirmed name dropped)"""
    leaderboard: str | None = None
    """SQLite file of the leaderboard (None: kiosk.sqlite3 in the data folder, ``game.places``)"""
    rotate_seconds: float = ROTATE_SECONDS
    """attract: seconds per game"""
    board_seconds: float = BOARD_SECONDS
    """seconds the top ten stay on screen after a name"""
    runs_dir: str | None = None
    """parent of the attract learners' run directories (``kiosk-GAME-STAGE``; None: the data folder's
    runs/)"""

    def __post_init__(self) -> None:
        if not self.games:
            raise UserError("The kiosk needs at least one game; name some with --games pong,catch.")
        if self.join not in JOIN_MODES:
            raise UserError(f"--join must be one of {', '.join(JOIN_MODES)}, not '{self.join}'.")
        for name in ("session_seconds", "idle_seconds", "rotate_seconds", "board_seconds"):
            value = getattr(self, name)
            if not value > 0:
                flag = name.replace("_", "-")
                raise UserError(f"--{flag} must be a positive number of seconds, not {value}.")

    @classmethod
    def from_args(
        cls,
        games: str | None,
        join: str,
        session_seconds: float,
        idle_seconds: float,
        leaderboard: str | None,
        **extra: Any,
    ) -> KioskConfig:
        """The config from ``main.py kiosk``'s flags, checked: every game exists and has the join mode,
        and the leaderboard file can be written (a damaged one is moved aside when the booth opens it).

        Raises:
            UserError: one sentence naming the bad value and what to do.
        """
        from game.catalog import UnknownGameError, find_game

        if games is None:
            ids = []
            for game_id in DEFAULT_GAMES:
                try:
                    ids.append(find_game(game_id).id)
                except UnknownGameError:  # Atari without its ROMs: the booth runs the others
                    continue
        else:
            ids = [find_game(name.strip()).id for name in games.split(",") if name.strip()]
        config = cls(tuple(dict.fromkeys(ids)), join, session_seconds, idle_seconds, leaderboard, **extra)
        for game_id in config.games:
            config.mode_for(game_id)
        check_leaderboard(config.leaderboard_file)
        return config

    @property
    def leaderboard_file(self) -> Path:
        """The leaderboard's SQLite file: as given, or kiosk.sqlite3 in the data folder."""
        return Path(self.leaderboard) if self.leaderboard is not None else places.leaderboard_path()

    def mode_for(self, game_id: str) -> str:
        """How a visitor plays ``game_id``: "versus", "race" or "takeover".

        Raises:
            UserError: a forced --join that the game does not have.
        """
        from game.catalog import find_game
        from game.modes.matches import MATCH_CHECKS, match_kind

        spec = find_game(game_id)
        if self.join == "takeover":
            return "takeover"
        if self.join in MATCH_CHECKS:
            MATCH_CHECKS[self.join](spec)  # raises the game's own one-sentence refusal
            return self.join
        return match_kind(spec) or "takeover"

    def points_to_win(self, game_id: str) -> int | None:
        """Points that end a versus game at the booth (Atari Pong's own 21 take too long); None: the
        game's own end."""
        return ATARI_POINTS_TO_WIN.get(game_id)

    def run_dir(self, game_id: str, stage: str | None) -> Path:
        """Where the attract learner of ``game_id`` starting from ``stage`` keeps its checkpoints."""
        runs = Path(self.runs_dir) if self.runs_dir is not None else places.runs_dir()
        return runs / f"kiosk-{game_slug(game_id)}-{stage or 'new'}"

    @staticmethod
    def train_overrides() -> dict[str, Any]:
        """Settings of the attract learner: a capped replay, frequent weights-only checkpoints for the
        watchdog, and no evaluation pauses (the showcase must never stall)."""
        return {
            "dqn.replay_capacity": KIOSK_REPLAY_CAPACITY,
            "dqn.demo_capacity": KIOSK_DEMO_CAPACITY,
            "dqn.demo_fraction": 0.1,
            "checkpoint_every_steps": KIOSK_CHECKPOINT_EVERY_STEPS,
            "keep_checkpoints": 1,
            "eval_every_steps": 0,
            "save_replay": False,
        }


def check_leaderboard(path: Path) -> None:
    """Raise UserError unless the leaderboard file can be created or written.

    A file that can be written but is damaged is no refusal: the booth's Leaderboard moves it aside
    and starts an empty one (an unattended booth must come up, not exit into the same error forever).
    """
    refusal = f"The leaderboard file {path} cannot be written"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab"):  # creates an empty file, which SQLite takes for an empty database
            pass
    except OSError as error:
        raise UserError(f"{refusal} ({error.strerror}); pass a writable file with --leaderboard.") from error
    if not os.access(path.parent, os.W_OK | os.X_OK):  # SQLite writes its journal beside the file
        raise UserError(f"{refusal} (its folder is read-only); pass a writable file with --leaderboard.")


# ---------------------------------------------------------------------- the booth's phases


class Kiosk:
    """The booth's phase and clocks; every change comes from one of its methods (no drawing, no I/O).

    Attributes:
        phase: "attract", "visit", "name" or "board".
        game_index: which of ``config.games`` the attract loop shows (and a visitor plays).
        shown_for: seconds the current game has been on in the attract loop.
        session_left: seconds the visitor has left.
        idle_for: seconds since the last input of a visitor (or at the name entry).
        held_for: seconds a key has been held with no other input.
        board_for: seconds the leaderboard has been on screen.
        visits: visitors who joined since the kiosk started.
        time_up: the visit ended because its time ran out (not idle, not the operator), so the game
            under way ends as it stands.
    """

    def __init__(self, config: KioskConfig):
        self.config = config
        self.phase: Phase = ATTRACT
        self.game_index = 0
        self.shown_for = 0.0
        self.session_left = 0.0
        self.idle_for = 0.0
        self.held_for = 0.0
        self.board_for = 0.0
        self.visits = 0
        self.time_up = False

    @property
    def game(self) -> str:
        return self.config.games[self.game_index]

    @property
    def next_game(self) -> str:
        return self.config.games[(self.game_index + 1) % len(self.config.games)]

    @property
    def rotation_due(self) -> bool:
        """The attract loop has shown this game long enough (the scene rotates once the next is ready)."""
        return self.phase == ATTRACT and self.shown_for >= self.config.rotate_seconds

    @property
    def idle_warning(self) -> float | None:
        """Seconds until an idle visitor is let go, once that is near; else None."""
        left = self.config.idle_seconds - self.idle_for
        warn = min(IDLE_WARNING_SECONDS, self.config.idle_seconds / 2)
        if self.phase in (VISIT, NAME) and left <= warn:
            return max(0.0, left)
        return None

    def rotate(self) -> None:
        """On to the next game of the attract loop."""
        self.game_index = (self.game_index + 1) % len(self.config.games)
        self.shown_for = 0.0

    def input(self) -> bool:
        """A visitor pressed something; True when that starts a visit (it came during attract)."""
        self.idle_for = self.held_for = 0.0
        if self.phase == ATTRACT:
            self.phase = VISIT
            self.session_left = self.config.session_seconds
            self.time_up = False
            self.visits += 1
            return True
        if self.phase == BOARD and self.board_for >= BOARD_MIN_SECONDS:
            self.attract()
        return False

    def tick(
        self, dt: float, holding: bool = False, games_finished: int = 0, game_under_way: bool = False
    ) -> Phase | None:
        """Advance the clocks by ``dt`` seconds; returns the new phase when it changed.

        Args:
            holding: the visitor holds a key or a direction (input too, for up to STUCK_KEY_SECONDS).
            games_finished: games the visitor has finished this visit (decides whether a name is asked).
            game_under_way: a game is being played that ends as it stands when the time runs out (a
                race): then it counts as finished too, but not when an idle visitor is let go.
        """
        before = self.phase
        self.held_for = self.held_for + dt if holding else 0.0
        if holding and self.held_for < STUCK_KEY_SECONDS:
            self.idle_for = 0.0
        else:
            self.idle_for += dt
        if self.phase == ATTRACT:
            self.shown_for += dt
        elif self.phase == VISIT:
            self.session_left = max(0.0, self.session_left - dt)
            if self.idle_for >= self.config.idle_seconds:
                self.end_visit(games_finished)
            elif self.session_left <= 0.0:
                self.end_visit(games_finished + int(game_under_way), time_up=True)
        elif self.phase == NAME:
            if self.idle_for >= self.config.idle_seconds:
                self.attract()  # nobody confirmed a name: nothing is stored
        elif self.phase == BOARD:
            self.board_for += dt
            if self.board_for >= self.config.board_seconds:
                self.attract()
        return self.phase if self.phase != before else None

    def end_visit(self, games_finished: int, time_up: bool = False) -> None:
        """The visit is over (``time_up``: its time ran out): a name is asked for if a game was
        finished, else back to attract."""
        self.idle_for = 0.0
        self.time_up = time_up
        if games_finished > 0:
            self.phase = NAME
        else:
            self.attract()

    def name_saved(self) -> None:
        self.phase = BOARD
        self.board_for = 0.0
        self.idle_for = 0.0

    def attract(self) -> None:
        """Back to the attract loop, on the same game, its clock where it was."""
        self.phase = ATTRACT
        self.session_left = 0.0
        self.idle_for = 0.0
