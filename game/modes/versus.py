"""A person against a trained agent (``main.py versus``): the match logic, without any drawing.

One small class per kind of game, all behind the :class:`Match` interface that the versus scene
drives: home-made Pong (the agent holds the right paddle it was trained on, the person the left
one), Atari Pong and Boxing (two joysticks on one emulator, through :mod:`game.atari.duel`), and
Tic-Tac-Toe (the self-play Q-table, sides alternating each game). Real-time matches advance one
tick at a time with the action the person holds; turn-based ones one move at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.acting import Act
from game.arcade.common import KeyCombo
from game.catalog import GameSpec
from game.errors import UserError
from game.modes.lens import PlayerGaze
from game.modes.players import Player

VERSUS_GAMES = ("pong", "ALE/Pong-v5", "ALE/Boxing-v5", "tictactoe")
"""The games a person can play against an agent, as ``main.py versus`` takes them."""

PERSON, AGENT, DRAW = "person", "agent", "draw"  # who won a game
PONG_TIME_LIMIT_STEPS = 60 * 60 * 10  # a person's game of home-made Pong ends after ten minutes at 60 Hz
ATARI_SIDES = {  # game id -> (the person's side, the agent's side); the agent is ALE's first player
    "ALE/Pong-v5": ("left paddle (orange)", "right paddle (green)"),
    "ALE/Boxing-v5": ("black boxer", "white boxer"),
}


def check_versus(spec: GameSpec) -> None:
    """Raise UserError, naming the versus games, when ``spec`` cannot be played against an agent."""
    if spec.id not in VERSUS_GAMES:
        raise UserError(
            f"{spec.title} has no versus mode; play one of {', '.join(VERSUS_GAMES)} against an agent."
        )


@dataclass(frozen=True)
class Thought:
    """A turn-based agent's decision as it was made: the board it saw, its values and the free squares."""

    frame: np.ndarray
    """(H, W, 3) uint8: the board with the person's last move, before the agent's reply"""
    act: Act
    mask: np.ndarray
    """(n_actions,) bool: the moves that were legal"""


class Match:
    """One game after another between a person and an agent: what the versus scene drives and draws.

    Attributes:
        turn_based: advance() is one move of the person (and the agent's reply), not one tick.
        tick_seconds: real time one advance() stands for, seconds (real-time games).
        agent_labels: the name of each of the agent's actions (its Q-bars' labels).
        person_labels: the name of each of the person's actions.
        person_keys: held keys -> the person's action (KeyMap bindings).
        person_noop: the person's action while no key is held (None in turn-based games).
        points_to_win: points that end a game, where a game counts points (None: its own end).
        pixel_aspect: width of one frame pixel over its height on screen.
        board: the game object with ``cell_rect`` / ``cell_at`` where moves are squares, else None.
        last_act: the agent's latest decision (None before its first).
        decisions: how many decisions the agent has made, so a screen can tell a new one.
    """

    turn_based = False
    tick_seconds = 1 / 60
    pixel_aspect = 1.0
    board: Any = None

    def __init__(
        self,
        player: Player,
        agent_labels: list[str],
        person_labels: list[str],
        person_keys: dict[KeyCombo, int],
        person_noop: int | None,
        sides: tuple[str, str],
        points_to_win: int | None,
        seed: int | None,
    ):
        self.player = player
        self.agent_labels = list(agent_labels)
        self.person_labels = list(person_labels)
        self.person_keys = dict(person_keys)
        self.person_noop = person_noop
        self._sides = sides
        self.points_to_win = points_to_win
        self.last_act: Act | None = None
        self.gaze = PlayerGaze(player)
        """where the agent looks: saliency maps of its decisions on pictures (``gaze.work()`` once a frame)"""
        self.decisions = 0
        self.games_started = 0
        self._seed = seed
        self._ended = False  # real-time games: the current one has ended

    # ------------------------------------------------------------------ the interface

    def new_game(self) -> None:
        """Start the next game (the first one on the match's seed)."""
        seed, self._seed = self._seed, None  # later games continue the generator
        self.games_started += 1
        self._begin(seed)

    def restart(self) -> None:
        """Play the current game again from its start, sides kept."""
        self._begin(None)

    def advance(self, person_action: int) -> None:
        """One tick with the action the person holds (real-time), or the person's move (turn-based)."""
        raise NotImplementedError

    def legal(self, person_action: int) -> bool:
        """Whether the person may play ``person_action`` now."""
        return not self.over

    @property
    def person_side(self) -> str:
        """Which side the person plays, in words ("left paddle (orange)")."""
        return self._sides[0]

    @property
    def agent_side(self) -> str:
        """Which side the agent plays, in words."""
        return self._sides[1]

    @property
    def points(self) -> tuple[int, int]:
        """The current game's points: (person, agent)."""
        raise NotImplementedError

    @property
    def over(self) -> bool:
        """The current game has ended."""
        return self._ended

    @property
    def winner(self) -> str | None:
        """PERSON, AGENT or DRAW once the game is over, None while it goes on."""
        if not self.over:
            return None
        person, agent = self.points
        return PERSON if person > agent else AGENT if agent > person else DRAW

    def frame(self) -> np.ndarray:
        """The game's current picture, (H, W, 3) uint8."""
        raise NotImplementedError

    def take_thought(self) -> Thought | None:
        """The agent's newest decision of a board game, once (None when there is no new one)."""
        return None

    def close(self) -> None:
        """Release the game."""

    # ------------------------------------------------------------------ for the games

    def _begin(self, seed: int | None) -> None:
        raise NotImplementedError

    def _decide(self, obs: np.ndarray, mask: np.ndarray | None = None) -> Act:
        act = self.player.act(obs, mask)
        assert 0 <= act.action < len(self.agent_labels), (act.action, self.agent_labels)
        self.gaze.offer(obs, int(act.action))
        self.last_act = act
        self.decisions += 1
        return act


