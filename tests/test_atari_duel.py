"""Two-player Atari for versus: who controls what, the agent's observation, serves, game over."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from game.atari.duel import DUEL_GAMES, AtariDuel, _score_value, supports_duel
from game.atari.env import AtariSettings, area_weights, make_atari_env, pool_and_shrink
from tests.test_atari import luma, reference_area_resize

PONG, BOXING = "ALE/Pong-v5", "ALE/Boxing-v5"
PONG_GREEN, PONG_ORANGE = (92, 186, 92), (213, 130, 74)  # right (agent's) and left (person's) paddles
PONG_RIGHT_PADDLE, PONG_LEFT_PADDLE = slice(140, 144), slice(16, 20)  # their columns
PONG_PLAYFIELD = slice(34, 194)  # rows between the walls
BOXING_WHITE, BOXING_BLACK = (214, 214, 214), (0, 0, 0)  # the agent's and the person's boxers
BOXING_RING = (slice(30, 180), slice(28, 132))  # rows, columns inside the ropes


def paddle_row(frame: np.ndarray, columns: slice, colour: tuple[int, int, int]) -> float:
    """Mean screen row of a Pong paddle."""
    rows = np.nonzero(np.all(frame[PONG_PLAYFIELD, columns] == colour, axis=-1).any(axis=1))[0]
    assert rows.size, f"no {colour} paddle on screen"
    return float(rows.mean()) + PONG_PLAYFIELD.start


def boxer_centre(frame: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    """(row, column) of a boxer's pixels in the ring."""
    rows, cols = np.nonzero(np.all(frame[BOXING_RING] == colour, axis=-1))
    assert rows.size, f"no {colour} boxer in the ring"
    return np.array([rows.mean() + BOXING_RING[0].start, cols.mean() + BOXING_RING[1].start])


def play(duel: AtariDuel, person_action: int, agent_action: int, frames: int) -> None:
    for _ in range(frames):
        duel.step(person_action, agent_action)


# -- setup and controls -----------------------------------------------------------------------


def test_only_pong_and_boxing_have_a_duel() -> None:
    assert set(DUEL_GAMES) == {PONG, BOXING}
    assert supports_duel(PONG) and supports_duel(BOXING) and not supports_duel("ALE/Breakout-v5")
    with pytest.raises(ValueError, match="cannot be played against an agent"):
        AtariDuel("ALE/Breakout-v5")


@pytest.mark.parametrize("game_id", [PONG, BOXING])
def test_agent_actions_are_the_one_player_games(game_id: str) -> None:
    one_player = make_atari_env(game_id)
    duel = AtariDuel(game_id, seed=0)
    assert duel.agent_labels == one_player.get_action_meanings()
    assert duel.frame_skip == AtariSettings().frame_skip == 4
    assert duel.person_keys[()] == duel.person_noop == duel.person_labels.index("NOOP")
    assert sorted(duel.person_keys.values()) == list(range(len(duel.person_labels)))
    assert all(keys == tuple(sorted(keys)) for keys in duel.person_keys)


def test_pong_person_keys_move_the_left_paddle_like_the_one_player_keys() -> None:
    duel = AtariDuel(PONG, seed=0)
    named = {keys: duel.person_labels[action] for keys, action in duel.person_keys.items()}
    assert named == {
        (): "NOOP",
        ("space",): "FIRE",
        ("up",): "RIGHT",
        ("down",): "LEFT",
        ("space", "up"): "RIGHTFIRE",
        ("down", "space"): "LEFTFIRE",
    }


@pytest.mark.parametrize(("person_key", "agent_key"), [("up", "down"), ("down", "up")])
def test_pong_each_side_moves_its_own_paddle(person_key: str, agent_key: str) -> None:
    # The agent's action is the one the one-player game's key presses, so "up" means up for it.
    agent_action = make_atari_env(PONG).get_keys_to_action()[(agent_key,)]
    duel = AtariDuel(PONG, seed=0)
    frame = duel.frame()
    person_before = paddle_row(frame, PONG_LEFT_PADDLE, PONG_ORANGE)
    agent_before = paddle_row(frame, PONG_RIGHT_PADDLE, PONG_GREEN)
    play(duel, duel.person_keys[(person_key,)], agent_action, 20)
    frame = duel.frame()
    person_moved = paddle_row(frame, PONG_LEFT_PADDLE, PONG_ORANGE) - person_before
    agent_moved = paddle_row(frame, PONG_RIGHT_PADDLE, PONG_GREEN) - agent_before
    down = {"up": -1, "down": 1}  # screen rows grow downwards
    assert person_moved * down[person_key] > 10
    assert agent_moved * down[agent_key] > 10


