"""A race: a person and a trained agent play the same one-player game side by side, from the same start.

Each side has its own environment; a race resets both with the same seed, and every race after
the first draws a new shared seed from a generator seeded once, so ``--seed`` replays a series.

## The same start

Both environments are built from the same settings: the spec's ``"show"`` env, the one the
shipped agents were evaluated on. An Atari agent needs its training observation, four stacked
84x84 planes with one decision every four raw frames, while a person plays every raw frame.
Frame skip only shapes ``step()``: the reset (the emulator seeded, the random no-ops drawn from
the env's own generator, FIRE) is the same for any frame skip. So the person's side is the
show env with ``frame_skip=1`` and nothing else changed: the same seed gives the same emulator
state, the same first picture and the same first observation on both sides. ``reset()`` asserts
it on every race.

## The clock

The race advances in ticks of the person's game: one raw frame (1/60 s) on Atari, one step of a
home-made game at its ``render_fps``. Every tick the person's side steps with the held action.
The agent's side shows one display frame per tick: an Atari decision yields four raw frames,
shown one a tick, so both sides run at 60 frames a second; its reward counts (and its episode
ends) with the last frame of the step that earned it, as on screen. Turn-based games (GridWorld:
no NOOP) let the person move at their own pace (:meth:`Race.step_person`) while the agent
moves a few times a second.

## The end

Each side plays until its own episode ends, then waits with its final score. Games whose
episode is one short round (Catch: one fruit) race over several rounds; every round after the
first reseeds both sides' generators alike, so round k starts the same on both sides too. A race
also ends when its time limit runs out, or when :meth:`Race.stop` ends it early (a kiosk visitor's
time is up), with the scores as they stand. The higher score wins; equal scores are a draw.
"""

from __future__ import annotations

import dataclasses
import math
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import gymnasium as gym
import numpy as np

from game.atari.env import AtariEnv
from game.catalog import GameSpec, display_frames, frame_of, key_bindings
from game.errors import UserError
from game.modes.lens import PlayerGaze

if TYPE_CHECKING:  # the players bring torch; the menu asks check_race() about every game without it
    from agents.acting import Act
    from game.modes.players import Player

Outcome = Literal["person", "agent", "draw"]

RACE_SECONDS = 180.0  # a race ends after this long even if neither game does
RACE_ROUNDS = {"catch": 10}  # games whose episode is one short round: episodes per race
TURN_BASED_AGENT_MOVES_PER_S = 4.0  # the agent's pace in turn-based games, slow enough to follow
MAX_TICKS_PER_UPDATE = 4  # catch-up limit after a slow display frame, so neither side races ahead
SCORE_TOLERANCE = 1e-9  # scores closer than this are equal (sums of -0.01 steps round differently)


def check_race(spec: GameSpec) -> None:
    """Refuse a game that cannot be raced (cheap: builds no environment).

    Raises:
        UserError: the game has two players; one sentence that points to versus.
    """
    if spec.players != 1:
        raise UserError(
            f"{spec.title} is a two-player game, so it cannot be raced: "
            f"play it against the agent with 'python main.py versus {spec.id}'."
        )


@dataclass
class Side:
    """One side of a race: its environment, where its game stands, and its score."""

    env: gym.Env
    obs: Any = None
    """what the side's player decides on (the agent's training observation on the agent's side)"""
    info: dict[str, Any] = field(default_factory=dict)
    """the env's info of the last reset or step (``action_mask`` lives here in games that have one)"""
    frame: np.ndarray | None = None
    """the picture on screen, (H, W, 3) uint8"""
    score: float = 0.0
    """the sum of rewards this race, over all its rounds"""
    steps: int = 0
    """environment steps this race"""
    rounds_done: int = 0
    """episodes finished this race"""
    done: bool = False
    """finished: all its rounds played, or out of time"""
    timed_out: bool = False
    """finished because the race's time ran out"""
    last_action: int | None = None
    """the action of the side's last step (None before the first)"""
    next_round: bool = False
    """an episode just ended and another round follows: the next tick starts it"""