# ---------------------------------------------------------------------- home-made Pong


class PongMatch(Match):
    """Home-made Pong: the env's player (the right paddle) is the agent, its opponent the person."""

    def __init__(self, player: Player, points_to_win: int | None = None, seed: int | None = None):
        from game.arcade.pong import PongEnv

        self.env = PongEnv(
            render_mode="rgb_array",
            opponent=lambda obs, mask: self._person_action,
            max_episode_steps=PONG_TIME_LIMIT_STEPS,
            **({} if points_to_win is None else {"points_to_win": points_to_win}),
        )
        assert self.env.agent_side == "right", "the shipped agents were trained on the right paddle"
        keys = self.env.get_keys_to_action()
        super().__init__(
            player,
            self.env.get_action_meanings(),
            self.env.get_action_meanings(),
            keys,
            keys[()],
            ("left paddle (orange)", "right paddle (green)"),
            self.env.points_to_win,
            seed,
        )
        self._person_action = keys[()]
        self.tick_seconds = 1.0 / float(self.env.metadata["render_fps"])

    def _begin(self, seed: int | None) -> None:
        self.obs, _ = self.env.reset(seed=seed)
        self._ended = False

    def advance(self, person_action: int) -> None:
        if self._ended:
            return
        self._person_action = int(person_action)  # read by the env when it moves the left paddle
        act = self._decide(self.obs)
        self.obs, _, terminated, truncated, _ = self.env.step(act.action)
        self._ended = terminated or truncated

    @property
    def points(self) -> tuple[int, int]:
        return self.env.points["left"], self.env.points["right"]

    def frame(self) -> np.ndarray:
        return self.env.render()

    def close(self) -> None:
        self.env.close()


# ---------------------------------------------------------------------- Atari, two joysticks


