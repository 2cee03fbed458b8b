"""How the arcade's screens lead to one another: menu -> arena (watch it learn), play (alone), or a
match against a trained agent (versus or race).

Each game's arena agent lives in its own run directory (``game.modes.runs.arena_run_dir``), so
coming back to a game continues the agent where it was, across restarts of the program.
"""

from __future__ import annotations

import time
from pathlib import Path

from game.catalog import GameSpec
from game.errors import UserError
from game.modes.matches import match_kind
from game.modes.protocol import SessionConfig
from game.modes.runs import arena_run_dir, check_checkpoint, saved_agents, shipped_agents
from game.modes.session import Worker

ARENA_AGENT = "arena"  # watch: continue the game's own arena agent (a new one the first time)
NEW_AGENT = "new"  # watch: a new agent, the saved one kept aside


class Navigator:
    """Builds the scenes and wires their exits: the arena and play both lead back to the menu."""

    def __init__(self, app):
        self.app = app
        self._menu = None

    def worker_for(
        self, spec: GameSpec, checkpoint: str | None = None, new: bool = False, run_dir: str | None = None
    ) -> Worker:
        """A worker (not started) for ``spec``; it continues the saved agent unless told otherwise."""
        if checkpoint:
            check_checkpoint(spec, checkpoint)
        folder = Path(run_dir) if run_dir else arena_run_dir(spec)
        saved = (folder / "checkpoints" / "latest.pt").is_file()
        if saved and (new or checkpoint) and not run_dir:
            folder = folder.with_name(f"{folder.name}-{time.strftime('%Y%m%d-%H%M%S')}")  # keep the old agent
            saved = False
        resume = saved and not new and not checkpoint
        if not resume and not new and not checkpoint and spec.kind == "atari":
            # An Atari agent takes hours to learn: its first arena starts from the most trained one shipped.
            shipped = shipped_agents(spec.id)
            checkpoint = str(shipped[0][1]) if shipped else None
        return Worker(SessionConfig(spec.id, str(folder), resume=resume, checkpoint=checkpoint))

    def arena(self, spec: GameSpec, worker: Worker | None = None):
        from game.ui.scenes.arena import ArenaScene

        return ArenaScene(self.app, spec, worker or self.worker_for(spec), on_exit=self.show_menu)

    def play(self, spec: GameSpec):
        from game.ui.scenes.play import PlayScene

        return PlayScene(self.app, spec, on_exit=self.show_menu)

    def menu(self):
        from game.ui.scenes.menu import MenuScene

        if self._menu is None:
            self._menu = MenuScene(
                self.app,
                on_watch=self.watch,
                on_play=self.start_play,
                find_agents=saved_agents,
                on_match=self.start_match,
                on_lab=self.start_lab,
            )
        return self._menu

    def show_menu(self) -> None:
        self.app.switch(self.menu())

    def watch(self, spec: GameSpec, agent: str = ARENA_AGENT) -> None:
        """The arena for ``spec`` with its arena agent, a new one (NEW_AGENT), or a checkpoint's path."""
        if agent == ARENA_AGENT:
            worker = self.worker_for(spec)
        elif agent == NEW_AGENT:
            worker = self.worker_for(spec, new=True)
        else:
            try:
                worker = self.worker_for(spec, checkpoint=agent)
            except UserError as error:
                self.app.notify(str(error))
                return
        self.app.switch(self.arena(spec, worker))

    def start_lab(self) -> None:
        """The Q-learning lab (Q in the menu), back to the menu with ESC."""
        from game.ui.scenes.lab import LabScene

        self.app.switch(LabScene(self.app, on_exit=self.show_menu))

    def start_play(self, spec: GameSpec) -> None:
        self.app.switch(self.play(spec))

    def start_match(self, spec: GameSpec, stage: str | None) -> None:
        """Versus in two-player games, a race in one-player ones, against ``stage`` (a shipped stage's
        name or a trained checkpoint's path; None: the most trained shipped agent)."""
        from game.modes.players import load_player

        try:
            if stage is not None and stage.endswith(".pt"):
                player = load_player(spec, checkpoint=stage)
            else:
                player = load_player(spec, stage=stage)
        except UserError as error:
            self.app.notify(str(error))
            return
        if match_kind(spec) == "versus":
            from game.ui.scenes.versus import VersusScene

            self.app.switch(VersusScene(self.app, spec, player, on_exit=self.show_menu))
        else:
            from game.ui.scenes.race import RaceScene

            self.app.switch(RaceScene(self.app, spec, player, on_exit=self.show_menu))
