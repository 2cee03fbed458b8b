"""Atari Pong and Boxing for two: a person against an agent trained on the one-player game.

The emulator is PettingZoo's two-player Atari (``ParallelAtariEnv``, the environment behind
``pettingzoo.atari.pong_v3`` and ``boxing_v2``), loaded from the ROMs that ale-py ships: nothing
is ever downloaded. The agent gets the first joystick and the observations `AtariEnv` makes (those
of the vector env it trains in match them to within rounding): every fourth raw frame, the
max-pool of the last two, 84x84 greyscale by area averaging, four stacked oldest first. The person
gets the second joystick and the full-colour screen at 60 frames a second.

## Which side is the agent's (checked by stepping the emulator and reading pixels)

- Pong: PettingZoo's ``first_0`` moves the right, green paddle (columns 140-143), the one
  ALE/Pong-v5 gives the player; ``second_0`` moves the left, orange one (columns 16-19). For both
  paddles RIGHT moves up the screen and LEFT down, as in the one-player game.
- Boxing: ``first_0`` is the white boxer (ALE/Boxing-v5's player, starting top left),
  ``second_0`` the black one. UP, DOWN, LEFT and RIGHT move both boxers that way on the screen.

So the agent plays ``first_0`` and its observation needs no transform (no mirror). A two-player
screen matches the one-player screen pixel for pixel (layout, palette, score digits, Boxing's
clock) except where the opponent is; only the very first frame of a one-player game differs
more (Pong's palette, Boxing's clock), and no observation is made of it after a no-op start.
Both emulators turn the palette into the same greyscale, and the planes are made by
`game.atari.env`'s own functions.

## Game variant

PettingZoo's ``pong_v3`` plays game mode 4, in which the ball speeds up during a rally. The agent
trained on ALE/Pong-v5, mode 0, where the ball always crosses at one pixel a frame; two-player
mode 3 is that game (measured: horizontal ball speed 1 px/frame in modes 0 and 3, up to 3 in
modes 1 and 4). ``pong_v3`` cannot choose a mode, so the environment is built directly with
``mode_num=3``. Boxing has one two-player mode.

## Serves (Pong)

In two-player Pong the last player to score serves with FIRE; the game ignores FIRE for about a
second after a point, and a player who has not served two seconds after it loses a point of
reward (not of score). The one-player game the agent knows serves by itself instead, 63 raw
frames after each point. Here both sides serve automatically: once no ball has been in play
for `SERVE_AFTER_FRAMES` raw frames, FIRE is added to both actions (it does nothing for the side
that is not serving). Measured: the ball comes back 63 frames after every point, as in the
one-player game, and as early as a person holding FIRE could serve it; nobody is penalised for a
late serve. While the ball is in play FIRE passes through untouched for both: pressed at a hit it
changes the return (Video Olympics' "whammy"), in the one-player game too.

## Score

``score`` is the game's own score from RAM, as the screen shows it: Pong's left and right
digits (a game ends at 21), Boxing's black and white points (100 for a knock-out, which ends
the game; otherwise the two-minute clock does).
"""

from __future__ import annotations

import dataclasses
import functools
from collections import deque
from pathlib import Path

import ale_py
import numpy as np

from game.atari.env import KEY_OVERRIDES, AtariSettings, area_weights, keys_to_action, pool_and_shrink

ROM_DIR = Path(ale_py.__file__).parent / "roms"  # the ROMs ale-py ships
SERVE_AFTER_FRAMES = 60  # raw frames without a ball in play before both sides press FIRE
PONG_PLAYFIELD_ROWS = slice(34, 194)  # between the walls; the score digits are above
PONG_BALL_RED = 236  # red channel of the white ball, unique on Pong's playfield
KNOCK_OUT = 0xC0  # Boxing's RAM score byte after a knock-out (worth 100)


@dataclasses.dataclass(frozen=True)
class DuelGame:
    """How a one-player ALE game is played by two on PettingZoo's two-player Atari."""

    rom: str
    """ale-py's ROM name, also PettingZoo's ``game``"""
    env_name: str
    """the PettingZoo environment that plays this game"""
    mode: int | None
    """two-player game mode; None takes PettingZoo's default"""
    score_ram: tuple[int, int]
    """RAM indices of the (person, agent) scores"""
    decimal_score: bool
    """the score bytes are binary-coded decimal"""
    serves: bool
    """Pong's serves: FIRE is pressed for both sides when a serve is due (see the module docstring)"""


