"""The training loop over gymnasium envs: headless from ``main.py train``, and driven by the arena's worker.

The loop is a :class:`Trainer` whose :meth:`Trainer.step` plays one step in every environment and
does the updates that fall due; ``train()`` just calls it until the budget is spent. Anything that
wants to pause, single-step or inspect learning calls ``step()`` itself.

Step counts are *agent steps summed over the environments* (with Atari's frame skip of 4, one agent
step is four frames).

A long run meets faults that must not end it: a damaged latest.pt at start (the newest good numbered
checkpoint loads instead), an update whose loss or Q-values go NaN or infinite (the last good weights
come back), a write that fails on a full disk (the previous file stays). Each leaves one sentence in
:attr:`Trainer.notices` (taken with :meth:`Trainer.take_notices`): the command line prints them,
the arena shows them. Settings whose replay memory the machine cannot hold are refused before
anything is allocated (:class:`agents.resources.NotEnoughMemoryError`).
"""

from __future__ import annotations

import copy
import json
import os
import time
import zipfile
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from agents import resources
from agents.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from agents.dqn import DQNAgent, NonFiniteUpdateError, make_agent
from agents.metrics import MetricsLog
from agents.pools import EnvPool, EpisodeEnd, Pool, play_evaluation
from agents.replay import Transition
from agents.threads import ThreadGovernor
from agents.train_config import TrainConfig

RUN_FORMAT_VERSION = 1  # of config.json in a run directory
LATEST = "latest.pt"  # the checkpoint a resume starts from
BEST = "best.pt"  # the weights of the best evaluation so far
REPLAY_FILE = "replay.replay.npz"
MAX_BAD_UPDATES = 3  # non-finite updates since the last good state before learning stops for good


