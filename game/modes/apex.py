"""``main.py train GAME --actors N``: an Ape-X learner here, its actors in processes of their own.

This module builds the pieces from a game id, without Ray: :func:`make_actor` (what each actor
process runs, and what :class:`agents.apex.learner.InlineFleet` runs in tests) and
:func:`make_learner`. The fleet on Ray lives in ``game.modes.apex_ray``, imported only when a run
asks for actors, so a plain install never imports Ray.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch

from agents.apex.actor import Actor, NetworkPolicy
from agents.apex.evaluator import Evaluator
from agents.apex.learner import ApexLearner, Fleet
from agents.networks import make_network
from agents.pools import EnvPool, play_evaluation
from agents.train_config import TrainConfig
from game.catalog import GameSpec, find_game
from game.gym_games import applied_imports, import_games, with_obs_layout

ACTOR_SEED_STRIDE = 1_000  # actor i's environments are seeded from seed + (i + 1) * stride
RESTART_SEED_STRIDE = 100_000  # a restarted actor plays other games than the one it replaces


def actor_seed(config: TrainConfig, index: int, restarts: int = 0) -> int:
    """The seed of actor ``index``'s first environment (and of its exploration)."""
    return config.seed + (index + 1) * ACTOR_SEED_STRIDE + restarts * RESTART_SEED_STRIDE


def game_for(game_id: str, config: TrainConfig, imports: Sequence[str] = ()) -> GameSpec:
    """The game of a run, read the way the run reads it (in any process: imports applied first)."""
    import_games(imports)
    return with_obs_layout(find_game(game_id), config.obs_layout)


def make_actor(
    game_id: str, config: TrainConfig, index: int, actors: int, imports: Sequence[str] = (), restarts: int = 0
) -> Actor:
    """Actor ``index`` of ``actors``: its environments, an untrained network of the run's kind, one
    torch thread (an actor shares its core with nothing, and its batches are a few observations)."""
    torch.set_num_threads(1)
    spec = game_for(game_id, config, imports)
    seed = actor_seed(config, index, restarts)
    if spec.pool_factory is not None:
        pool = spec.pool_factory(config.num_envs, seed)
    else:
        pool = EnvPool(lambda: spec.make_env("train"), config.num_envs, seed)
    dqn = config.dqn
    network = make_network(
        pool.observation_space, int(pool.action_space.n), dqn.network, dqn.dueling, dqn.hidden
    )
    return Actor(index, actors, pool, network, config, seed=seed)


def make_evaluator(game_id: str, config: TrainConfig, imports: Sequence[str] = ()) -> Evaluator:
    """The evaluator of a run: the run's evaluation games (``config.eval_episodes`` whole games at
    ``config.eval_epsilon``), played as a local run plays them."""
    torch.set_num_threads(1)
    spec = game_for(game_id, config, imports)
    probe = spec.make_env("show")
    network = make_network(
        probe.observation_space,
        int(probe.action_space.n),
        config.dqn.network,
        config.dqn.dueling,
        config.dqn.hidden,
    )
    probe.close()

    def play(policy: NetworkPolicy, seed: int) -> list[float]:
        return play_evaluation(
            policy,
            config.eval_episodes,
            config.eval_epsilon,
            seed,
            config.eval_max_steps,
            lambda: spec.make_env("show"),
            spec.eval_pool_factory,
        )

    return Evaluator(NetworkPolicy(network, config.seed), play)


def make_learner(
    spec: GameSpec, config: TrainConfig, fleet: Fleet, run_dir: str | os.PathLike | None
) -> ApexLearner:
    """The learner of a run on ``fleet``: the game's evaluations, the run directory of a local run."""
    return ApexLearner(
        spec.id,
        lambda: spec.make_env("train"),
        config,
        fleet,
        run_dir,
        make_eval_env=lambda: spec.make_env("show"),
        make_eval_pool=spec.eval_pool_factory,
    )


def make_ray_learner(
    spec: GameSpec, config: TrainConfig, run_dir: str | os.PathLike | None, address: str | None = None
) -> ApexLearner:
    """The learner of a run whose ``config.actors`` actors play on Ray (local, or the cluster at
    ``address``), once every actor has its games up."""
    from game.modes.apex_ray import RayFleet  # Ray is imported only here, for runs with actors

    fleet = RayFleet(spec.id, config, applied_imports(), address)
    try:
        fleet.wait_until_up()
        return make_learner(spec, config, fleet, run_dir)
    except BaseException:
        fleet.close()
        raise
