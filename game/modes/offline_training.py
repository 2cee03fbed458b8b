"""``main.py train GAME --offline DATASET``: learn from recorded play alone, then play the game to score it.

The dataset (a Minari id under ``--data``, or a dataset's folder) must have the game's observation
and action spaces. Fitted Q-iteration (``--method fqi``, the default) or offline DQN
(``--method dqn``) trains the game's preset network without touching the game; the result is saved
as ``RUN/checkpoints/latest.pt`` in the format the arena loads (``python main.py arena GAME
--checkpoint RUN/checkpoints/latest.pt``), with ``RUN/offline.json`` holding every round's numbers.
Then the agent plays greedy episodes, and the score is printed beside the recorded play's and the
"trust" table: per action, how often the recording tried it against the agent's mean Q-value.
``--compare-online`` also trains an online DQN for the same number of gradient updates.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agents.checkpoint import save_checkpoint
from agents.dqn import DQNAgent, make_agent
from agents.dqn_config import DQNConfig
from agents.networks import make_network
from agents.offline import FQIConfig, RoundStats, fitted_q_iteration, offline_dqn, replay_slots, trust_table
from agents.pools import play_episodes
from agents.train_config import TrainConfig
from agents.trainer import RUN_FORMAT_VERSION, Trainer
from game.catalog import GameSpec, action_labels, find_game
from game.errors import UserError
from game.modes.datasets import (
    episode_returns,
    open_dataset,
    spaces_in_words,
    transitions_of,
)
from game.modes.runs import game_slug
from game.places import made, runs_dir
from game.presets import preset

METHODS = ("fqi", "dqn")
MIN_REPLAY_SLOTS = 64  # FQI's agent only acts: the smallest replay memory any observation takes
EVAL_SEED = 20_000_000  # evaluation game n is seeded EVAL_SEED + n, apart from any recorded seed
EVAL_EPISODES = 20  # greedy games that score the offline agent (and the online one)


@dataclass(frozen=True)
class OfflineRequest:
    """The offline train command's arguments, as parsed."""

    game: str
    dataset: str
    data_dir: str | None = None
    """the Minari dataset root (None: the data folder's datasets/, ``game.places``)"""
    method: str = "fqi"
    iterations: int | None = None
    """FQI rounds (None: FQIConfig's default)"""
    updates: int | None = None
    """offline DQN updates (None: as many as FQI's default rounds would make on this dataset)"""
    out: str | None = None
    seed: int = 0
    eval_episodes: int = EVAL_EPISODES
    compare_online: bool = False
    conservative: float = 0.0
    """FQI with CQL's penalty of this weight (FQIConfig.conservative); 0: plain FQI"""
    device: str | None = None
    threads: int | None = None


def check_request(request: OfflineRequest) -> None:
    """Raise UserError (one sentence) for a setting that cannot work."""
    if request.method not in METHODS:
        raise UserError(f"--method is fqi or dqn, not {request.method!r}.")
    for name in ("iterations", "updates", "eval_episodes", "threads"):
        value = getattr(request, name)
        if value is not None and value < 1:
            raise UserError(f"--{name.replace('_', '-')} must be at least 1, not {value}.")
    if request.iterations is not None and request.method != "fqi":
        raise UserError("--iterations counts rounds of fitted Q-iteration: use it with --method fqi.")
    if request.conservative and request.method != "fqi":
        raise UserError("--conservative weights fitted Q-iteration's penalty: use it with --method fqi.")
    if request.conservative < 0:
        raise UserError(f"--conservative is a weight, 0 or more, not {request.conservative}.")
    if request.updates is not None and request.method != "dqn":
        raise UserError("--updates counts offline DQN's updates: use it with --method dqn.")
    if request.seed < 0:
        raise UserError(f"--seed must be 0 or more, not {request.seed}.")
    if request.device == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda was asked for, but torch sees no CUDA device here; use --device cpu.")


