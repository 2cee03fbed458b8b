"""The worker of ``main.py arena --attach RUN``: the showcase game played by a job's newest weights.

A :class:`Watcher` stands where the arena's :class:`~game.modes.session.Session` stands, in the same
worker process and loop (``run_session`` picks it for ``SessionConfig(watch=True)``), and speaks the
same Commands and Snapshots. It never learns: no replay memory, no updates, nothing sent to the job.
It plays the run's game at the game's real rate with the weights the job last wrote (``live.pt``,
see ``game.modes.attach.newest_weights``), looks for newer ones every ``WEIGHTS_CHECK_S`` and loads
them between two steps. A person may take the game over as in the arena; their play stays here.
Before the job has written any weights the worker waits for them, sending empty snapshots.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from game.catalog import display_frames
from game.modes.attach import WeightsFile, newest_weights
from game.modes.protocol import (
    Command,
    HandBack,
    HumanAction,
    OverrideEpsilon,
    Quit,
    SessionConfig,
    Snapshot,
    TakeOver,
)
from game.modes.session import _showcase_step_seconds, advance_showcase  # as the arena's worker shows a game

WEIGHTS_CHECK_S = 1.0  # how often the run's weights files are looked at (live.pt is written every ~10 s)
WAIT_SNAPSHOT_S = 0.5  # before any weights: how often an empty snapshot says the worker is alive
NAP_S = 0.005  # between showcase steps: the longest sleep, so commands are heard at once


class Watcher:
    """The worker's state when it watches a job: its game, its network, the weights' file."""

    def __init__(self, config: SessionConfig):
        import torch

        from agents.networks import make_network
        from agents.trainer import Trainer
        from game.catalog import action_labels, find_game
        from game.gym_games import import_games, with_obs_layout

        torch.set_num_threads(config.threads)
        import_games(config.imports)
        game_id, train_config = Trainer.read_run(config.run_dir)  # CheckpointError: not a run
        spec = with_obs_layout(find_game(game_id), train_config.obs_layout)
        self.run_dir = Path(config.run_dir)
        self.game_id = spec.id
        self.showcase = spec.make_env("show")
        space = self.showcase.observation_space
        self.n_actions = int(self.showcase.action_space.n)
        dqn = train_config.dqn
        self.network = make_network(space, self.n_actions, dqn.network, dqn.dueling, dqn.hidden).eval()
        self.expected = {
            "game_id": spec.id,
            "observation_shape": list(space.shape or ()),
            "n_actions": self.n_actions,
        }
        self.labels = action_labels(self.showcase)
        self.eval_epsilon = float(train_config.eval_epsilon)
        self.epsilon_override: float | None = None
        self.rng = np.random.default_rng(train_config.seed + 2_000_003)
        self.obs, _ = self.showcase.reset(seed=train_config.seed + 2_000_003)
        self.step_seconds = _showcase_step_seconds(self.showcase)
        self.weights: WeightsFile | None = None
        """the file whose weights the network holds; None before any was loaded"""
        self.metadata: dict[str, Any] = {}
        self.tried: tuple[str, int, int] | None = None
        """the stamp of the weights file last tried (``WeightsFile.stamp``)"""
        self.next_check = 0.0
        self.notices: list[str] = []
        self.notice_count = 0
        self.score = 0.0
        self.controller = "agent"
        self.human_action = 0
        self.running = True
        self.paused = False  # the run_session loop's flags: a watcher is never paused nor fast
        self.fast = False
        self.lens = None
        self.next_showcase = time.monotonic()
        self.last_fast_snapshot = 0.0
        self.pending_frames: list[np.ndarray] = display_frames(self.showcase)
        self.refresh(force=True)

    # ------------------------------------------------------------------ commands

    def handle(self, command: Command) -> None:
        """The arena's commands that mean something here; the learning ones (pause, fast-forward,
        save, record, the learning layer) have nothing to act on and are ignored."""
        if isinstance(command, TakeOver):
            self.controller = "human"
        elif isinstance(command, HandBack):
            self.controller = "agent"
        elif isinstance(command, HumanAction):
            self.human_action = int(command.action)
        elif isinstance(command, OverrideEpsilon):
            self.epsilon_override = command.epsilon
        elif isinstance(command, Quit):
            self.running = False

    # ------------------------------------------------------------------ weights

    @property
    def epsilon(self) -> float:
        return self.eval_epsilon if self.epsilon_override is None else float(self.epsilon_override)

    def refresh(self, force: bool = False) -> bool:
        """Load the run's newest weights when they changed (looked at every WEIGHTS_CHECK_S); True
        when new ones were loaded. A file that cannot be loaded leaves the weights played as they were."""
        from agents.checkpoint import CheckpointError, load_checkpoint

        now = time.monotonic()
        if not force and now < self.next_check:
            return False
        self.next_check = now + WEIGHTS_CHECK_S
        found = newest_weights(self.run_dir)
        if found is None or found.stamp == self.tried:
            return False
        self.tried = found.stamp  # a file that cannot be loaded is tried again once it is rewritten
        try:
            state, metadata = load_checkpoint(found.path, self.expected)
            self.network.load_state_dict(state["model"]["network"])
        except (CheckpointError, KeyError, TypeError, RuntimeError) as error:
            self._notice(
                f"The job's weights {found.path.name} could not be loaded ({error}); "
                "the previous ones play on."
            )
            return False
        self.weights, self.metadata = found, metadata
        return True

    def learn(self) -> None:
        """What the worker loop calls between showcase steps: a watcher never learns; it looks for
        newer weights, then naps until the next step is due."""
        self.refresh()
        time.sleep(max(0.0, min(NAP_S, self.next_showcase - time.monotonic())))

    def save(self, with_replay: bool | None = None) -> None:
        """Nothing to save: the weights are the job's."""

    # ------------------------------------------------------------------ playing

    def act(self, obs: np.ndarray, epsilon: float) -> tuple[np.ndarray, int, int, bool, float | None]:
        """(Q-values, action, greedy action, explored, V(s) of a dueling network) for one observation."""
        import torch

        from agents.acting import epsilon_greedy_batch

        with torch.inference_mode():
            batch = torch.as_tensor(np.asarray(obs)[None])
            forward_parts = getattr(self.network, "forward_parts", None)
            parts = forward_parts(batch) if forward_parts is not None else None
            q, value = (parts.q, parts.value) if parts is not None else (self.network(batch), None)
        q_values = q.float().numpy()
        actions, greedy, explored = epsilon_greedy_batch(q_values, epsilon, self.rng)
        v = None if value is None else float(value.float().reshape(-1)[0])
        return q_values[0], int(actions[0]), int(greedy[0]), bool(explored[0]), v

    def showcase_step(self) -> Snapshot:
        """One step of the game on screen, by the job's weights or by the person; before any weights
        exist, an empty snapshot (every WAIT_SNAPSHOT_S) that says the worker waits for them."""
        if self.weights is None:
            self.refresh()
            self.next_showcase = time.monotonic() + WAIT_SNAPSHOT_S
            return self._snapshot(frames=[])
        q_values, action, greedy, explored, value = self.act(self.obs, self.epsilon)
        human = self.controller == "human"
        if human:
            action, explored = self.human_action, False
        next_obs, reward, terminated, truncated, info = self.showcase.step(action)
        self.score += float(reward)
        snapshot = self._snapshot(self.pending_frames + display_frames(self.showcase))
        snapshot.q_values, snapshot.action, snapshot.greedy_action = q_values, action, greedy
        snapshot.explored, snapshot.value = explored, value
        info = advance_showcase(self, next_obs, terminated or truncated, info)
        self._board_values(snapshot, info)
        return snapshot

    def _board_values(self, snapshot: Snapshot, info: dict) -> None:
        """Q-values on the board itself (GridWorld's cells), as the arena's worker sends them."""
        if not hasattr(self.showcase.unwrapped, "cell_rect"):
            return
        if isinstance(self.showcase.observation_space, gym.spaces.Discrete):
            import torch

            with torch.inference_mode():
                cells = torch.arange(int(self.showcase.observation_space.n))
                snapshot.board_q = self.network(cells).float().numpy()
        else:
            snapshot.board_q = self.act(self.obs, 0.0)[0]
            mask = info.get("action_mask")
            snapshot.board_mask = None if mask is None else np.asarray(mask, dtype=bool)

    def _snapshot(self, frames: list[np.ndarray]) -> Snapshot:
        metadata, weights = self.metadata, self.weights
        loaded = weights is not None
        return Snapshot(
            frames=frames,
            q_values=None,
            epsilon=self.epsilon,
            epsilon_schedule=None,  # the evaluation epsilon: no schedule to show
            epsilon_override=self.epsilon_override is not None,
            controller=self.controller,
            score=self.score,
            steps=int(metadata.get("steps", 0)),
            episodes=int(metadata.get("episodes", 0)),
            updates=int(metadata.get("updates") or 0),
            checkpoint=str(weights.path) if loaded else None,
            weights_saved_at=weights.mtime if loaded else None,
            labels=self.labels,
            notices=list(self.notices),
            notice_count=self.notice_count,
        )

    def _notice(self, text: str) -> None:
        self.notices = [*self.notices[-4:], text]
        self.notice_count += 1

    def fast_snapshot(self) -> Snapshot:
        """Never asked for (a watcher is never fast); the showcase as it stands."""
        return self._snapshot(frames=[])

    def final_snapshot(self) -> Snapshot:
        """The last word of a worker that stopped as asked."""
        return self._snapshot(frames=[])

    def close(self) -> None:
        self.showcase.close()
