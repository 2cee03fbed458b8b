"""The catalog: what it lists, how it finds a game, and how it says it cannot."""

import gymnasium as gym
import numpy as np
import pytest

from game.catalog import UnknownGameError, action_labels, catalog, find_game, key_bindings


def test_lists_every_kind_with_featured_first():
    specs = list(catalog().values())
    kinds = {s.kind for s in specs}
    assert {"arcade", "atari", "classic"} <= kinds
    assert sum(s.kind == "atari" for s in specs) >= 100
    assert [s.id for s in specs[:6]] == ["catch", "snake", "runner", "pong", "gridworld", "tictactoe"]
    featured_atari = [s.title for s in specs if s.kind == "atari" and s.featured]
    assert featured_atari == ["Pong", "Breakout", "Space Invaders", "Boxing", "Freeway", "Seaquest"]


def test_every_game_names_a_preset_and_atari_pong_has_its_own():
    from game.presets import PRESETS

    assert {spec.preset for spec in catalog().values()} <= set(PRESETS)
    assert find_game("ALE/Pong-v5").preset == "atari-pong"
    assert find_game("ALE/Breakout-v5").preset == "atari"
    assert PRESETS["atari-pong"].dqn.network == "nips"


def test_ids_are_found_in_any_case_and_short_atari_forms():
    assert find_game("CATCH").id == "catch"
    assert find_game("ALE/Pong-v5").kind == "atari"
    assert find_game("Pong-v5").id == "ALE/Pong-v5"
    assert find_game("breakout").id == "ALE/Breakout-v5"
    assert find_game("pong").kind == "arcade"  # the home-made Pong owns the bare name


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("cacth", "catch"), ("ALE/Pongg-v5", "ALE/Pong-v5"), ("snak", "snake"), ("CartPol-v1", "CartPole-v1")],
)
def test_unknown_id_names_the_closest_matches(typed, suggested):
    with pytest.raises(UnknownGameError) as caught:
        find_game(typed)
    message = str(caught.value)
    assert suggested in message and typed in message
    assert "\n" not in message


def test_nothing_close_points_to_the_listing():
    with pytest.raises(UnknownGameError, match=r"python main\.py games"):
        find_game("zzzzqqqq")


def test_continuous_actions_are_refused_in_one_sentence():
    with pytest.raises(UnknownGameError, match="discrete actions"):
        find_game("Pendulum-v1")


def test_other_registered_discrete_ids_play_with_number_keys():
    spec = find_game("FrozenLake-v1")
    env = spec.make_env("play")
    assert action_labels(env) == ["ACTION 0", "ACTION 1", "ACTION 2", "ACTION 3"]
    assert key_bindings(env)[("1",)] == 0
    env.reset(seed=0)
    assert env.render().dtype == np.uint8


@pytest.mark.parametrize("game_id", ["CartPole-v1", "Acrobot-v1", "MountainCar-v0"])
def test_classic_control_is_drawn_without_a_window(game_id):
    env = find_game(game_id).make_env("play")
    env.reset(seed=0)
    env.step(0)
    frame = env.render()
    assert frame.ndim == 3 and frame.dtype == np.uint8
    labels = action_labels(env)
    assert "LEFT" in labels and "RIGHT" in labels
    assert key_bindings(env)[("left",)] == labels.index("LEFT")


@pytest.mark.parametrize("mode", ["train", "show", "play"])
def test_atari_modes(mode):
    env = find_game("ALE/Pong-v5").make_env(mode)
    obs, _ = env.reset(seed=0)
    assert isinstance(env.action_space, gym.spaces.Discrete)
    assert obs.shape == (4, 84, 84) and obs.dtype == np.uint8
    assert env.render().shape == (210, 160, 3)
    env.close()