class Race:
    """Two sides of one game, a person's and an agent's, started alike and stepped on one clock.

    Args:
        spec: a one-player game (see :func:`check_race`).
        player: the agent; it sees the show env's observations.
        seed: seed of the first race; later races draw theirs from a generator seeded with it
            (None: random).
        time_limit_s: seconds of game time after which a race ends as it stands.
        rounds: episodes per race (None: ``RACE_ROUNDS`` for the game, else one).
    """

    def __init__(
        self,
        spec: GameSpec,
        player: Player,
        seed: int | None = None,
        time_limit_s: float = RACE_SECONDS,
        rounds: int | None = None,
    ):
        check_race(spec)
        self.spec = spec
        self.player = player
        self.agent = Side(spec.make_env("show"))
        self.person = Side(_person_env(spec, self.agent.env))
        for side in (self.agent, self.person):
            assert isinstance(side.env.action_space, gym.spaces.Discrete), side.env.action_space
        assert self.person.env.action_space.n == self.agent.env.action_space.n
        self.n_actions = int(self.person.env.action_space.n)

        bindings = key_bindings(self.person.env)
        self.noop: int | None = bindings.get(())
        game = self.person.env.unwrapped
        self.turn_based = bool(getattr(game, "turn_based", False)) or self.noop is None
        fps = float(self.person.env.metadata.get("render_fps") or 30)
        self.tick_seconds = 1.0 / fps
        self.agent_move_ticks = max(1, round(fps / TURN_BASED_AGENT_MOVES_PER_S)) if self.turn_based else 1
        self.time_limit_ticks = max(1, math.ceil(time_limit_s * fps))
        self.rounds = rounds if rounds is not None else RACE_ROUNDS.get(spec.id, 1)
        assert self.rounds >= 1, self.rounds

        self.tally: dict[str, int] = {"person": 0, "agent": 0, "draw": 0}
        self.games = 0  # races finished
        self.decisions = 0  # agent decisions since the race object was made (the Q-bars follow it)
        self.last_act: Act | None = None
        self.gaze = PlayerGaze(player)
        """where the agent looks: saliency maps of its decisions (``gaze.work()`` once a frame)"""
        self.seed = 0
        self.ticks = 0
        self._seeds = np.random.default_rng(seed)
        self._accumulated = 0.0
        self._pending: deque[np.ndarray] = deque()  # the agent's frames still to show
        self._pending_reward = 0.0
        self._pending_end = False
        self._agent_wait = 0
        self._counted = False
        self.reset(seed)

    # ------------------------------------------------------------------ race flow

    def reset(self, seed: int | None = None) -> int:
        """Start a race on ``seed`` (None: the next one of the series); returns the seed."""
        self.seed = int(self._seeds.integers(2**31 - 1)) if seed is None else int(seed)
        self.ticks = 0
        self._accumulated = 0.0
        self._counted = False
        self.last_act = None
        for side in (self.person, self.agent):
            side.score, side.steps, side.rounds_done = 0.0, 0, 0
            side.done = side.timed_out = side.next_round = False
            side.last_action = None
            self._start_round(side)
        assert _same(self.person.obs, self.agent.obs), "the two sides of a race must start alike"
        assert np.array_equal(self.person.frame, self.agent.frame), "the two sides must show the same start"
        return self.seed

    def _start_round(self, side: Side) -> None:
        if side.rounds_done == 0:
            side.obs, side.info = side.env.reset(seed=self.seed)
        else:  # both sides' generators alike: the same round start, while the game's own tally goes on
            side.env.unwrapped.np_random = np.random.default_rng([self.seed, side.rounds_done])
            side.obs, side.info = side.env.reset()
        side.frame = frame_of(side.env)
        side.next_round = False
        if side is self.agent:
            self._pending.clear()
            self._pending_reward, self._pending_end, self._agent_wait = 0.0, False, 0

    def _episode_over(self, side: Side) -> None:
        side.rounds_done += 1
        if side.rounds_done >= self.rounds:
            side.done = True
        else:
            side.next_round = True  # the last picture of this round stays up for one tick

    def advance(self, dt: float, person_action: int | None = None) -> int:
        """Play the ticks that ``dt`` seconds hold (at most MAX_TICKS_PER_UPDATE); returns how many."""
        self._accumulated += dt
        ticks = 0
        while self._accumulated >= self.tick_seconds and ticks < MAX_TICKS_PER_UPDATE and not self.over:
            self._accumulated -= self.tick_seconds
            self.tick(person_action)
            ticks += 1
        self._accumulated = min(self._accumulated, self.tick_seconds)
        return ticks

    def tick(self, person_action: int | None = None) -> None:
        """One tick of the race clock.

        Args:
            person_action: what the person holds. In real-time games None plays NOOP; in
                turn-based ones the person moves only when given an action.
        """
        if self.over:
            return
        self.ticks += 1
        if not self.person.done:
            if self.person.next_round:
                self._start_round(self.person)
            elif person_action is not None or not self.turn_based:
                self.step_person(self.noop if person_action is None else person_action)
        if not self.agent.done:
            self._tick_agent()
        if self.ticks >= self.time_limit_ticks:
            self._end_as_it_stands()
        self._count_result()

    def stop(self) -> None:
        """End the race now with the scores as they stand, as its time limit would; the result counts
        (nothing happens to a race that is over)."""
        self._end_as_it_stands()
        self._count_result()

    def _end_as_it_stands(self) -> None:
        for side in (self.person, self.agent):
            if not side.done:
                side.done = side.timed_out = True

    def step_person(self, action: int) -> None:
        """One step of the person's game with ``action`` (turn-based games call this on each move)."""
        side = self.person
        if side.done or side.next_round or self.over:
            return
        assert 0 <= int(action) < self.n_actions, action
        side.obs, reward, terminated, truncated, side.info = side.env.step(int(action))
        side.last_action = int(action)
        side.score += float(reward)
        side.steps += 1
        side.frame = frame_of(side.env)
        if terminated or truncated:
            self._episode_over(side)
        self._count_result()

    def _tick_agent(self) -> None:
        side = self.agent
        if side.next_round:
            self._start_round(side)
            return
        if not self._pending:
            if self._agent_wait > 0:
                self._agent_wait -= 1
                return
            mask = side.info.get("action_mask")
            act = self.player.act(side.obs, None if mask is None else np.asarray(mask, dtype=bool))
            self.gaze.offer(side.obs, int(act.action))
            side.obs, reward, terminated, truncated, side.info = side.env.step(int(act.action))
            side.last_action = int(act.action)
            side.steps += 1
            self.last_act = act
            self.decisions += 1
            frames = display_frames(side.env)
            self._pending.extend(frames)
            self._pending_reward = float(reward)
            self._pending_end = bool(terminated or truncated)
            self._agent_wait = max(0, self.agent_move_ticks - len(frames))
        side.frame = self._pending.popleft()
        if not self._pending:  # the step's last picture is up: now its reward and its end count
            side.score += self._pending_reward
            self._pending_reward = 0.0
            if self._pending_end:
                self._pending_end = False
                self._episode_over(side)

    def _count_result(self) -> None:
        if self.over and not self._counted:
            self._counted = True
            self.games += 1
            self.tally[self.winner] += 1

    # ------------------------------------------------------------------ where it stands

    @property
    def over(self) -> bool:
        """Both sides have finished."""
        return self.person.done and self.agent.done

    @property
    def winner(self) -> Outcome | None:
        """ "person", "agent" or "draw" once the race is over; None while it runs."""
        if not self.over:
            return None
        gap = self.person.score - self.agent.score
        if abs(gap) <= SCORE_TOLERANCE:
            return "draw"
        return "person" if gap > 0 else "agent"

    @property
    def seconds(self) -> float:
        """Game time since the race began."""
        return self.ticks * self.tick_seconds

    @property
    def seconds_left(self) -> float:
        """Game time until the time limit ends the race."""
        return max(0.0, (self.time_limit_ticks - self.ticks) * self.tick_seconds)

    def close(self) -> None:
        self.person.env.close()
        self.agent.env.close()


def _person_env(spec: GameSpec, agent_env: gym.Env) -> gym.Env:
    """The person's env: the agent's settings, except that an Atari person plays every raw frame."""
    game = agent_env.unwrapped
    if isinstance(game, AtariEnv) and game.settings.frame_skip > 1:
        settings = dataclasses.replace(game.settings, frame_skip=1)
        return AtariEnv(game.game_id, settings, render_mode="rgb_array")
    return spec.make_env("show")


def _same(a: Any, b: Any) -> bool:
    """Whether two observations are equal (arrays, numbers, or tuples and dicts of them)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return np.array_equal(np.asarray(a), np.asarray(b))
