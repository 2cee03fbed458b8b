"""Versus: a person against a trained agent, each action reaching its own side, games counted right."""

import sys
import types

import numpy as np
import pygame
import pytest

from agents.acting import Act
from game.arcade.pong import DOWN, NOOP, UP
from game.arcade.tictactoe import O_MARK, X_MARK, minimax_move
from game.catalog import find_game
from game.errors import UserError
from game.modes.players import TablePlayer, load_player
from game.modes.versus import AGENT, PERSON, VERSUS_GAMES, AtariMatch, TicTacToeMatch, check_versus
from game.ui.scenes.versus import NEXT_GAME_DELAY_S, THINK_SECONDS, VersusScene
from tests.screen import FRAME_S, is_picture, open_app, post_key, run


class Scripted:
    """A stand-in agent: a fixed action, or ``policy(obs)``; remembers what it saw."""

    def __init__(self, n_actions: int, action: int = 0, policy=None, name: str = "scripted"):
        self.n_actions, self.action, self.policy, self.name = n_actions, action, policy, name
        self.seen: list[np.ndarray] = []

    def act(self, obs: np.ndarray, mask: np.ndarray | None = None) -> Act:
        self.seen.append(np.array(obs))
        action = self.action if self.policy is None else int(self.policy(obs))
        q = np.linspace(-1.0, 0.0, self.n_actions, dtype=np.float32)
        q[action] = 1.0
        return Act(action, q, action, False)


@pytest.fixture
def app():
    yield from open_app()


def track_ball(obs: np.ndarray) -> int:
    """A Pong paddle that follows the ball (observation from its own side)."""
    ball_y, paddle_y = obs[1], obs[4]
    return UP if ball_y < paddle_y - 0.02 else DOWN if ball_y > paddle_y + 0.02 else NOOP


# ---------------------------------------------------------------------- which games


def test_only_the_versus_games_are_accepted():
    for game_id in VERSUS_GAMES:
        check_versus(find_game(game_id))
    with pytest.raises(UserError) as error:
        check_versus(find_game("catch"))
    message = str(error.value)
    assert "Catch" in message and all(game_id in message for game_id in VERSUS_GAMES)
    assert message.count(".") == 1 and message.endswith("."), "one sentence"


# ---------------------------------------------------------------------- home-made Pong


def test_pong_person_keys_move_the_left_paddle_and_the_agent_the_right(app):
    agent = Scripted(3, action=DOWN)
    scene = VersusScene(app, find_game("pong"), agent, seed=0)
    env = scene.match.env
    left, right = env.paddle_y["left"], env.paddle_y["right"]
    post_key(pygame.K_UP)
    run(app, scene, 5)
    assert env.paddle_y["left"] == left - 5 * 3.0, "the person's UP moved the left paddle up"
    assert env.paddle_y["right"] == right + 5 * 3.0, "the agent's DOWN moved the right paddle down"
    post_key(pygame.K_UP, down=False)
    post_key(pygame.K_s)  # the UI's alias for DOWN
    run(app, scene, 1)
    seen_from_the_right = env.observation_for("right")
    run(app, scene, 1)
    assert env.paddle_y["left"] == left - 3 * 3.0
    assert scene.qbars.chosen == DOWN and scene.qbars.updates == 7, "every decision reaches the Q-bars"
    np.testing.assert_array_equal(agent.seen[-1], seen_from_the_right)


def test_pong_shipped_agent_steers_the_right_paddle():
    player = load_player(find_game("pong"))
    scene = VersusScene(None, find_game("pong"), player, seed=3)
    env, moved = scene.match.env, set()
    for _ in range(300):
        before = env.paddle_y["right"], env.paddle_y["left"]
        scene.update(FRAME_S)
        act = scene.match.last_act
        step = {NOOP: 0.0, UP: -3.0, DOWN: 3.0}[act.action]
        assert env.paddle_y["right"] == env._clamp_paddle(before[0] + step)
        assert env.paddle_y["left"] == before[1], "nobody holds a key: the left paddle stays"
        moved.add(act.action)
    assert {UP, DOWN} <= moved, "the agent plays"


