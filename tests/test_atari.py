"""ALE games: preprocessing, display frames, resets, key bindings, catalog and the vector path."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from game.atari.env import (
    FEATURED_ATARI_GAMES,
    AtariEnv,
    AtariSettings,
    atari_game_ids,
    atari_title,
    make_atari_env,
    make_atari_vector_env,
)

PONG_PLAYER_GREEN = (92, 186, 92)  # the right-hand (player's) paddle in ALE Pong
PYGAME_KEYS = {"up", "down", "left", "right", "space"}


def reference_area_resize(image: np.ndarray, size: int) -> np.ndarray:
    """Area resize by brute force: blow each pixel up to a common multiple, then average blocks."""
    height, width = image.shape
    fine = np.repeat(np.repeat(image, np.lcm(height, size) // height, 0), np.lcm(width, size) // width, 1)
    return fine.reshape(size, fine.shape[0] // size, size, fine.shape[1] // size).mean(axis=(1, 3))


def luma(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma of an RGB frame."""
    return rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def pong_paddle_row(frame: np.ndarray) -> float:
    """Mean row of the player's paddle in a raw Pong frame."""
    rows = np.nonzero(np.all(frame[34:194, 140:144] == PONG_PLAYER_GREEN, axis=-1).any(axis=1))[0]
    assert rows.size, "the player's paddle is not on screen"
    return float(rows.mean()) + 34


@pytest.mark.parametrize("game_id", FEATURED_ATARI_GAMES)
def test_featured_games_reset_and_step(game_id: str) -> None:
    env = make_atari_env(game_id, render_mode="rgb_array")
    obs, info = env.reset(seed=0)
    env.action_space.seed(0)
    assert env.observation_space.shape == (4, 84, 84)
    assert obs.shape == (4, 84, 84) and obs.dtype == np.uint8 and obs in env.observation_space
    assert set(info) == {"lives", "game_over", "episode_frame_number"}
    for _ in range(3):
        obs, reward, _, truncated, info = env.step(env.action_space.sample())
        assert obs.shape == (4, 84, 84) and obs.dtype == np.uint8
        assert isinstance(reward, float) and not truncated
    frames = env.last_frames()
    assert len(frames) == 4
    assert all(f.shape == (210, 160, 3) and f.dtype == np.uint8 for f in frames)
    assert env.render() is frames[-1]
    assert len(env.get_action_meanings()) == env.action_space.n
    env.close()


def test_newest_plane_is_the_preprocessed_max_of_the_last_two_raw_frames() -> None:
    env = make_atari_env("ALE/SpaceInvaders-v5")  # flickering sprites: the max-pool matters here
    previous, _ = env.reset(seed=1)
    env.action_space.seed(1)
    for _ in range(20):
        obs, *_ = env.step(env.action_space.sample())
        older, newer = env.last_frames()[-2:]
        expected = reference_area_resize(np.maximum(luma(older), luma(newer)), 84)
        assert np.abs(obs[-1].astype(np.float64) - expected).max() <= 1.0
        np.testing.assert_array_equal(obs[:-1], previous[1:])  # the stack shifts by one plane
        previous = obs


def test_reset_fills_the_stack_with_the_first_frame() -> None:
    obs, _ = make_atari_env("ALE/Breakout-v5").reset(seed=0)
    assert all(np.array_equal(plane, obs[-1]) for plane in obs)


@pytest.mark.parametrize("frame_skip", [1, 4])
def test_frame_skip_gives_one_display_frame_per_raw_frame(frame_skip: int) -> None:
    env = make_atari_env("ALE/Pong-v5", frame_skip=frame_skip)
    _, info = env.reset(seed=0)
    start = info["episode_frame_number"]
    assert len(env.last_frames()) == start + 1  # the first screen, then one per no-op and FIRE frame
    for step in range(1, 4):
        _, _, _, _, info = env.step(0)
        assert len(env.last_frames()) == frame_skip
        assert info["episode_frame_number"] == start + step * frame_skip
    frames = env.last_frames()
    assert len({id(f) for f in frames}) == frame_skip  # separate arrays, safe to keep


