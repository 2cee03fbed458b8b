"""The Atari fast path: ale-py's vector env as a Trainer pool."""

import dataclasses

import numpy as np
import pytest
import torch

from agents.trainer import Trainer
from game.atari.pool import AtariVectorPool
from game.catalog import find_game
from game.presets import preset


def test_transitions_end_in_the_games_final_observation_and_game_over_is_a_new_game():
    pool = AtariVectorPool("ALE/Breakout-v5", 2, seed=3)
    rng = np.random.default_rng(0)
    obs = pool.reset()
    assert obs.shape == (2, 4, 84, 84) and obs.dtype == np.uint8
    lives_lost = games_over = 0
    try:
        for _ in range(700):
            next_obs, _rewards, terminated, _truncated, infos, acting = pool.step(rng.integers(0, 4, 2))
            # Every transition continues its own stack, also the ones whose game was reset within the step.
            assert np.array_equal(next_obs[:, :-1], obs[:, 1:])
            for i in np.flatnonzero(terminated):
                if infos[i]["game_over"]:
                    games_over += 1
                    assert infos[i]["lives"] == 5, "a new game starts with all its lives"
                else:
                    lives_lost += 1
            obs = acting
    finally:
        pool.close()
    assert lives_lost >= 4 * games_over and games_over >= 2, (lives_lost, games_over)


@pytest.mark.slow
def test_trainer_learns_on_the_pool_and_scores_whole_games():
    torch.set_num_threads(1)
    spec = find_game("ALE/Breakout-v5")
    config = dataclasses.replace(
        preset("atari"),
        num_envs=2,
        total_steps=1_400,
        learning_starts=400,
        eval_every_steps=0,
        checkpoint_every_steps=0,
        dqn=dataclasses.replace(preset("atari").dqn, replay_capacity=4_000),
    )
    trainer = Trainer(spec.id, lambda: spec.make_env("train"), config, make_pool=spec.pool_factory)
    try:
        assert isinstance(trainer.pool, AtariVectorPool)
        while trainer.steps < config.total_steps:
            trainer.step()
        assert trainer.agent.update_count > 100
        assert trainer.episodes >= 1, "a random player loses all five lives within 700 steps"
        assert all(r >= 0 for r in trainer.recent_returns)
        batch = trainer.agent.replay.sample(32)
        assert batch.obs.shape == (32, 4, 84, 84)
    finally:
        trainer.close()


@pytest.mark.slow
def test_learning_while_the_games_step_keeps_the_experience_and_the_update_count():
    """With overlap the updates run between step_async and step_wait: the same games are played (the
    network is not yet learning, so the same actions) and the same number of updates fall due."""
    torch.set_num_threads(1)
    spec = find_game("ALE/Pong-v5")
    results = {}
    for overlap in (False, True):
        config = dataclasses.replace(
            preset("atari"),
            num_envs=2,
            total_steps=600,
            learning_starts=300,
            train_every=4,
            eval_every_steps=0,
            checkpoint_every_steps=0,
            overlap=overlap,
            dqn=dataclasses.replace(preset("atari").dqn, replay_capacity=2_000, learning_rate=0.0),
        )
        trainer = Trainer(spec.id, lambda: spec.make_env("train"), config, make_pool=spec.pool_factory)
        try:
            while trainer.steps < config.total_steps:
                trainer.step()
            results[overlap] = (trainer.agent.update_count, trainer._obs.copy())
        finally:
            trainer.close()
    assert results[True][0] == results[False][0] > 0
    assert np.array_equal(results[True][1], results[False][1]), "the same games were played"