@pytest.mark.parametrize("winner", [AGENT, PERSON])
def test_pong_scoreboard_counts_the_game_for_its_winner(app, winner):
    # The winner follows the ball; the loser keeps its paddle at the top.
    agent = Scripted(3, policy=track_ball) if winner == AGENT else Scripted(3, action=UP)
    scene = VersusScene(app, find_game("pong"), agent, seed=2, points_to_win=1)
    assert scene.match.points_to_win == 1
    held = None
    app.scene = scene
    for _ in range(2000):
        want = (
            pygame.K_UP
            if winner == AGENT
            else {UP: pygame.K_UP, DOWN: pygame.K_DOWN}.get(
                track_ball(scene.match.env.observation_for("left"))
            )
        )
        if want != held:
            if held is not None:
                post_key(held, down=False)
            if want is not None:
                post_key(want)
            held = want
        app.step(FRAME_S)
        if scene.over:
            break
    assert scene.over and scene.match.winner == winner
    person, agent_points = scene.match.points
    assert (person, agent_points) == ((0, 1) if winner == AGENT else (1, 0))
    assert scene.games == 1 and scene.tally == {
        "person": int(winner == PERSON),
        "agent": int(winner == AGENT),
        "draw": 0,
    }
    assert scene.result() == (float(winner == PERSON), float(winner == AGENT))


def test_after_a_game_space_waits_for_the_delay_then_starts_the_next(app):
    scene = VersusScene(app, find_game("pong"), Scripted(3, policy=track_ball), seed=2, points_to_win=1)
    run(app, scene, 1)
    scene.update(0)
    while not scene.over:
        scene.update(FRAME_S)
    post_key(pygame.K_SPACE)
    run(app, scene, 2)
    assert scene.over, "a key held from the game does not skip the result"
    run(app, scene, round(NEXT_GAME_DELAY_S / FRAME_S))
    post_key(pygame.K_SPACE)
    run(app, scene, 1)
    assert not scene.over and scene.match.points == (0, 0) and scene.games == 1


def test_pause_freezes_restart_starts_the_game_again_and_escape_leaves(app):
    scene = VersusScene(app, find_game("pong"), Scripted(3, action=UP), seed=0)
    run(app, scene, 40)
    steps = scene.match.env.steps
    post_key(pygame.K_p)
    run(app, scene, 30)
    assert scene.paused and scene.match.env.steps == steps
    post_key(pygame.K_r)
    run(app, scene, 1)
    assert not scene.paused and scene.match.env.steps <= 1 and scene.games == 0
    app.running = True
    post_key(pygame.K_ESCAPE)
    run(app, scene, 1)
    assert not app.running
    left = []
    scene = VersusScene(app, find_game("pong"), Scripted(3), on_exit=lambda: left.append(True), seed=0)
    post_key(pygame.K_ESCAPE)
    run(app, scene, 1)
    assert left == [True]


def test_kiosk_keeps_the_person_in_and_notes_their_input(app):
    scene = VersusScene(app, find_game("pong"), Scripted(3), seed=0, kiosk=True, points_to_win=2)
    assert scene.match.env.points_to_win == 2
    app.running = True
    before = scene.last_input
    post_key(pygame.K_ESCAPE)
    run(app, scene, 1)
    assert app.running, "ESC does nothing in a kiosk"
    assert scene.last_input > before
    stamp = scene.last_input
    pygame.event.post(pygame.event.Event(pygame.JOYHATMOTION, joy=0, instance_id=0, hat=0, value=(0, 1)))
    run(app, scene, 3)
    assert scene.last_input > stamp, "a gamepad counts as input"
    assert scene.match.env.paddle_y["left"] < scene.match.env.paddle_y["right"], "its d-pad moved the paddle"