def run_offline(request: OfflineRequest) -> int:
    """Train offline as the request says, save, evaluate and report; returns the exit status (0)."""
    from game.modes.training import default_threads

    check_request(request)
    torch.set_num_threads(request.threads or default_threads())
    spec = find_game(request.game)
    env = spec.make_env("train")
    try:
        obs_space, action_space, labels = env.observation_space, env.action_space, action_labels(env)
    finally:
        env.close()
    dataset = open_dataset(request.dataset, request.data_dir)
    if dataset.observation_space != obs_space or dataset.action_space != action_space:
        raise UserError(
            f"The dataset {dataset.id} was recorded with "
            f"{spaces_in_words(dataset.observation_space, dataset.action_space)}, but {spec.id} has "
            f"{spaces_in_words(obs_space, action_space)}; "
            f"pick a dataset of {spec.id} ('python main.py datasets' lists them)."
        )
    data = transitions_of(dataset)
    recorded = float(episode_returns(dataset).mean())
    base = preset(spec.preset)
    # The run's settings are those of an online run of the game: the arena and --resume go on online.
    dqn = dataclasses.replace(base.dqn, seed=request.seed, device=request.device or base.dqn.device)
    config = dataclasses.replace(base, seed=request.seed, dqn=dqn)
    run_dir = _run_dir(spec, request)
    fqi = FQIConfig(
        iterations=request.iterations or FQIConfig.iterations,
        gamma=config.dqn.gamma,
        seed=request.seed,
        conservative=request.conservative,
    )
    updates = request.updates or fqi.updates(len(data))
    print(
        f"Offline {request.method.upper()} on {dataset.id}: {dataset.total_episodes:,} episodes, "
        f"{len(data):,} transitions, recorded mean return {recorded:.3f} -> {run_dir}",
        flush=True,
    )
    slots = replay_slots(data) if request.method == "dqn" else MIN_REPLAY_SLOTS
    agent = make_agent(obs_space, action_space, _learner_config(config, request, slots))
    started = time.monotonic()
    if request.method == "fqi":
        result = fitted_q_iteration(
            lambda: make_network(
                obs_space, int(action_space.n), config.dqn.network, config.dqn.dueling, config.dqn.hidden
            ),
            data,
            fqi,
            device=agent.device,
            progress=lambda row: _print_round(row, f"round {row.round}/{fqi.iterations}"),
        )
        agent.network.load_state_dict(result.network.state_dict())
        agent.sync_target()
        agent.update_count = result.updates
    else:
        result = offline_dqn(
            agent, data, updates, progress=lambda row: _print_round(row, f"update {row.round:,}")
        )
    seconds = time.monotonic() - started
    score = _evaluate(agent, spec, request.eval_episodes, config)
    trust = trust_table(agent.network, data, int(action_space.n), agent.device)
    checkpoint = _save(
        agent,
        spec,
        config,
        run_dir,
        request,
        dataset.id,
        result.stats,
        score,
        recorded,
        trust,
        tuple(obs_space.shape or ()),
    )
    print(
        f"Evaluation, {request.eval_episodes} greedy games: offline {request.method.upper()} {score:.3f} "
        f"after {result.updates:,} updates ({seconds:.1f} s); recorded play {recorded:.3f}",
        flush=True,
    )
    if request.compare_online:
        online = _online_score(spec, config, result.updates, request.eval_episodes)
        print(f"Online DQN with the same {result.updates:,} updates: {online:.3f}", flush=True)
        report = run_dir / "offline.json"
        _write_json(report, {**json.loads(report.read_text()), "online_mean_return": online})
    print("Trust: action, times the recording took it, mean Q of the offline agent over the recorded states")
    for row in trust:
        share = row.count / max(1, len(data))
        print(f"  {labels[row.action]:<12} {row.count:>9,} ({share:6.1%})  {row.mean_q:+.3f}")
    print(f"Checkpoint: {checkpoint} (watch it: python main.py arena {spec.id} --checkpoint {checkpoint})")
    return 0


