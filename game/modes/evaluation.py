"""``main.py evaluate``: a trained agent plays N whole games headless, and its scores are kept as JSON.

rl-zoo's ``enjoy`` without a window. The agent is a run directory's ``checkpoints/latest.pt`` or any
checkpoint file; the game, the network and the evaluation settings come from the checkpoint's
metadata. The games are the ones the run's own evaluations play: the training observation, but whole
games (no episodic life on Atari), on ``make_env("show")`` one after another, or Atari's side by side
in a pool; game n is seeded ``seed + n`` and cut at the run's ``eval_max_steps``. Epsilon defaults to
the run's ``eval_epsilon`` (0 for the home-made games' presets, 0.01 for Atari's, as in the DQN
papers: a little noise keeps a greedy agent from waiting for ever in a game that needs FIRE).

The result goes to ``RUN/evaluation.json`` (or ``NAME.evaluation.json`` beside a checkpoint file),
written atomically.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from game.errors import UserError

if TYPE_CHECKING:  # the agent and the catalog load with the checkpoint, not on import
    from agents.dqn import DQNAgent
    from agents.train_config import TrainConfig
    from game.catalog import GameSpec

DEFAULT_EPISODES = 20  # games per evaluation: enough for a mean within a few points on Pong
LATEST = Path("checkpoints") / "latest.pt"  # a run directory's newest checkpoint
EVAL_THREADS = 1  # acting on a few observations: a second torch thread made Pong 9x slower on 2 busy cores
POOL_GAMES = 16  # Atari games played side by side at most (one emulator thread each)
RUN_RESULT = "evaluation.json"  # where a run directory's evaluation goes
FILE_SUFFIX = ".evaluation.json"  # beside a checkpoint file: latest.pt -> latest.evaluation.json


@dataclass(frozen=True)
class EvaluationRequest:
    """The evaluate command's arguments, as parsed."""

    target: str
    """a run directory of ``main.py train``, or a checkpoint file"""
    episodes: int = DEFAULT_EPISODES
    """whole games to play"""
    epsilon: float | None = None
    """exploration while playing (None: the run's own ``eval_epsilon``)"""
    seed: int = 0
    """game n is seeded ``seed + n``; exploration is seeded ``seed``"""
    out: str | None = None
    """the JSON file (None: ``RUN/evaluation.json`` or beside the checkpoint)"""


@dataclass(frozen=True)
class Evaluation:
    """What the games scored."""

    game_id: str
    checkpoint: str
    trained_steps: int
    """agent steps the checkpoint had trained"""
    epsilon: float
    seed: int
    returns: list[float]
    lengths: list[int]
    """agent steps of each game"""
    cut: int
    """games stopped at the run's eval_max_steps before they ended"""
    seconds: float

    def summary(self) -> dict[str, Any]:
        """The statistics as JSON-able values (mean, std, min, max, episodes, steps, ...)."""
        returns = np.asarray(self.returns, dtype=np.float64)
        return {
            "game_id": self.game_id,
            "checkpoint": self.checkpoint,
            "trained_steps": self.trained_steps,
            "episodes": len(self.returns),
            "steps": int(sum(self.lengths)),
            "mean": float(returns.mean()),
            "std": float(returns.std()),
            "min": float(returns.min()),
            "max": float(returns.max()),
            "epsilon": self.epsilon,
            "seed": self.seed,
            "cut": self.cut,
            "returns": [float(r) for r in self.returns],
            "lengths": list(self.lengths),
            "seconds": round(self.seconds, 2),
        }


def locate(target: str) -> tuple[Path, Path]:
    """(checkpoint, default JSON path) of a run directory or a checkpoint file.

    Raises:
        UserError: nothing there, or a folder without a latest checkpoint.
    """
    path = Path(target)
    if path.is_dir():
        checkpoint = path / LATEST
        if not checkpoint.is_file():
            raise UserError(
                f"{path} holds no {LATEST}; give a run directory of 'python main.py train' or a .pt file."
            )
        return checkpoint, path / RUN_RESULT
    if path.is_file():
        return path, path.with_name(path.stem + FILE_SUFFIX)
    raise UserError(f"There is no run directory or checkpoint at {path}; check the path.")