def test_pong_draws(app, tmp_path):
    scene = VersusScene(app, find_game("pong"), load_player(find_game("pong")), seed=1)
    post_key(pygame.K_w)
    run(app, scene, 300)
    assert is_picture(app.surface)
    assert scene.qbars.updates >= 300
    pygame.image.save(app.surface, str(tmp_path / "versus_pong.png"))


# ---------------------------------------------------------------------- Tic-Tac-Toe


def cell_center(scene: VersusScene, cell: int) -> tuple[int, int]:
    """The window pixel at the middle of ``cell`` as last drawn."""
    x, y, w, h = scene.match.board.cell_rect(cell)
    fh, fw = scene.frame.shape[:2]
    sx, sy = scene.frame_rect.width / fw, scene.frame_rect.height / fh
    return round(scene.frame_rect.x + (x + w / 2) * sx), round(scene.frame_rect.y + (y + h / 2) * sy)


def test_tictactoe_person_places_by_key_and_click_and_the_agent_replies_after_thinking(app):
    player = load_player(find_game("tictactoe"))
    assert isinstance(player, TablePlayer)
    scene = VersusScene(app, find_game("tictactoe"), player, seed=0)
    env = scene.match.env
    assert scene.match.person_mark == "X" and not env.board.any(), "the person moves first in game one"
    post_key(pygame.K_5)
    run(app, scene, 1)
    assert env.board[4] == X_MARK, "key 5 placed the person's X in the centre"
    assert scene.thinking, "the agent's values are on show first"
    before = env.board.copy()
    before[env.last_move] = 0  # the board the agent was asked about
    expected = player.act((before * O_MARK).astype(np.float32), before == 0)
    assert env.last_move == expected.action, "the agent's mark is where its table chose"
    assert np.sum(env.board == O_MARK) == 1
    thought_board = scene.thought.frame
    assert not np.array_equal(thought_board, scene.frame), "the thinking frame is the board before its reply"
    np.testing.assert_array_equal(scene.thought.mask, np.arange(9) != 4)
    run(app, scene, round(THINK_SECONDS / FRAME_S) - 3)
    assert scene.thinking
    run(app, scene, 5)
    assert not scene.thinking

    free = int(np.flatnonzero(env.board == 0)[0])
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=cell_center(scene, free)))
    run(app, scene, 1)
    assert env.board[free] == X_MARK, "a click placed the person's X where it landed"
    run(app, scene, round(THINK_SECONDS / FRAME_S) + 2)
    assert env.result is None
    post_key(pygame.K_SPACE)
    run(app, scene, 1)
    assert np.sum(env.board == X_MARK) == 2, "a first SPACE only shows the highlight"
    scene.cursor = 0
    target = int(np.flatnonzero(env.board == 0)[-1])
    row, col = divmod(target, 3)
    for _ in range(row):
        post_key(pygame.K_DOWN)
    for _ in range(col):
        post_key(pygame.K_d)  # WASD stands in for the arrows
    post_key(pygame.K_SPACE)
    run(app, scene, 1)
    assert scene.cursor == target and env.board[target] == X_MARK, "arrows and SPACE placed it"


def test_tictactoe_agent_never_loses_to_minimax_from_either_side():
    rng = np.random.default_rng(7)
    scene = VersusScene(None, find_game("tictactoe"), load_player(find_game("tictactoe")), seed=11)
    match = scene.match
    assert isinstance(match, TicTacToeMatch)
    sides = []
    for game in range(20):
        if game:
            scene.update(NEXT_GAME_DELAY_S)
            scene.held.pressed.append("space")
            scene.update(0.0)
        sides.append(match.person_mark)
        while not match.over:
            scene.update(THINK_SECONDS)  # the agent's reply is shown
            scene.play(minimax_move(match.obs, X_MARK, rng))
        scene.update(THINK_SECONDS)
        assert scene.over and match.winner != PERSON, f"the agent lost game {game} as {match.agent_side}"
    assert sides == ["X", "O"] * 10, "the sides alternate"
    assert scene.games == 20 and scene.tally["person"] == 0
    assert scene.tally["agent"] + scene.tally["draw"] == 20