def _learner_config(config: TrainConfig, request: OfflineRequest, slots: int) -> DQNConfig:
    """The preset's network with a replay memory of ``slots`` (the whole dataset, for offline DQN) and
    one-step targets (the targets FQI regresses onto); no priorities, no demonstration store."""
    return dataclasses.replace(
        config.dqn,
        n_step=1,
        replay_capacity=slots,
        demo_capacity=0,
        demo_fraction=0.0,
        prioritized=False,
    )


def _run_dir(spec: GameSpec, request: OfflineRequest) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = Path(request.out) if request.out else made(runs_dir()) / f"{game_slug(spec.id)}-offline-{stamp}"
    if (run_dir / "checkpoints" / "latest.pt").exists():
        raise UserError(f"{run_dir} already holds a run; choose another --out.")
    return run_dir


def _print_round(row: RoundStats, where: str) -> None:
    print(
        f"  {where}: mean target {row.mean_target:+.4f}, loss {row.loss:.5f}, "
        f"mean max Q {row.mean_max_q:+.4f}, updates {row.updates:,}",
        file=sys.stderr,
        flush=True,
    )


def _evaluate(agent: DQNAgent, spec: GameSpec, episodes: int, config: TrainConfig) -> float:
    returns = play_episodes(
        agent, lambda: spec.make_env("train"), episodes, 0.0, seed=EVAL_SEED, max_steps=config.eval_max_steps
    )
    return float(np.mean(returns))


def _online_score(spec: GameSpec, config: TrainConfig, updates: int, episodes: int) -> float:
    """An online DQN of the preset, trained until it has made ``updates`` gradient updates, then scored."""
    trainer = Trainer(spec.id, lambda: spec.make_env("train"), config, None, make_pool=spec.pool_factory)
    try:
        while trainer.agent.update_count < updates:
            trainer.step()
        return _evaluate(trainer.agent, spec, episodes, config)
    finally:
        trainer.close()


def _save(
    agent: DQNAgent,
    spec: GameSpec,
    config: TrainConfig,
    run_dir: Path,
    request: OfflineRequest,
    dataset_id: str,
    stats: list[RoundStats],
    score: float,
    recorded: float,
    trust: list[Any],
    observation_shape: tuple[int, ...],
) -> Path:
    """config.json, checkpoints/latest.pt and offline.json, each written atomically."""
    folder = run_dir / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    _write_json(
        run_dir / "config.json",
        {"format_version": RUN_FORMAT_VERSION, "game_id": spec.id, "train": config.to_dict()},
    )
    state = agent.state_dict()
    path = folder / "latest.pt"
    save_checkpoint(
        path,
        model_state=state["model"],
        optimizer_state=None,
        metadata={
            "game_id": spec.id,
            "network": type(agent.network).__name__,
            "observation_shape": list(observation_shape),
            "n_actions": len(trust),  # one row per action
            # The arena sets its step count from here: at the end of the epsilon decay, it plays the
            # offline agent near-greedily instead of exploring from scratch. No env step was taken.
            "steps": config.epsilon_decay_steps,
            "episodes": 0,
            "epsilon": config.epsilon_end,
            "updates": agent.update_count,
            "last_eval": score,
            "best_eval": score,
            "config": config.to_dict(),
            "offline": {"dataset": dataset_id, "method": request.method, "env_steps": 0},
        },
    )
    _write_json(
        run_dir / "offline.json",
        {
            "dataset": dataset_id,
            "method": request.method,
            "conservative": request.conservative,
            "updates": agent.update_count,
            "evaluation": {"episodes": request.eval_episodes, "mean_return": score},
            "recorded_mean_return": recorded,
            "rounds": [dataclasses.asdict(row) for row in stats],
            "trust": [dataclasses.asdict(row) for row in trust],
        },
    )
    return path


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(payload, indent=2) + "\n")
    os.replace(temporary, path)