class AtariMatch(Match):
    """An Atari game for two: the agent on the first joystick (as it trained), the person on the second.

    The emulator runs at its 60 raw frames a second; the agent decides every ``frame_skip`` frames
    and holds its action in between, as in training.
    """

    def __init__(
        self, spec: GameSpec, player: Player, points_to_win: int | None = None, seed: int | None = None
    ):
        from game.atari.duel import AtariDuel
        from game.atari.env import RAW_FPS

        self.duel = AtariDuel(spec.id, seed=None)
        super().__init__(
            player,
            self.duel.agent_labels,
            self.duel.person_labels,
            self.duel.person_keys,
            self.duel.person_noop,
            ATARI_SIDES.get(spec.id, ("second player", "first player")),
            points_to_win,
            seed,
        )
        self.pixel_aspect = spec.pixel_aspect
        self.tick_seconds = 1.0 / RAW_FPS
        self._agent_action = 0

    def _begin(self, seed: int | None) -> None:
        self.duel.reset(seed=seed)
        self._agent_action = 0
        self._ended = False

    def advance(self, person_action: int) -> None:
        if self._ended:
            return
        if self.duel.agent_due():
            self._agent_action = self._decide(self.duel.agent_observation()).action
        _, _, game_over = self.duel.step(int(person_action), self._agent_action)
        reached = self.points_to_win is not None and max(self.points) >= self.points_to_win
        self._ended = game_over or reached

    @property
    def points(self) -> tuple[int, int]:
        person, agent = self.duel.score
        return int(person), int(agent)

    def frame(self) -> np.ndarray:
        return self.duel.frame()

    def close(self) -> None:
        self.duel.close()


# ---------------------------------------------------------------------- Tic-Tac-Toe


class TicTacToeMatch(Match):
    """Tic-Tac-Toe: the env's player is the person; its opponent policy asks the agent.

    The policy keeps what the agent saw when it was asked (the board with the person's move, before
    its reply), so a screen can show the agent thinking before its mark appears.
    """

    turn_based = True

    def __init__(self, player: Player, seed: int | None = None):
        from game.arcade.tictactoe import TicTacToeEnv

        self.env = TicTacToeEnv(render_mode="rgb_array", opponent=self._agent_move)
        super().__init__(
            player,
            self.env.get_action_meanings(),
            self.env.get_action_meanings(),
            self.env.get_keys_to_action(),
            None,
            ("", ""),
            None,
            seed,
        )
        self.board = self.env
        self._thought: Thought | None = None
        self.person_mark = "X"

    def _agent_move(self, obs: np.ndarray, mask: np.ndarray | None) -> int:
        """The env's opponent policy: ``obs`` is the board from the agent's side (+1 its own marks)."""
        assert mask is not None and obs.shape == (9,), (obs.shape, mask)
        act = self._decide(obs, mask)
        self._thought = Thought(self.env.render(), act, np.asarray(mask, dtype=bool).copy())
        return act.action

    def new_game(self) -> None:
        """The next game, with the sides swapped: the person is X (moving first) in odd games."""
        self.person_mark = "X" if self.games_started % 2 == 0 else "O"
        super().new_game()

    def _begin(self, seed: int | None) -> None:
        self._thought = None
        self.obs, self.info = self.env.reset(seed=seed, options={"agent_player": self.person_mark})

    def advance(self, person_action: int) -> None:
        if not self.legal(person_action):
            return
        self.obs, _, _, _, self.info = self.env.step(int(person_action))

    def legal(self, person_action: int) -> bool:
        return 0 <= person_action < 9 and bool(self.env.action_mask()[person_action])

    @property
    def person_side(self) -> str:
        return "X, moving first" if self.person_mark == "X" else "O, moving second"

    @property
    def agent_side(self) -> str:
        return "O, moving second" if self.person_mark == "X" else "X, moving first"

    @property
    def points(self) -> tuple[int, int]:
        result = {"win": PERSON, "forfeit": PERSON, "loss": AGENT, "illegal": AGENT}.get(
            self.env.result or ""
        )
        return int(result == PERSON), int(result == AGENT)

    @property
    def over(self) -> bool:
        return self.env.result is not None

    def frame(self) -> np.ndarray:
        return self.env.render()

    def take_thought(self) -> Thought | None:
        thought, self._thought = self._thought, None
        return thought

    def close(self) -> None:
        self.env.close()


def make_match(
    spec: GameSpec, player: Player, points_to_win: int | None = None, seed: int | None = None
) -> Match:
    """The match for ``spec`` (one of VERSUS_GAMES) against ``player``; call new_game() to begin.

    Args:
        points_to_win: end real-time games when either side has this many points (None: the
            game's own end). Tic-Tac-Toe has no points and ignores it.
    """
    check_versus(spec)
    if spec.id == "pong":
        return PongMatch(player, points_to_win, seed)
    if spec.id == "tictactoe":
        return TicTacToeMatch(player, seed)
    return AtariMatch(spec, player, points_to_win, seed)