DUEL_GAMES: dict[str, DuelGame] = {
    "ALE/Pong-v5": DuelGame("pong", "pong_v3", 3, score_ram=(13, 14), decimal_score=False, serves=True),
    "ALE/Boxing-v5": DuelGame(
        "boxing", "boxing_v2", None, score_ram=(19, 18), decimal_score=True, serves=False
    ),
}
"""One-player game id -> its two-player setup."""

AGENT, PERSON = "first_0", "second_0"  # PettingZoo agents: the agent has the one-player game's side


def supports_duel(game_id: str) -> bool:
    """Whether a person can play `game_id` ("ALE/Pong-v5") against an agent here."""
    return game_id in DUEL_GAMES


class AtariDuel:
    """A two-player Atari game stepped one raw frame at a time: the person's and the agent's actions.

    Attributes:
        agent_labels: ALE's name for each agent action, in the one-player `AtariEnv`'s order.
        person_labels: ALE's name for each person action.
        person_keys: sorted pygame key names -> person action, like `AtariEnv.get_keys_to_action()`.
        person_noop: the person's NOOP action.
        frame_skip: raw frames per agent decision (4, as in training).
    """

    def __init__(self, game_id: str, seed: int | None = None) -> None:
        """Open `game_id` ("ALE/Pong-v5" or "ALE/Boxing-v5") for two and start a game.

        Raises:
            ValueError: the game has no two-player version here.
        """
        if game_id not in DUEL_GAMES:
            raise ValueError(
                f"{game_id!r} cannot be played against an agent; choose one of {', '.join(DUEL_GAMES)}."
            )
        self.game_id = game_id
        self.game = DUEL_GAMES[game_id]
        self.settings = AtariSettings()  # the preprocessing the agents train with
        self.frame_skip = self.settings.frame_skip
        # Imported here: PettingZoo's Atari module loads pygame, which only the UI process may hold.
        from pettingzoo.atari.base_atari_env import ParallelAtariEnv

        self._env = ParallelAtariEnv(
            game=self.game.rom,
            num_players=2,
            mode_num=self.game.mode,
            seed=seed,
            env_name=self.game.env_name,
            max_cycles=self.settings.max_episode_frames,
            auto_rom_install_path=str(ROM_DIR),
        )
        two_player = [ale_py.Action(int(a)) for a in self._env.action_mapping]
        one_player = _one_player_actions(self.game.rom)
        missing = sorted(a.name for a in set(one_player) - set(two_player))
        assert not missing, f"the two-player {game_id} lacks the agent's actions {missing}"
        self._agent_to_pz = np.array([two_player.index(a) for a in one_player])  # agent action -> PZ index
        self.agent_labels = [a.name for a in one_player]
        self.person_labels = [a.name for a in two_player]
        self.person_keys = keys_to_action(self.person_labels, KEY_OVERRIDES.get(self.game.rom, {}))
        self.person_noop = self.person_labels.index("NOOP")
        self._with_fire = _with_fire(two_player)

        side = self.settings.screen_size
        width, height = self._env.ale.getScreenDims()  # this emulator names width first
        self._row_weights = area_weights(side, height)  # (side, height)
        self._col_weights_t = np.ascontiguousarray(area_weights(side, width).T)  # (width, side)
        self._stack = np.zeros((self.settings.frame_stack, side, side), np.uint8)
        self._greys: deque[np.ndarray] = deque(maxlen=2)  # greyscale screens of the newest frames
        self._frame = np.zeros((height, width, 3), np.uint8)
        self._frame_in_step = 0  # raw frames of the current agent step played so far
        self._agent_pz_action = 0  # the agent's action, held for the whole agent step
        self._frames_without_ball = 0
        self._over = False
        self._start(self._env.reset())

    def reset(self, seed: int | None = None) -> None:
        """Start a new game; a seed reloads the emulator with it (deterministic from there)."""
        self._start(self._env.reset(seed=seed))

    def agent_due(self) -> bool:
        """Whether the agent chooses its action on the next step (every `frame_skip` raw frames)."""
        return self._frame_in_step == 0 and not self._over

    def agent_observation(self) -> np.ndarray:
        """(4, 84, 84) uint8, oldest plane first: what `AtariEnv` gives the agent in training."""
        return self._stack.copy()

    def step(self, person_action: int, agent_action: int) -> tuple[float, float, bool]:
        """Play one raw frame (1/60 s).

        Args:
            person_action: an index into `person_labels`.
            agent_action: an index into `agent_labels`; read only when `agent_due()` and held for
                the `frame_skip` raw frames of the agent's step, as in training.

        Returns:
            The person's reward, the agent's reward, and whether the game is over.

        Raises:
            RuntimeError: the game is over; `reset()` starts another.
        """
        if self._over:
            raise RuntimeError("This game is over; call reset() to play another.")
        if not 0 <= person_action < len(self.person_labels):
            raise ValueError(
                f"{person_action!r} is not a person action (0 to {len(self.person_labels) - 1})."
            )
        if self._frame_in_step == 0:
            if not 0 <= agent_action < len(self.agent_labels):
                raise ValueError(
                    f"{agent_action!r} is not an agent action (0 to {len(self.agent_labels) - 1})."
                )
            self._agent_pz_action = int(self._agent_to_pz[agent_action])
        person, agent = int(person_action), self._agent_pz_action
        if self.game.serves and self._frames_without_ball >= SERVE_AFTER_FRAMES:
            person, agent = self._with_fire[person], self._with_fire[agent]

        observations, rewards, terminations, truncations, _ = self._env.step({AGENT: agent, PERSON: person})
        self._frame = observations[AGENT]
        self._over = all(terminations[a] or truncations[a] for a in (AGENT, PERSON))
        if self.game.serves:
            ball = (self._frame[PONG_PLAYFIELD_ROWS, :, 0] == PONG_BALL_RED).any()
            self._frames_without_ball = 0 if ball else self._frames_without_ball + 1
        self._observe_frame()
        return float(rewards[PERSON]), float(rewards[AGENT]), self._over

    @property
    def score(self) -> tuple[int, int]:
        """The game's running score as the screen shows it: (person, agent)."""
        ram = self._env.ale.getRAM()
        person, agent = (_score_value(int(ram[i]), self.game.decimal_score) for i in self.game.score_ram)
        return person, agent

    def frame(self) -> np.ndarray:
        """The current raw frame, (210, 160, 3) uint8 RGB; a new array after every step."""
        return self._frame

    def close(self) -> None:
        self._env.close()

    # -- internals -----------------------------------------------------------------------------

    def _start(self, reset_result: tuple[dict, dict]) -> None:
        observations, _ = reset_result
        self._frame = observations[AGENT]
        assert self._frame.shape == (210, 160, 3) and self._frame.dtype == np.uint8, self._frame.shape
        self._frame_in_step = 0
        self._frames_without_ball = 0
        self._over = False
        self._greys.clear()
        self._greys.append(self._grey())
        self._stack[:] = pool_and_shrink(self._greys, self._row_weights, self._col_weights_t)

    def _observe_frame(self) -> None:
        """Keep the screens the agent's next plane pools, as `AtariEnv._play` does for a step.

        The last two raw frames of each agent step are max-pooled into a new newest plane; a game
        that ends within a step ends the step early, with the frame before pooled only if kept.
        """
        k, last = self._frame_in_step, self.frame_skip - 1
        if self._over or k >= last - 1:
            previous_kept = k == 0 or k - 1 >= last - 1
            if not previous_kept:
                self._greys.clear()
            self._greys.append(self._grey())
        if self._over or k == last:
            self._stack[:-1] = self._stack[1:]
            self._stack[-1] = pool_and_shrink(self._greys, self._row_weights, self._col_weights_t)
            self._frame_in_step = 0
        else:
            self._frame_in_step = k + 1

    def _grey(self) -> np.ndarray:
        """The current screen in ALE's greyscale, (210, 160) uint8."""
        return self._env.ale.getScreenGrayscale()[:, :, 0]


@functools.cache  # loading a ROM takes a twentieth of a second
def _one_player_actions(rom: str) -> tuple[ale_py.Action, ...]:
    """The one-player game's minimal action set, in the order `AtariEnv` numbers it."""
    ale = ale_py.ALEInterface()
    ale.setLoggerMode(ale_py.LoggerMode.Error)  # as ale-py's own environments do
    ale.loadROM(str(ROM_DIR / f"{rom}.bin"))
    return tuple(ale.getMinimalActionSet())


def _score_value(byte: int, decimal: bool) -> int:
    """A score from its RAM byte: plain, or binary-coded decimal with Boxing's knock-out mark."""
    if not decimal:
        return byte
    if byte == KNOCK_OUT:
        return 100
    return (byte >> 4) * 10 + (byte & 0x0F)


def _with_fire(actions: list[ale_py.Action]) -> list[int]:
    """For each action index, the index of the same move with FIRE pressed (itself if none)."""
    index = {a.name: i for i, a in enumerate(actions)}
    moves = (a.name.replace("FIRE", "").replace("NOOP", "") for a in actions)
    return [index.get(move + "FIRE", i) for i, move in enumerate(moves)]
