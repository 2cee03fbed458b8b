"""How the arcade's screens lead to one another: menu -> arena (watch it learn), play (alone), or a
match against a trained agent (versus or race).

Each game's arena agent lives in its own run directory (``runs/arena-GAME``), so coming back to
a game continues the agent where it was, across restarts of the program.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from game.catalog import GameSpec
from game.errors import UserError
from game.session import SessionConfig, Worker
from game.shipped import shipped_agents

ARENA_RUNS = Path("runs")  # parent of the arena's run directories
ARENA_AGENT = "arena"  # watch: continue the game's own arena agent (a new one the first time)
NEW_AGENT = "new"  # watch: a new agent, the saved one kept aside


def arena_run_dir(spec: GameSpec, runs: Path = ARENA_RUNS) -> Path:
    """Where ``spec``'s own arena agent lives."""
    slug = spec.id.replace("ALE/", "").replace("/", "-").lower()
    return runs / f"arena-{slug}"


def saved_agents(spec: GameSpec, runs: Path = ARENA_RUNS) -> list[Path]:
    """The agents shipped for ``spec``'s game, then checkpoints of it found in run directories
    (best.pt where there is one), newest first."""
    shipped = [path for _, path in shipped_agents(spec.id)]
    found = []
    for config in runs.glob("*/config.json"):
        try:
            game_id = json.loads(config.read_text()).get("game_id")
        except (OSError, ValueError):
            continue
        folder = config.parent / "checkpoints"
        checkpoint = next(
            (folder / name for name in ("best.pt", "latest.pt") if (folder / name).is_file()), None
        )
        if game_id == spec.id and checkpoint is not None and config.parent != arena_run_dir(spec, runs):
            found.append(checkpoint)
    return shipped + sorted(found, key=lambda path: path.stat().st_mtime, reverse=True)


def check_checkpoint(spec: GameSpec, path: str) -> None:
    """Raise UserError (one sentence) unless ``path`` is a checkpoint this game can load."""
    from agents.checkpoint import CheckpointError, load_checkpoint

    env = spec.make_env("train")
    try:
        expected = {
            "game_id": spec.id,
            "observation_shape": list(env.observation_space.shape or ()),
            "n_actions": int(env.action_space.n),
        }
    finally:
        env.close()
    try:
        load_checkpoint(path, expected)
    except CheckpointError as error:
        raise UserError(str(error)) from error


class Arcade:
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

    def start_play(self, spec: GameSpec) -> None:
        self.app.switch(self.play(spec))

    def start_match(self, spec: GameSpec, stage: str | None) -> None:
        """Versus in two-player games, a race in one-player ones, against ``stage`` (a shipped stage's
        name or a trained checkpoint's path; None: the most trained shipped agent)."""
        from game.players import load_player
        from game.ui.scenes.menu import match_kind

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