def check_play_options(epsilon: float | None, seed: int) -> None:
    """Refuse an --epsilon outside 0..1 or a negative --seed (a UserError of one sentence)."""
    if epsilon is not None and not 0.0 <= epsilon <= 1.0:
        raise UserError(f"--epsilon must be between 0 and 1, not {epsilon}.")
    if seed < 0:
        raise UserError(f"--seed must be 0 or more, not {seed}.")


def evaluate(request: EvaluationRequest) -> tuple[Evaluation, Path]:
    """Play the request's games; returns the evaluation and the JSON file it was written to.

    Raises:
        UserError: a bad path, a damaged or foreign checkpoint, or bad numbers (one sentence each).
    """
    if request.episodes < 1:
        raise UserError(f"--episodes must be at least 1, not {request.episodes}.")
    check_play_options(request.epsilon, request.seed)
    checkpoint, default_out = locate(request.target)
    out = Path(request.out) if request.out else default_out
    if not out.parent.is_dir():  # said before the games are played, not after
        raise UserError(f"There is no folder {out.parent} to write {out.name} into; make it first.")
    with acting_threads():
        result = _play(request, checkpoint)
    write_json(out, result.summary())
    return result, out


@contextlib.contextmanager
def acting_threads() -> Iterator[None]:
    """Torch on ``EVAL_THREADS`` threads while a trained agent plays; the caller's count comes back after."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(EVAL_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(threads)  # a caller in the same process keeps its own


def _play(request: EvaluationRequest, checkpoint: Path) -> Evaluation:
    """Load the checkpoint and play the request's games with it."""
    agent, metadata, spec, config = load_agent(checkpoint)
    epsilon = config.eval_epsilon if request.epsilon is None else request.epsilon
    trained = int(metadata.get("steps", 0))
    print(
        f"Evaluating {spec.title} ({spec.id}), trained {trained:,} steps, from {checkpoint}: "
        f"{_count(request.episodes, 'game')} at epsilon {epsilon:g}, seed {request.seed}",
        flush=True,
    )
    rng = np.random.default_rng(request.seed)  # exploration's own: the same seed plays the same games
    started = time.monotonic()
    if spec.eval_pool_factory is not None:  # Atari: whole games side by side, as the run's evaluations
        games = _play_side_by_side(
            agent, spec.eval_pool_factory, request, epsilon, config.eval_max_steps, rng
        )
    else:
        games = _play_one_by_one(agent, spec, request, epsilon, config.eval_max_steps, rng)
    returns, lengths, cut = games
    seconds = time.monotonic() - started
    return Evaluation(
        spec.id, str(checkpoint), trained, epsilon, request.seed, returns, lengths, cut, seconds
    )


Games = tuple[list[float], list[int], int]  # returns, lengths in agent steps, games cut at the limit


def _explore(actions: np.ndarray, epsilon: float, n_actions: int, rng: np.random.Generator) -> np.ndarray:
    """``actions`` with each replaced by a random one with probability ``epsilon``."""
    explored = rng.random(len(actions)) < epsilon
    return np.where(explored, rng.integers(n_actions, size=len(actions)), actions)


def _play_one_by_one(
    agent: DQNAgent,
    spec: GameSpec,
    request: EvaluationRequest,
    epsilon: float,
    max_steps: int,
    rng: np.random.Generator,
) -> Games:
    """Games on the game's ``show`` environment, one after another, game n seeded ``seed + n``."""
    returns: list[float] = []
    lengths: list[int] = []
    cut = 0
    live = sys.stderr.isatty()  # a counter on a terminal; a log file gets none
    env = spec.make_env("show")
    try:
        for n in range(request.episodes):
            obs, _ = env.reset(seed=request.seed + n)
            total, length, done = 0.0, 0, False
            while not done and length < max_steps:
                greedy = np.array([agent.act(obs, 0.0).action])
                action = int(_explore(greedy, epsilon, int(env.action_space.n), rng)[0])
                obs, reward, terminated, truncated, _ = env.step(action)
                total += float(reward)
                length += 1
                done = terminated or truncated
            cut += not done
            returns.append(total)
            lengths.append(length)
            if live:
                sys.stderr.write(f"\r[{n + 1}/{request.episodes}] last return {total:g} ")
                sys.stderr.flush()
    finally:
        env.close()
        if live:
            sys.stderr.write("\n")
    return returns, lengths, cut


