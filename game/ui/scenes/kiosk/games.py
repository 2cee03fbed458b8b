"""What the kiosk puts on screen: the attract loop's learning arenas and the visitors' matches.

Each attract arena is a real worker process learning live from the game's shipped agent (the
stage the operator picked, the most trained by default), in its own run directory, so a restarted
kiosk continues where the day's learning was. Its watchdog never gives up: a crashed or silent
worker is restarted from the last checkpoint, waiting longer after each failure in a row.

A visitor's opponent is loaded in a background thread as soon as a game comes on screen, so
joining does not freeze the display while torch loads.
"""

from __future__ import annotations

import concurrent.futures
from typing import Protocol

import pygame

from game.catalog import find_game
from game.modes.kiosk.booth import KIOSK_METRICS_MAX_BYTES, Kiosk, KioskConfig
from game.modes.players import Player, Stage, load_player, stages
from game.modes.protocol import RestartPolicy, SessionConfig
from game.modes.session import Worker
from game.ui.scenes.arena import ArenaScene

KIOSK_RACE_SECONDS = 90.0  # a race at the booth ends after this much game time, seconds
PRESTART_SECONDS = 10.0  # the next attract game's worker starts this long before its turn
MAX_WAIT_SECONDS = 20.0  # ... and is shown this long after its turn even if it has not spoken yet
KIOSK_RESTARTS = RestartPolicy(max_restarts=None, delay_s=2.0, backoff=2.0, max_delay_s=60.0, hang_s=45.0)
"""never give up; 2, 4, 8 ... 60 s between tries; a worker silent for 45 s counts as hung"""


class VisitorGame(Protocol):
    """What the kiosk needs of a versus or race scene."""

    games: int
    """games finished so far"""
    under_way: bool
    """a game is being played that :meth:`stop` would end as it stands and count (a race)"""

    def handle_event(self, event: pygame.event.Event) -> None: ...
    def update(self, dt: float) -> None: ...
    def draw(self, surface: pygame.Surface) -> None: ...
    def close(self) -> None: ...
    def result(self) -> tuple[float, float]: ...
    def stop(self) -> None:
        """The visitor's time is up: end the game under way as it stands, where that counts it."""


class KioskGames:
    """Builds the kiosk's scenes, and remembers the agent stage the operator chose for each game."""

    def __init__(self, app, config: KioskConfig, restart: RestartPolicy = KIOSK_RESTARTS):
        self.app = app
        self.config = config
        self.restart = restart
        self._stage_index: dict[str, int] = {}  # game id -> index into stages(); absent: the most trained
        self._stages: dict[str, list[Stage]] = {}  # read from the shipped manifest once per game
        self._players = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="q-arcade-player")
        self._player: tuple[tuple[str, str | None], concurrent.futures.Future[Player]] | None = None

    def stages(self, game_id: str) -> list[Stage]:
        if game_id not in self._stages:
            self._stages[game_id] = stages(find_game(game_id))
        return self._stages[game_id]

    def stage(self, game_id: str) -> Stage | None:
        """The agent stage a game is shown and played with now (None: no agent ships for it)."""
        available = self.stages(game_id)
        if not available:
            return None
        return available[self._stage_index.get(game_id, len(available) - 1) % len(available)]

    def learner_stage(self, game_id: str) -> Stage | None:
        """The stage the attract learner starts from: the chosen one if it is a network, else None
        (a self-play Q-table cannot seed a network: the learner starts from scratch)."""
        stage = self.stage(game_id)
        return stage if stage is not None and stage.kind == "dqn" else None

    def next_stage(self, game_id: str) -> Stage | None:
        """The operator's Ctrl+Shift+C: on to the next stage (easiest after the most trained)."""
        available = self.stages(game_id)
        if available:
            index = self._stage_index.get(game_id, len(available) - 1)
            self._stage_index[game_id] = (index + 1) % len(available)
        return self.stage(game_id)

    def attract(self, game_id: str) -> ArenaScene:
        """A kiosk arena for ``game_id``: its worker starts now, from the day's run or the shipped stage."""
        session = self.session(game_id)
        return ArenaScene(self.app, find_game(game_id), Worker(session), kiosk=True, restart=self.restart)

    def session(self, game_id: str) -> SessionConfig:
        """What the attract learner of ``game_id`` runs: the day's run if there is one, else the chosen
        stage, with the kiosk's settings and its metrics capped (a booth runs for days)."""
        spec = find_game(game_id)
        stage = self.learner_stage(game_id)
        run_dir = self.config.run_dir(spec.id, stage.name if stage else None)
        resume = (run_dir / "checkpoints" / "latest.pt").is_file()
        checkpoint = str(stage.path) if stage is not None and not resume else None
        return SessionConfig(
            spec.id,
            str(run_dir),
            resume=resume,
            checkpoint=checkpoint,
            train_overrides=self.config.train_overrides(),
            metrics_max_bytes=KIOSK_METRICS_MAX_BYTES,
        )

    def prepare(self, game_id: str) -> None:
        """Start loading the opponent for ``game_id`` in the background (one at a time is kept)."""
        if self.config.mode_for(game_id) == "takeover":
            return
        stage = self.stage(game_id)
        key = (game_id, stage.name if stage else None)
        if self._player is None or self._player[0] != key:
            spec = find_game(game_id)
            self._player = (key, self._players.submit(load_player, spec, key[1]))

    def player(self, game_id: str) -> Player | None:
        """The opponent for ``game_id`` once it has loaded (None while it loads)."""
        self.prepare(game_id)
        assert self._player is not None
        future = self._player[1]
        return future.result() if future.done() else None

    def visit(self, game_id: str, mode: str, player: Player) -> VisitorGame:
        """The visitor's match: versus or race against ``player``, in kiosk mode (no way out)."""
        spec = find_game(game_id)
        if mode == "versus":
            from game.ui.scenes.versus import VersusScene

            points = self.config.points_to_win(spec.id)
            return VersusScene(self.app, spec, player, kiosk=True, points_to_win=points)
        from game.ui.scenes.race import RaceScene

        # At a booth a race is short, so that a visitor's session holds a few of them. Its own clock
        # stays hidden: the booth shows the visitor's session clock on every visit, and that is the
        # one that ends their turn; two clocks side by side, counting different things, confuse.
        limit = min(KIOSK_RACE_SECONDS, self.config.session_seconds)
        return RaceScene(self.app, spec, player, kiosk=True, time_limit_s=limit, show_clock=False)

    def close(self) -> None:
        self._players.shutdown(wait=False, cancel_futures=True)