def test_noop_starts_depend_on_the_seed_and_repeat_for_a_seed() -> None:
    env = make_atari_env("ALE/Pong-v5", fire_reset=False)
    starts = {env.reset(seed=seed)[1]["episode_frame_number"] for seed in range(8)}
    assert len(starts) > 1 and all(1 <= s <= 30 for s in starts)

    def rollout(seed: int) -> list[tuple[np.ndarray, float, int]]:
        env = make_atari_env("ALE/Breakout-v5", sticky_action_probability=0.25)
        obs, info = env.reset(seed=seed)
        out = [(obs, 0.0, info["episode_frame_number"])]
        for action in np.random.default_rng(0).integers(0, env.action_space.n, 50):
            obs, reward, terminated, truncated, info = env.step(action)
            out.append((obs, reward, info["lives"]))
            if terminated or truncated:
                obs, info = env.reset()
        return out

    first, again = rollout(7), rollout(7)
    assert all(np.array_equal(a[0], b[0]) and a[1:] == b[1:] for a, b in zip(first, again, strict=True))


def test_no_noops_without_noop_max() -> None:
    env = make_atari_env("ALE/Pong-v5", noop_max=0, fire_reset=False)
    assert env.reset(seed=0)[1]["episode_frame_number"] == 0
    assert len(env.last_frames()) == 1


def play_until_episode_end(env: AtariEnv, action: int = 0, max_steps: int = 5000) -> tuple[bool, dict]:
    for _ in range(max_steps):
        _, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            return terminated, info
    raise AssertionError("the episode did not end")


def test_episodic_life_ends_on_a_lost_life_and_the_next_reset_continues_the_game() -> None:
    env = make_atari_env("ALE/Breakout-v5")  # FIRE on reset serves; NOOP then loses the ball
    _, info = env.reset(seed=0)
    assert info["lives"] == 5
    for lives_left in (4, 3, 2, 1):
        terminated, info = play_until_episode_end(env)
        assert terminated and not info["game_over"] and info["lives"] == lives_left
        frames_so_far = info["episode_frame_number"]
        _, info = env.reset()
        assert info["lives"] == lives_left  # the same game, not a new one
        assert info["episode_frame_number"] > frames_so_far
    terminated, info = play_until_episode_end(env)
    assert terminated and info["game_over"]
    _, info = env.reset()
    assert info["lives"] == 5 and info["episode_frame_number"] <= 31  # a new game


def test_without_episodic_life_an_episode_is_a_whole_game() -> None:
    env = make_atari_env("ALE/Breakout-v5", episodic_life=False)
    env.reset(seed=0)
    env.step(1)  # serve the first ball; later balls wait for FIRE
    lives_seen = set()
    for _ in range(2000):
        _, _, terminated, truncated, info = env.step(1)
        lives_seen.add(info["lives"])
        if terminated or truncated:
            break
    assert terminated and info["game_over"] and lives_seen >= {4, 3, 2, 1}


def test_truncation_after_max_episode_frames_then_a_new_game() -> None:
    env = make_atari_env("ALE/Pong-v5", max_episode_frames=202, noop_max=0, fire_reset=False)
    env.reset(seed=0)
    terminated, info = play_until_episode_end(env)  # a game of Pong lasts far longer than 202 frames
    assert not terminated and not info["game_over"]
    assert info["episode_frame_number"] == 202  # the step stops at the limit, midway through its 4 frames
    assert len(env.last_frames()) == 2
    _, info = env.reset()
    assert info["episode_frame_number"] == 0  # a new game


def test_pong_is_played_on_up_and_down() -> None:
    env = make_atari_env("ALE/Pong-v5", render_mode="rgb_array")
    keys = env.get_keys_to_action()
    env.reset(seed=0)
    start = pong_paddle_row(env.render())
    for _ in range(4):
        env.step(keys[("up",)])
    up = pong_paddle_row(env.render())
    for _ in range(8):
        env.step(keys[("down",)])
    down = pong_paddle_row(env.render())
    assert up < start - 10 and down > up + 20
    assert keys[("space", "up")] == env.get_action_meanings().index("RIGHTFIRE")