def test_tictactoe_scoreboard_counts_the_agents_win(app):
    scene = VersusScene(app, find_game("tictactoe"), load_player(find_game("tictactoe")), seed=0)
    app.scene = scene
    for _ in range(5):  # the person always takes the first free square: the agent wins
        if scene.over:
            break
        scene.play(int(np.flatnonzero(scene.match.env.board == 0)[0]))
        assert not scene.over or scene.match.winner != AGENT, "the agent's win shows after its thinking"
        run(app, scene, round(THINK_SECONDS / FRAME_S) + 2)
    assert scene.match.winner == AGENT
    assert scene.tally == {"person": 0, "agent": 1, "draw": 0} and scene.result() == (0.0, 1.0)


def test_tictactoe_draws_the_agent_thinking(app, tmp_path):
    scene = VersusScene(app, find_game("tictactoe"), load_player(find_game("tictactoe")), seed=0)
    post_key(pygame.K_3)
    run(app, scene, 20)
    assert scene.thinking and is_picture(app.surface)
    pygame.image.save(app.surface, str(tmp_path / "versus_tictactoe_thinking.png"))
    run(app, scene, 200)
    assert is_picture(app.surface)
    pygame.image.save(app.surface, str(tmp_path / "versus_tictactoe.png"))


# ---------------------------------------------------------------------- Atari, on a stand-in duel


class FakeDuel:
    """The AtariDuel interface, recording what each side sent; the test sets the score."""

    frame_skip = 4

    def __init__(self, game_id: str, seed: int | None = None):
        self.agent_labels = ["NOOP", "FIRE", "UP", "DOWN"]
        self.person_labels = ["NOOP", "FIRE", "UP", "DOWN"]
        self.person_keys = {(): 0, ("space",): 1, ("up",): 2, ("down",): 3}
        self.person_noop = 0
        self.sent: list[tuple[int, int]] = []
        self.frames = 0
        self.score = (0, 0)

    def reset(self, seed: int | None = None) -> None:
        self.frames, self.score = 0, (0, 0)

    def agent_due(self) -> bool:
        return self.frames % self.frame_skip == 0

    def agent_observation(self) -> np.ndarray:
        return np.full((4, 84, 84), self.frames % 256, dtype=np.uint8)

    def step(self, person_action: int, agent_action: int) -> tuple[float, float, bool]:
        self.sent.append((person_action, agent_action))
        self.frames += 1
        return 0.0, 0.0, False

    def frame(self) -> np.ndarray:
        return np.full((210, 160, 3), 90, dtype=np.uint8)

    def close(self) -> None:
        pass


@pytest.fixture
def fake_duel(monkeypatch):
    module = types.ModuleType("game.atari.duel")
    module.AtariDuel = FakeDuel
    module.supports_duel = lambda game_id: True
    monkeypatch.setitem(sys.modules, "game.atari.duel", module)


def test_atari_person_and_agent_actions_reach_their_own_joysticks(app, fake_duel):
    agent = Scripted(4, policy=lambda obs: 3 if obs[0, 0, 0] % 8 == 0 else 1)
    scene = VersusScene(app, find_game("ALE/Pong-v5"), agent, seed=0, points_to_win=3)
    duel = scene.match.duel
    post_key(pygame.K_UP)
    run(app, scene, 12)
    assert [person for person, _ in duel.sent] == [2] * 12, "the person's UP on every raw frame"
    assert len(agent.seen) == 3, "the agent decides every 4th frame"
    assert [a for _, a in duel.sent] == [3] * 4 + [1] * 4 + [3] * 4, "and holds its action between"
    assert scene.qbars.updates == 3 and scene.match.pixel_aspect == find_game("ALE/Pong-v5").pixel_aspect
    duel.score = (1, 3)
    run(app, scene, 2)
    assert scene.over and scene.match.winner == AGENT and scene.tally["agent"] == 1