class AttractLoop:
    """The attract loop's arenas: the one on screen and, near its turn, the next one, started early
    so that it is already playing when it comes on. One game alone is never restarted."""

    def __init__(self, games: KioskGames, kiosk: Kiosk):
        self.games = games
        self.kiosk = kiosk
        self.arena: ArenaScene = games.attract(kiosk.game)
        self.upcoming: ArenaScene | None = None
        games.prepare(kiosk.game)

    @property
    def single(self) -> bool:
        return len(set(self.kiosk.config.games)) == 1

    def update(self, dt: float) -> None:
        """Start the next game early, rotate once it plays (or has kept us waiting too long)."""
        kiosk, rotate_s = self.kiosk, self.kiosk.config.rotate_seconds
        if self.single:
            if kiosk.rotation_due:
                kiosk.rotate()
        else:
            if self.upcoming is None and kiosk.shown_for >= rotate_s - PRESTART_SECONDS:
                self.upcoming = self.games.attract(kiosk.next_game)
            if self.upcoming is not None:
                self.upcoming.update(dt)  # takes its snapshots, so it is ready when its turn comes
            ready = self.upcoming is not None and self.upcoming.snapshot is not None
            if kiosk.rotation_due and (ready or kiosk.shown_for >= rotate_s + MAX_WAIT_SECONDS):
                self.show_next()
        self.arena.update(dt)

    def show_next(self) -> None:
        """On to the next game now (the operator's Ctrl+Shift+N, or its turn)."""
        self.kiosk.rotate()
        if self.upcoming is None and not self.single:
            self.upcoming = self.games.attract(self.kiosk.game)
        if self.upcoming is not None:
            self.replace(self.upcoming)
        self.upcoming = None
        self.games.prepare(self.kiosk.game)

    def replace(self, arena: ArenaScene) -> None:
        """Show ``arena``; the old one's worker saves its weights and stops in the background."""
        old, self.arena = self.arena, arena
        if old is not arena:
            old.close(background=True)

    def drop_upcoming(self) -> None:
        if self.upcoming is not None:
            self.upcoming.close(background=True)
            self.upcoming = None

    def close(self) -> None:
        self.drop_upcoming()
        self.arena.close()


def stage_label(stage: Stage | None) -> str:
    """How the kiosk names an agent: its stage, or that it starts from scratch."""
    return stage.name if stage is not None else "from scratch"