@pytest.mark.parametrize("game_id", FEATURED_ATARI_GAMES)
def test_every_key_binding_is_a_valid_action(game_id: str) -> None:
    env = make_atari_env(game_id)
    keys = env.get_keys_to_action()
    assert keys[()] == 0 and env.get_action_meanings()[0] == "NOOP"
    assert sorted(keys.values()) == list(range(env.action_space.n))  # every action, once
    for combo in keys:
        assert combo == tuple(sorted(combo)) and set(combo) <= PYGAME_KEYS


def test_breakout_and_boxing_key_names() -> None:
    assert make_atari_env("ALE/Breakout-v5").get_keys_to_action() == {
        (): 0,
        ("space",): 1,
        ("right",): 2,
        ("left",): 3,
    }
    boxing = make_atari_env("ALE/Boxing-v5")
    meanings, keys = boxing.get_action_meanings(), boxing.get_keys_to_action()
    assert meanings[keys[("right", "space", "up")]] == "UPRIGHTFIRE"
    assert meanings[keys[("down", "left")]] == "DOWNLEFT"


@pytest.mark.parametrize("render_mode", [None, "rgb_array"])
def test_check_env_passes_without_warnings(render_mode: str | None) -> None:
    env = make_atari_env("ALE/Breakout-v5", render_mode=render_mode)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env)
    assert [str(w.message) for w in caught] == []


def test_settings_reach_the_emulator_and_bad_settings_are_refused() -> None:
    env = make_atari_env("ALE/Pong-v5", sticky_action_probability=0.25, frame_stack=2, screen_size=64)
    assert env.ale.getFloat("repeat_action_probability") == pytest.approx(0.25)
    assert env.reset(seed=0)[0].shape == (2, 64, 64)
    with pytest.raises(TypeError, match="Unknown Atari setting"):
        make_atari_env("ALE/Pong-v5", frameskip=4)
    with pytest.raises(ValueError, match="frame_skip"):
        AtariSettings(frame_skip=0)
    with pytest.raises(ValueError, match="not an installed Atari game"):
        make_atari_env("ALE/NoSuchGame-v5")
    with pytest.raises(ValueError, match="not an action"):
        env.step(env.action_space.n)


def test_catalog_lists_every_v5_game_with_a_title() -> None:
    ids = atari_game_ids()
    assert len(ids) >= 100 and ids == sorted(ids)
    assert all(i.startswith("ALE/") and i.endswith("-v5") for i in ids)
    assert set(FEATURED_ATARI_GAMES) <= set(ids)
    assert atari_title("ALE/SpaceInvaders-v5") == "Space Invaders"
    assert atari_title("ALE/Pong-v5") == "Pong"
    assert atari_title("ALE/MontezumaRevenge-v5") == "Montezuma Revenge"


def test_vector_env_matches_the_single_env() -> None:
    settings = AtariSettings(noop_max=0)
    envs = make_atari_vector_env("ALE/Breakout-v5", 2, settings)
    single = AtariEnv("ALE/Breakout-v5", settings)
    assert envs.single_observation_space == single.observation_space
    assert envs.single_action_space == single.action_space
    batch, _ = envs.reset(seed=0)
    obs, _ = single.reset(seed=0)
    assert batch.shape == (2, 4, 84, 84) and batch.dtype == np.uint8
    for _ in range(5):
        batch, rewards, terminated, truncated, _ = envs.step(np.full(2, 1, np.int64))
        obs, *_ = single.step(1)
    assert batch.shape == (2, 4, 84, 84) and batch.dtype == np.uint8
    assert rewards.shape == terminated.shape == truncated.shape == (2,)
    assert np.abs(batch[0].astype(int) - obs).mean() < 0.5  # same game, ale-py's own resize
    envs.close()