def test_boxing_each_side_moves_its_own_boxer() -> None:
    duel = AtariDuel(BOXING, seed=0)
    white, black = boxer_centre(duel.frame(), BOXING_WHITE), boxer_centre(duel.frame(), BOXING_BLACK)
    assert white[0] < black[0] and white[1] < black[1]  # white top left, black bottom right
    play(duel, duel.person_keys[("left", "up")], duel.agent_labels.index("DOWNRIGHT"), 24)
    white_moved = boxer_centre(duel.frame(), BOXING_WHITE) - white
    black_moved = boxer_centre(duel.frame(), BOXING_BLACK) - black
    assert (white_moved > 5).all(), white_moved  # down and right
    assert (black_moved < -5).all(), black_moved  # up and left


def test_agent_action_holds_for_the_whole_agent_step() -> None:
    steady, fickle = AtariDuel(PONG, seed=0), AtariDuel(PONG, seed=0)
    rng = np.random.default_rng(0)
    for _ in range(50):
        action = int(rng.integers(len(steady.agent_labels)))
        for _ in range(steady.frame_skip):
            other = action if fickle.agent_due() else int(rng.integers(len(fickle.agent_labels)))
            steady.step(steady.person_noop, action)
            fickle.step(fickle.person_noop, other)  # read only when due
            np.testing.assert_array_equal(steady.frame(), fickle.frame())


# -- the agent's observation ------------------------------------------------------------------


def test_observation_stacks_once_per_agent_step() -> None:
    duel = AtariDuel(PONG, seed=0)
    obs = duel.agent_observation()
    assert obs.shape == (4, 84, 84) and obs.dtype == np.uint8
    assert all(np.array_equal(plane, obs[-1]) for plane in obs)  # a new game: the first screen four times
    rng = np.random.default_rng(0)
    newest_planes = set()
    for step in range(40):
        assert duel.agent_due()
        action = int(rng.integers(len(duel.agent_labels)))
        for raw in range(duel.frame_skip):
            if raw:
                assert not duel.agent_due()
                np.testing.assert_array_equal(duel.agent_observation(), obs)  # unchanged within a step
            duel.step(duel.person_keys[("up",) if step % 10 < 5 else ("down",)], action)
        new = duel.agent_observation()
        np.testing.assert_array_equal(new[:-1], obs[1:])
        newest_planes.add(new[-1].tobytes())
        obs = new
    assert len(newest_planes) > 30  # paddles and ball move


@pytest.mark.parametrize("game_id", [PONG, BOXING])
def test_newest_plane_pools_the_last_two_raw_frames_of_each_step(game_id: str) -> None:
    duel = AtariDuel(game_id, seed=1)
    rng = np.random.default_rng(1)
    weights = area_weights(84, 210), np.ascontiguousarray(area_weights(84, 160).T)
    palette = grey_palette(game_id)
    for _ in range(30):
        frames = []
        action = int(rng.integers(len(duel.agent_labels)))
        for _ in range(duel.frame_skip):
            duel.step(int(rng.integers(len(duel.person_labels))), action)
            frames.append(duel.frame())
        newest = duel.agent_observation()[-1]
        greys = [palette(frame) for frame in frames[-2:]]
        np.testing.assert_array_equal(newest, pool_and_shrink(greys, *weights))
        expected = reference_area_resize(np.maximum(luma(frames[-2]), luma(frames[-1])), 84)
        assert np.abs(newest.astype(np.float64) - expected).max() <= 1.0