def _play_side_by_side(
    agent: DQNAgent,
    make_pool: Callable[[int, int], Any],
    request: EvaluationRequest,
    epsilon: float,
    max_steps: int,
    rng: np.random.Generator,
) -> Games:
    """Games in pools of up to ``POOL_GAMES`` environments stepped together (env i seeded seed + i)."""
    returns: list[float] = []
    lengths: list[int] = []
    cut = 0
    for first in range(0, request.episodes, POOL_GAMES):
        count = min(POOL_GAMES, request.episodes - first)
        pool = make_pool(count, request.seed + first)
        try:
            obs = pool.reset()
            totals, steps = np.zeros(count), np.zeros(count, dtype=int)
            playing = np.ones(count, dtype=bool)
            while playing.any() and steps.max() < max_steps:
                actions = _explore(agent.act_batch(obs, 0.0).actions, epsilon, int(pool.action_space.n), rng)
                _, rewards, terminated, truncated, _, obs = pool.step(actions)
                totals += np.where(playing, rewards, 0.0)  # a game that ended waits for the others
                steps += playing
                playing &= ~(terminated | truncated)
        finally:
            pool.close()
        cut += int(playing.sum())
        returns += totals.tolist()
        lengths += steps.tolist()
        print(f"[{len(returns)}/{request.episodes}] games played", file=sys.stderr, flush=True)
    return returns, lengths, cut


def load_agent(checkpoint: Path) -> tuple[DQNAgent, dict[str, Any], GameSpec, TrainConfig]:
    """(agent ready to act on the CPU, metadata, game spec, training config) of a checkpoint.

    The spec reads observations as the run did. Raises UserError for a damaged or foreign checkpoint,
    or one whose game no longer fits it (one sentence each).
    """
    from agents.checkpoint import CheckpointError, load_checkpoint
    from agents.dqn import make_agent
    from agents.train_config import TrainConfig
    from game.catalog import find_game
    from game.gym_games import with_obs_layout
    from game.modes.provenance import import_run_games
    from game.modes.runs import check_checkpoint

    try:
        state, metadata = load_checkpoint(checkpoint)
    except CheckpointError as error:
        raise UserError(str(error)) from error
    import_run_games(checkpoint)  # the --import entries its run was started with, again
    spec = find_game(str(metadata.get("game_id", "")))
    try:
        config = TrainConfig.from_dict(metadata["config"])
    except (KeyError, TypeError, ValueError) as error:
        raise UserError(
            f"Checkpoint {checkpoint} holds settings this Q-Arcade cannot read ({error}); "
            "use a checkpoint of this version or start a new run."
        ) from error
    spec = with_obs_layout(spec, getattr(config, "obs_layout", "auto"))  # as the run read observations
    check_checkpoint(spec, str(checkpoint))  # the game's observations and actions still fit it
    env = spec.make_env("show")
    try:
        agent = make_agent(env.observation_space, env.action_space, config.dqn, device="cpu")
    finally:
        env.close()
    try:
        agent.load_state_dict({"model": state["model"], "optimizer": None})
    except (RuntimeError, KeyError, ValueError, TypeError) as error:
        raise UserError(
            f"Checkpoint {checkpoint} holds weights that do not fit its own settings; it is damaged, "
            "so use an earlier checkpoint of the run."
        ) from error
    return agent, metadata, spec, config


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path`` atomically (a temporary file beside it, then os.replace)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(payload, indent=2) + "\n")
        os.replace(temporary, path)
    except OSError as error:
        reason = error.strerror or str(error)
        raise UserError(f"Could not write {path} ({reason}); choose another --out.") from error
    finally:
        temporary.unlink(missing_ok=True)


def describe(result: Evaluation, out: Path) -> str:
    """The lines the command prints: the statistics and where they were written."""
    stats = result.summary()
    cut = f", {result.cut} cut at the step limit" if result.cut else ""
    return (
        f"mean {stats['mean']:.3f}  std {stats['std']:.3f}  min {stats['min']:g}  max {stats['max']:g}  "
        f"over {_count(stats['episodes'], 'episode')}, {stats['steps']:,} agent steps{cut} "
        f"({result.seconds:.1f} s)\n"
        f"Written to {out}"
    )


def _count(n: int, noun: str) -> str:
    """'1 game', '20 games'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