class Trainer:
    """DQN on a pool of environments, with metrics, evaluations and checkpoints in a run directory.

    Args:
        game_id: recorded in checkpoints, which then refuse to load for another game.
        make_env: a fresh training environment.
        config: the settings.
        run_dir: where config, metrics and checkpoints go (None: nothing is written).
        make_eval_env: a fresh environment to evaluate on (None: ``make_env``).
        extra_streams: replay streams beyond the pool's, for environments stepped by someone else
            (the arena's showcase game feeds stream ``num_envs``).
        make_pool: ``make_pool(num_envs, seed)`` builds the environments as one pool (a game's
            fast path); None steps ``make_env()`` copies one after another.
        make_eval_pool: ``make_eval_pool(episodes, seed)`` builds a pool that plays an evaluation's
            games side by side with batched actions (whole games only); None plays
            ``make_eval_env()`` games one after another.
        metrics_max_bytes: the most bytes each metrics CSV may hold before its oldest rows are dropped
            (a kiosk learner runs for days); None: no cap.
    """

    def __init__(
        self,
        game_id: str,
        make_env: Callable[[], gym.Env],
        config: TrainConfig,
        run_dir: str | os.PathLike | None = None,
        make_eval_env: Callable[[], gym.Env] | None = None,
        extra_streams: int = 0,
        make_pool: Callable[[int, int], Pool] | None = None,
        make_eval_pool: Callable[[int, int], Pool] | None = None,
        metrics_max_bytes: int | None = None,
    ):
        self.game_id = game_id
        self.config = config
        self.make_eval_env = make_eval_env or make_env
        self.make_eval_pool = make_eval_pool
        self.pool: Pool = (
            make_pool(config.num_envs, config.seed)
            if make_pool is not None
            else EnvPool(make_env, config.num_envs, config.seed)
        )
        self.notices: list[str] = []
        """sentences for the person about faults met and survived (see ``take_notices``)"""
        try:  # before the replay memory is allocated: numpy would fail, or the kernel kill the run later
            warning = resources.check_memory(
                self.pool.observation_space, int(getattr(self.pool.action_space, "n", 1)), config.dqn
            )
        except resources.NotEnoughMemoryError:
            self.pool.close()
            raise
        if warning is not None:
            self.notices.append(warning)
        self.agent: DQNAgent = make_agent(
            self.pool.observation_space,
            self.pool.action_space,
            config.dqn,
            n_streams=config.num_envs + extra_streams,
        )
        self.governor: ThreadGovernor | None = None
        """when set, picks the torch thread count from the measured speed of the steps"""
        self.epsilon_override: float | None = None
        """when set, exploration uses this instead of the schedule (the arena's epsilon slider)"""
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.metrics = MetricsLog(self.run_dir, metrics_max_bytes) if self.run_dir is not None else None
        self.steps = 0
        self.episodes = 0
        self.recent_returns: deque[float] = deque(maxlen=100)
        self.last_eval: float | None = None
        self.best_eval: float | None = None
        self.statistics: dict[str, float] = {}
        self._obs: np.ndarray | None = None
        self._returns = np.zeros(config.num_envs)
        self._lengths = np.zeros(config.num_envs, dtype=int)
        self._updates_due = 0.0
        self._clock = (time.monotonic(), 0)  # (time, steps) of the last speed reading
        self.steps_per_second = 0.0
        self.restored_from: Path | None = None
        """the checkpoint ``restore`` loaded: latest.pt, or an older one when latest.pt was damaged"""
        self.rollbacks = 0
        """updates that went non-finite and were undone by restoring the last good weights"""
        self.learning_stopped = False
        """updates kept going non-finite: no more are made (``train`` ends; the arena plays on)"""
        self.save_failures = 0
        """saves in which some file could not be written"""
        self.last_save_error: str | None = None
        """the sentence of the last failed save"""
        self.saved_at: int | None = None
        """the step of the checkpoint in latest.pt, as this trainer wrote or restored it (None: none)"""
        self._good: tuple[int, dict[str, Any]] = (0, {})  # (step, agent state) to roll back to
        self._bad_updates = 0  # non-finite updates since the good state was kept
        self._keep_good_state()
        if self.run_dir is not None:
            self._write_config()

    # ------------------------------------------------------------------ the loop

    @property
    def current_obs(self) -> np.ndarray | None:
        """The observation each environment acts on next (None before the first step)."""
        return self._obs

    @property
    def epsilon(self) -> float:
        """Exploration now: the override when one is set, else the schedule at the current step."""
        if self.epsilon_override is not None:
            return self.epsilon_override
        return self.config.epsilon(self.steps)

    @property
    def epsilons(self) -> np.ndarray:
        """Each environment's exploration now (all the override when one is set)."""
        if self.epsilon_override is not None:
            return np.full(self.config.num_envs, self.epsilon_override)
        return self.config.epsilons(self.steps)

    def step(self) -> list[EpisodeEnd]:
        """One agent step in every environment, then the updates that fall due."""
        if self._obs is None:
            self._obs = self.pool.reset()
        epsilons = self.epsilons
        acts = self.agent.act_batch(self._obs, epsilons)
        overlap = self.config.overlap and hasattr(self.pool, "step_async")
        if overlap:
            # The updates due run while the emulators step: they learn from earlier transitions only.
            self.pool.step_async(acts.actions)  # type: ignore[attr-defined]
            self._learn(self.steps + self.config.num_envs)
            next_obs, rewards, terminated, truncated, infos, obs = self.pool.step_wait()  # type: ignore[attr-defined]
        else:
            next_obs, rewards, terminated, truncated, infos, obs = self.pool.step(acts.actions)
        learn_rewards = np.sign(rewards) if self.config.clip_rewards else rewards
        for i in range(self.config.num_envs):
            self.agent.observe(
                Transition(
                    self._obs[i],
                    int(acts.actions[i]),
                    float(learn_rewards[i]),
                    next_obs[i],
                    bool(terminated[i]),
                    bool(truncated[i]),
                ),
                stream=i,
            )
        self._obs = obs
        self.steps += self.config.num_envs
        self._returns += rewards
        self._lengths += 1
        ended = []
        for i in np.flatnonzero(terminated | truncated):
            # With episodic life a lost life ends the learner's episode, not the game being scored.
            if truncated[i] or infos[i].get("game_over", True):
                ended.append(EpisodeEnd(int(i), float(self._returns[i]), int(self._lengths[i])))
                self._returns[i] = 0.0
                self._lengths[i] = 0
        for end in ended:
            self.episodes += 1
            self.recent_returns.append(end.ret)
            if self.metrics is not None:
                self.metrics.episode(self.steps, self.episodes, end.ret, end.length, float(epsilons[end.env]))
        if not overlap:
            self._learn(self.steps)
        return ended

    def _learn(self, steps: int) -> None:
        """The updates due once ``steps`` agent steps are taken."""
        if self.learning_stopped:
            return
        if steps < self.config.learning_starts or len(self.agent.replay) < self.config.dqn.batch_size:
            self._updates_due = 0.0  # no burst of updates once the first batch is there
            return
        self._updates_due += self.config.num_envs / self.config.train_every
        while self._updates_due >= 1.0 and len(self.agent.replay) >= self.config.dqn.batch_size:
            self._updates_due -= 1.0
            if not self._update():
                return

    def _update(self) -> bool:
        """One update; False when it went non-finite and was rolled back."""
        try:
            self.statistics = self.agent.update()
        except NonFiniteUpdateError:
            self._roll_back()
            return False
        return True

    def _keep_good_state(self) -> None:
        """Remember the agent's state (weights, target, optimizer) to roll back to, when it is finite."""
        networks = (self.agent.network, self.agent.target_network)
        if all(bool(torch.isfinite(p).all()) for net in networks for p in net.parameters()):
            self._good = (self.steps, copy.deepcopy(self.agent.state_dict()))
            self._bad_updates = 0

    def _roll_back(self) -> None:
        """Undo a non-finite update: the last good state comes back; too many in a row stop learning."""
        good_step, good_state = self._good
        self.agent.load_state_dict(copy.deepcopy(good_state))  # the optimizer would alias the copy
        self.rollbacks += 1
        self._bad_updates += 1
        self._updates_due = 0.0
        if self._bad_updates >= MAX_BAD_UPDATES:
            self.learning_stopped = True
            self.notices.append(
                f"Learning stopped at step {self.steps:,}: {self._bad_updates} updates since step "
                f"{good_step:,} gave a non-finite loss or Q-value, so the weights of step {good_step:,} "
                "are kept; lower dqn.learning_rate or check the game's rewards."
            )
        else:
            self.notices.append(
                f"A non-finite loss or Q-value at step {self.steps:,} was not learned from; the weights "
                f"of step {good_step:,} were restored and learning goes on."
            )

    def take_notices(self) -> list[str]:
        """The sentences about faults met since the last call (the metrics log's too), oldest first."""
        notices = self.notices + (self.metrics.take_notices() if self.metrics is not None else [])
        self.notices = []
        return notices

    def train(self, progress: Callable[[Trainer], None] | None = None) -> None:
        """Train until ``config.total_steps``, evaluating and saving on the way and at the end.

        A KeyboardInterrupt saves a checkpoint before it propagates. When updates keep going
        non-finite (``learning_stopped``), training ends early with the last good weights.
        """
        config = self.config
        evaluated_at = None  # the step of the last evaluation in this loop
        try:
            while self.steps < config.total_steps and not self.learning_stopped:
                before = self.steps
                started = time.perf_counter()
                self.step()
                if self.governor is not None and self.agent.update_count:
                    self.governor.record(self.steps - before, time.perf_counter() - started)
                if self._crossed(before, config.eval_every_steps):
                    self.evaluate()
                    evaluated_at = self.steps
                if self._crossed(before, config.checkpoint_every_steps):
                    self.save()
                self.measure_speed()
                if progress is not None:
                    progress(self)
        except KeyboardInterrupt:
            self.save()
            raise
        if config.eval_every_steps and evaluated_at != self.steps:  # the final weights, once
            self.evaluate()
        self.save()

    def _crossed(self, before: int, every: int) -> bool:
        return every > 0 and before // every != self.steps // every

    def measure_speed(self) -> None:
        """Refresh steps_per_second (about once a second) and log a train.csv row."""
        now = time.monotonic()
        since, steps = self._clock
        if now - since >= 1.0:
            self.steps_per_second = (self.steps - steps) / (now - since)
            self._clock = (now, self.steps)
            if self.metrics is not None:
                self.metrics.train(
                    self.steps, self.agent.update_count, self.epsilon, self.steps_per_second, self.statistics
                )

    def evaluate(self, episodes: int | None = None) -> float:
        """Mean return of ``episodes`` games at the evaluation epsilon, on separate environments."""
        episodes = episodes or self.config.eval_episodes
        self._keep_good_state()
        returns = play_evaluation(
            self.agent,
            episodes,
            self.config.eval_epsilon,
            self.eval_seed(),
            self.config.eval_max_steps,
            self.make_eval_env,
            self.make_eval_pool,
        )
        return self.record_evaluation(self.steps, returns)

    def eval_seed(self) -> int:
        """The seed of an evaluation's first game at this step (game n is seeded seed + n)."""
        return 10_000_000 + self.steps

    def record_evaluation(
        self, step: int, returns: list[float], model_state: dict[str, Any] | None = None
    ) -> float:
        """Log an evaluation of the weights of ``step`` (``model_state``; None: the agent's now), and
        keep them as best.pt when they are the best so far; returns the mean."""
        self.last_eval = float(np.mean(returns))
        if self.metrics is not None:
            self.metrics.evaluation(step, self.last_eval, returns)
        if self.best_eval is None or self.last_eval > self.best_eval:
            self.best_eval = self.last_eval
            self._save_best(model_state, step)
        return self.last_eval

    def _save_best(self, model_state: dict[str, Any] | None = None, step: int | None = None) -> None:
        """Keep the weights of the best evaluation so far as best.pt (DQN can get worse after it learns)."""
        if self.run_dir is None:
            return
        state = {"model": model_state} if model_state is not None else self.agent.state_dict()
        metadata = self.metadata() if step is None else {**self.metadata(), "steps": step}
        self._report_failures(
            self._attempt(
                self.run_dir / "checkpoints" / BEST,
                lambda path: save_checkpoint(
                    path, model_state=state["model"], optimizer_state=None, metadata=metadata
                ),
            )
        )

    def _attempt(self, path: Path, write: Callable[[Path], None]) -> list[tuple[Path, OSError]]:
        """``write(path)``, its folder made first; [(path, error)] when the disk refused it, else []."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write(path)
        except OSError as error:
            return [(path, error)]
        return []

    def _report_failures(self, failures: list[tuple[Path, OSError]]) -> None:
        """Count a save whose files could not all be written, and say which and why."""
        if not failures:
            return
        assert self.run_dir is not None
        names = " and ".join(str(path.relative_to(self.run_dir)) for path, _ in failures)
        reasons = sorted({error.strerror or str(error) for _, error in failures})
        self.save_failures += 1
        self.last_save_error = (
            f"Could not write {names} at step {self.steps:,} ({'; '.join(reasons)}); the previous files "
            "are kept and training goes on, so free some disk space or check the folder's permissions."
        )
        self.notices.append(self.last_save_error)

    # ------------------------------------------------------------------ saving and resuming

    def metadata(self) -> dict[str, Any]:
        return {
            "game_id": self.game_id,
            "network": type(self.agent.network).__name__,
            "observation_shape": list(self.pool.observation_space.shape or ()),
            "n_actions": int(self.pool.action_space.n),
            "steps": self.steps,
            "episodes": self.episodes,
            "epsilon": self.epsilon,
            "updates": self.agent.update_count,
            "last_eval": self.last_eval,
            "best_eval": self.best_eval,
            "config": self.config.to_dict(),
        }

    def save(self, with_replay: bool | None = None) -> Path | None:
        """Write a checkpoint (and the replay memory); returns latest.pt.

        Every file is written atomically, so one that cannot be written (a full disk, no permission)
        leaves the previous one as it was: the failure is counted in ``save_failures``, said in
        ``last_save_error`` and ``notices``, and training goes on.

        Args:
            with_replay: save the replay memory too (None: as ``config.save_replay`` says).

        Returns:
            latest.pt; None without a run directory, or when latest.pt could not be written.
        """
        if self.run_dir is None:
            return None
        self._keep_good_state()
        folder = self.run_dir / "checkpoints"
        state = self.agent.state_dict()
        metadata = self.metadata()

        def checkpoint(path: Path) -> None:
            save_checkpoint(
                path, model_state=state["model"], optimizer_state=state["optimizer"], metadata=metadata
            )

        failures = []
        if self.config.save_replay if with_replay is None else with_replay:
            failures += self._attempt(self.run_dir / REPLAY_FILE, self.agent.replay.save)
        numbered = self._attempt(folder / f"step-{self.steps:010d}.pt", checkpoint)
        latest = self._attempt(folder / LATEST, checkpoint)
        failures += numbered + latest
        if not numbered:  # older ones go only once the new one is safe
            for old in sorted(folder.glob("step-*.pt"))[: -self.config.keep_checkpoints or None]:
                old.unlink(missing_ok=True)
        if self.metrics is not None:
            self.metrics.flush()
        self._report_failures(failures)
        if latest:
            return None
        self.saved_at = self.steps
        return folder / LATEST

    def _write_config(self) -> None:
        assert self.run_dir is not None
        self.run_dir.mkdir(parents=True, exist_ok=True)
        payload = {
            "format_version": RUN_FORMAT_VERSION,
            "game_id": self.game_id,
            "train": self.config.to_dict(),
        }
        temporary = self.run_dir / ".config.json.tmp"
        temporary.write_text(json.dumps(payload, indent=2))
        os.replace(temporary, self.run_dir / "config.json")

    @staticmethod
    def read_run(run_dir: str | os.PathLike) -> tuple[str, TrainConfig]:
        """(game id, config) of an existing run directory; CheckpointError if it is not one."""
        path = Path(run_dir) / "config.json"
        try:
            payload = json.loads(path.read_text())
            return payload["game_id"], TrainConfig.from_dict(payload["train"])
        except FileNotFoundError as error:
            raise CheckpointError(
                f"{run_dir} is not a run directory (it has no config.json); "
                "give the --out folder of an earlier 'train'."
            ) from error
        except (KeyError, ValueError, TypeError) as error:
            raise CheckpointError(f"The run's {path} is damaged ({error}); start a new run.") from error

    def restore(self) -> None:
        """Continue from the run directory's latest checkpoint: weights, optimizer, counts and replay.

        When latest.pt cannot be loaded (damaged, truncated, missing), the newest numbered checkpoint
        that can is loaded instead; ``restored_from`` and a notice say which.

        Raises:
            CheckpointError: no checkpoint of the run can be loaded (latest.pt's error), or the replay
                memory is damaged.
        """
        assert self.run_dir is not None
        folder = self.run_dir / "checkpoints"
        latest = folder / LATEST
        first_error: CheckpointError | None = None
        for path in [latest, *sorted(folder.glob("step-*.pt"), reverse=True)]:
            try:
                metadata = self._load_run_checkpoint(path)
                break
            except CheckpointError as error:
                first_error = first_error or error
        else:
            assert first_error is not None
            raise first_error
        self.restored_from = path
        self.saved_at = int(metadata["steps"])
        if path != latest:
            self.notices.append(
                f"Checkpoint {latest} could not be loaded, so the run goes on from the previous good one, "
                f"{path.name}, at step {int(metadata['steps']):,}."
            )
        # The optimizer's saved state brings its old step size back; the run's settings decide it.
        for group in self.agent.optimizer.param_groups:
            group["lr"], group["eps"] = self.config.dqn.learning_rate, self.config.dqn.adam_eps
        self.steps = int(metadata["steps"])
        self.episodes = int(metadata["episodes"])
        self.last_eval = metadata.get("last_eval")
        self.best_eval = metadata.get("best_eval")
        if self.metrics is not None:
            self.metrics.forget_after(self.steps)  # rows a crash wrote past the checkpoint would repeat
        self._clock = (time.monotonic(), self.steps)
        replay = self.run_dir / REPLAY_FILE
        if self.config.save_replay and replay.is_file():
            try:
                self.agent.replay.load(replay)
            except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
                raise CheckpointError(
                    f"The replay memory {replay} is damaged or was saved with other settings "
                    "(num_envs or dqn.replay_capacity, n_step, gamma, prioritized); delete it to resume "
                    "with an empty replay memory, or resume with the run's own settings."
                ) from error
        # New episodes after a resume should not replay the first run's seeds.
        self.pool.seed = self.config.seed + self.steps
        self._keep_good_state()

    def _load_run_checkpoint(self, path: Path) -> dict[str, Any]:
        """Load a checkpoint of this run into the agent; returns its metadata."""
        state, metadata = load_checkpoint(path, self.expected_metadata())
        try:
            self.agent.load_state_dict(state)
        except (RuntimeError, KeyError, ValueError, TypeError) as error:
            raise CheckpointError(
                f"Checkpoint {path} holds a network of other settings than this run's "
                "(dqn.network, dqn.hidden or dqn.dueling changed); resume with the run's own settings."
            ) from error
        return metadata

    def load_weights(self, path: str | os.PathLike) -> dict[str, Any]:
        """Start from a checkpoint's network (and its step count, so epsilon is where it was).

        Raises:
            CheckpointError: the file is not a checkpoint of this game, shape and action count.
        """
        state, metadata = load_checkpoint(path, self.expected_metadata())
        self.agent.load_state_dict({"model": state["model"], "optimizer": None})
        self.steps = int(metadata["steps"])
        self._clock = (time.monotonic(), self.steps)
        self._keep_good_state()
        return metadata

    def expected_metadata(self) -> dict[str, Any]:
        """What a checkpoint must say to load into this trainer."""
        return {
            "game_id": self.game_id,
            "observation_shape": list(self.pool.observation_space.shape or ()),
            "n_actions": int(self.pool.action_space.n),
        }

    def close(self) -> None:
        self.pool.close()
        if self.metrics is not None:
            self.metrics.close()