def grey_palette(game_id: str) -> Callable[[np.ndarray], np.ndarray]:
    """RGB frame -> the one-player emulator's greyscale, for the colours of a short random game."""
    env = make_atari_env(game_id, noop_max=0)
    env.reset(seed=0)
    env.action_space.seed(0)
    grey_of: dict[int, int] = {}
    for _ in range(30):
        env.step(env.action_space.sample())
        codes = colour_codes(env.ale.getScreenRGB())
        grey_of.update(
            zip(codes.ravel().tolist(), env.ale.getScreenGrayscale().ravel().tolist(), strict=True)
        )
    keys = np.array(sorted(grey_of))
    greys = np.array([grey_of[k] for k in keys], np.uint8)

    def to_grey(frame: np.ndarray) -> np.ndarray:
        codes = colour_codes(frame)
        index = np.minimum(np.searchsorted(keys, codes), len(keys) - 1)
        assert (keys[index] == codes).all(), "a colour the one-player game does not show"
        return greys[index]

    return to_grey


def colour_codes(frame: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB -> (H, W) 0xRRGGBB."""
    return frame.astype(np.int64) @ np.array([1 << 16, 1 << 8, 1])


def test_pong_observation_equals_the_one_player_games_but_for_the_opponent() -> None:
    one_player = make_atari_env(PONG, noop_max=0, fire_reset=False)
    one_player.reset(seed=0)
    duel = AtariDuel(PONG, seed=0)
    rng = np.random.default_rng(0)
    opponent_columns = 11  # planes' columns 0-10 cover screen columns 0-20, the left paddle's
    for step in range(12):  # the ball is not yet in play on either screen
        action = int(rng.integers(len(duel.agent_labels)))
        obs, *_ = one_player.step(action)
        play(duel, duel.person_noop, action, duel.frame_skip)
        if step >= 3:  # every plane made after the first screen (whose palette differs in one-player Pong)
            np.testing.assert_array_equal(
                duel.agent_observation()[:, :, opponent_columns:], obs[:, :, opponent_columns:]
            )


# -- serves, score, game over -----------------------------------------------------------------


def ball_position(frame: np.ndarray) -> np.ndarray | None:
    """(row, column) of the Pong ball, or None when it is not in play."""
    rows, cols = np.nonzero(frame[PONG_PLAYFIELD, :, 0] == 236)  # only the white ball is that red
    return np.array([rows.mean() + PONG_PLAYFIELD.start, cols.mean()]) if rows.size else None


def test_pong_ball_keeps_the_one_player_games_speed() -> None:
    # ALE/Pong-v5 (mode 0) moves the ball one column a frame all game; PettingZoo's default
    # two-player mode speeds it up during rallies.
    duel = AtariDuel(PONG, seed=0)
    up, down = duel.agent_labels.index("RIGHT"), duel.agent_labels.index("LEFT")  # for both paddles
    speeds, previous, rally_hits = set(), None, 0
    for _ in range(1500):
        frame = duel.frame()
        ball = ball_position(frame)
        actions = []
        for columns, colour in ((PONG_LEFT_PADDLE, PONG_ORANGE), (PONG_RIGHT_PADDLE, PONG_GREEN)):
            gap = 0.0 if ball is None else ball[0] - paddle_row(frame, columns, colour)
            actions.append(up if gap < -2 else down if gap > 2 else 0)  # both sides follow the ball
        duel.step(*actions)
        new = ball_position(duel.frame())
        if new is not None and ball is not None:
            speeds.add(round(abs(new[1] - ball[1])))  # the ball's pixels shift as it is drawn
            if previous is not None and np.sign(new[1] - ball[1]) != np.sign(ball[1] - previous[1]):
                rally_hits += 1
        previous = ball
    assert rally_hits >= 6  # the ball went back and forth
    assert speeds <= {0, 1}, speeds


def test_pong_serves_come_without_fire_and_without_penalties() -> None:
    duel = AtariDuel(PONG, seed=0)
    person_total = agent_total = 0.0
    last_point, waits = None, []
    for frame in range(10 * 60):
        person_reward, agent_reward, _ = duel.step(duel.person_noop, 0)
        person_total += person_reward
        agent_total += agent_reward
        if person_reward or agent_reward:
            last_point = frame
        elif last_point is not None and ball_position(duel.frame()) is not None:
            waits.append(frame - last_point)
            last_point = None
    person, agent = duel.score
    assert person + agent >= 3  # a point every few seconds
    assert waits and all(wait == 63 for wait in waits), waits  # the one-player game's pause
    assert agent_total == -person_total == agent - person  # no reward for a late serve


def test_boxing_score_counts_the_agents_punches() -> None:
    duel = AtariDuel(BOXING, seed=0)
    agent_total, action = 0.0, 0
    for frame in range(600):
        if duel.agent_due():  # close in, just above and left of the black boxer, and punch
            gap = (
                boxer_centre(duel.frame(), BOXING_BLACK) - (10, 20) - boxer_centre(duel.frame(), BOXING_WHITE)
            )
            move = ("UP" if gap[0] < -2 else "DOWN" if gap[0] > 2 else "") + (
                "LEFT" if gap[1] < -2 else "RIGHT" if gap[1] > 2 else ""
            )
            action = duel.agent_labels.index(move + "FIRE" if frame % 8 < 4 else move or "NOOP")
        agent_total += duel.step(duel.person_noop, action)[1]
    person, agent = duel.score
    assert person == 0 and agent > 0
    assert agent_total == agent


def test_boxing_scores_are_decimal_with_a_knock_out() -> None:
    assert [_score_value(b, decimal=True) for b in (0x00, 0x09, 0x10, 0x42, 0x99, 0xC0)] == [
        0,
        9,
        10,
        42,
        99,
        100,
    ]
    assert _score_value(0x15, decimal=False) == 0x15


def test_pong_game_ends_at_21_and_resets() -> None:
    duel = AtariDuel(PONG, seed=0)
    frames, over = 0, False
    while not over:
        *_, over = duel.step(duel.person_noop, 0)
        frames += 1
        assert frames < 10_000, "the game does not end"
    assert duel.score == (0, 21)
    assert not duel.agent_due()
    with pytest.raises(RuntimeError, match="reset"):
        duel.step(duel.person_noop, 0)
    duel.reset()
    assert duel.score == (0, 0) and duel.agent_due()
    assert duel.step(duel.person_noop, 0) == (0.0, 0.0, False)


@pytest.mark.slow
def test_boxing_game_ends_with_the_clock() -> None:
    duel = AtariDuel(BOXING, seed=0)
    frames, over = 0, False
    while not over:
        *_, over = duel.step(duel.person_noop, 0)
        frames += 1
        assert frames < 2 * 60 * 60 + 600, "the two-minute clock does not end the game"
    assert frames > 2 * 60 * 60 - 600
    with pytest.raises(RuntimeError):
        duel.step(duel.person_noop, 0)


def test_same_seed_same_game() -> None:
    def run() -> tuple[list[bytes], tuple[int, int]]:
        duel = AtariDuel(PONG)
        duel.reset(seed=3)
        rng = np.random.default_rng(3)
        frames = []
        for _ in range(300):
            duel.step(int(rng.integers(len(duel.person_labels))), int(rng.integers(len(duel.agent_labels))))
            frames.append(duel.frame().tobytes())
        return frames, duel.score

    assert run() == run()


@pytest.mark.slow
@pytest.mark.parametrize("game_id", [PONG, BOXING])
def test_the_shipped_agent_plays_its_own_side_of_the_duel(game_id: str) -> None:
    """The one-player agent, on the duel's observations, beats a person who presses keys at random."""
    from game.catalog import find_game
    from game.modes.players import NetworkPlayer, load_player

    player = load_player(find_game(game_id))
    assert isinstance(player, NetworkPlayer), f"an agent ships for {game_id}"
    duel = AtariDuel(game_id, seed=3)
    rng = np.random.default_rng(0)
    action, over = 0, False
    try:
        duel.reset(seed=3)
        while not over:
            if duel.agent_due():
                action = player.act(duel.agent_observation()).action
            _, _, over = duel.step(int(rng.integers(len(duel.person_labels))), action)
        person, agent = duel.score
    finally:
        duel.close()
    if game_id == PONG:
        assert agent == 21 and person <= 10, duel.score
    else:  # Boxing: two minutes, or a knock-out at 100 punches
        assert agent >= person + 30, duel.score