def test_atari_game_ends_at_points_to_win_only_when_given(fake_duel):
    match = AtariMatch(find_game("ALE/Boxing-v5"), Scripted(4), points_to_win=None, seed=0)
    match.new_game()
    match.duel.score = (40, 12)
    match.advance(0)
    assert not match.over, "without points_to_win the game runs to its own end"
    match = AtariMatch(find_game("ALE/Boxing-v5"), Scripted(4), points_to_win=5, seed=0)
    match.new_game()
    match.duel.score = (5, 2)
    match.advance(0)
    assert match.over and match.winner == PERSON
    assert match.person_side == "black boxer"


# ---------------------------------------------------------------------- Atari, on the two-player emulator

PONG_PLAYFIELD = slice(34, 194)  # rows between Atari Pong's walls
LEFT_PADDLE, RIGHT_PADDLE = slice(16, 20), slice(140, 144)  # the person's and the agent's columns


def paddle_middle(frame: np.ndarray, columns: slice) -> float:
    """The mean row of an Atari Pong paddle: playfield pixels of its columns unlike the background."""
    field = frame[PONG_PLAYFIELD, columns]
    background = frame[PONG_PLAYFIELD.start + 60, 80]
    rows = np.flatnonzero((field != background).any(axis=-1).any(axis=1))
    assert len(rows), "the paddle is on the screen"
    return float(rows.mean()) + PONG_PLAYFIELD.start


def test_atari_pong_person_holds_the_left_paddle_and_the_agent_the_right(app):
    spec = find_game("ALE/Pong-v5")
    probe = VersusScene(None, spec, Scripted(6), seed=0)
    up = probe.match.agent_labels.index("RIGHT")  # in Pong, RIGHT moves a paddle up the screen
    probe.close()
    agent = Scripted(6, action=up)
    scene = VersusScene(app, spec, agent, seed=0)
    start = paddle_middle(scene.frame, LEFT_PADDLE), paddle_middle(scene.frame, RIGHT_PADDLE)
    post_key(pygame.K_DOWN)
    run(app, scene, 40)
    assert paddle_middle(scene.frame, LEFT_PADDLE) > start[0] + 20, (
        "the person's DOWN moved the left paddle down"
    )
    assert paddle_middle(scene.frame, RIGHT_PADDLE) < start[1] - 20, (
        "the agent's UP moved the right paddle up"
    )
    assert len(agent.seen) == 10 and agent.seen[-1].shape == (4, 84, 84), "a decision every 4th frame"
    assert agent.seen[-1].dtype == np.uint8
    scene.close()


def test_atari_pong_scoreboard_counts_the_first_point_for_its_winner():
    spec = find_game("ALE/Pong-v5")
    scene = VersusScene(None, spec, Scripted(6), seed=1, points_to_win=1)
    scene.held.keyboard.add("down")  # the person parks at the bottom; a NOOP agent stays put
    for _ in range(3000):
        scene.update(FRAME_S)
        if scene.over:
            break
    person, agent = scene.match.duel.score
    assert scene.over and max(person, agent) == 1 and person != agent
    winner = PERSON if person > agent else AGENT
    assert scene.match.winner == winner and scene.tally[winner] == 1 and scene.games == 1
    scene.close()


@pytest.mark.parametrize("game_id", ["ALE/Pong-v5", "ALE/Boxing-v5"])
def test_atari_versus_draws(app, game_id, tmp_path):
    spec = find_game(game_id)
    scene = VersusScene(app, spec, load_player(spec, seed=0), seed=1)
    post_key(pygame.K_UP)
    run(app, scene, 300)
    assert is_picture(app.surface) and scene.qbars.updates == 75
    name = game_id.removeprefix("ALE/").removesuffix("-v5").lower()
    pygame.image.save(app.surface, str(tmp_path / f"versus_atari_{name}.png"))
    scene.close()
