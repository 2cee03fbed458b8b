"""``main.py record``: a trained agent plays its game at the game's real rate, for a video to share.

The model of a recording, without pygame. The agent is found and loaded as ``main.py evaluate`` finds
and loads it (a run directory's latest checkpoint or a checkpoint file, shipped agents included:
:mod:`game.modes.evaluation`), plays the game's ``show`` environment with the run's ``eval_epsilon``
(or ``--epsilon``), and every display frame the game makes is kept: Atari's all 60 raw frames a
second while the agent decides every 4th, as in the arena's showcase. Game n is seeded ``seed + n``
and cut at the run's ``eval_max_steps``, as evaluate plays it.

Each agent step comes out as a :class:`~game.modes.protocol.Snapshot`, the arena's own message, so
that :mod:`game.ui.video` feeds the Q-bars and the epsilon gauge as the arena does, off-screen.

The video's rate is the game's display rate (``render_fps``: 60 for Atari and Pong, 30 for Runner, 10
for Catch and Snake), each display frame repeated until the rate reaches ``MIN_VIDEO_FPS`` (Catch and
Snake: 30 fps, each frame three times): a second of video is a second of play.
"""

from __future__ import annotations

import math
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from game.catalog import display_frames
from game.errors import UserError
from game.modes.evaluation import check_play_options, load_agent, locate
from game.modes.protocol import Snapshot
from game.places import made, recordings_dir

if TYPE_CHECKING:
    import gymnasium as gym

    from agents.dqn import DQNAgent
    from game.catalog import GameSpec

DEFAULT_SECONDS = 20.0  # length of a video when --seconds is not given
MIN_VIDEO_FPS = 24  # slower games repeat each frame up to a film's rate, which every player plays smoothly
SUFFIX = ".mp4"  # the one container written (H.264 in MP4 plays on every phone and site)
NAME_FORMAT = "%Y%m%d-%H%M%S"  # default file names: the game, then when the video was made


@dataclass(frozen=True)
class VideoRequest:
    """The record command's arguments, as parsed."""

    target: str
    """a run directory of ``main.py train``, or a checkpoint file (a shipped agent's too)"""
    seconds: float = DEFAULT_SECONDS
    """length of the video, in seconds of play"""
    out: str | None = None
    """the MP4 to write (None: named after the game and the time, in the data folder's recordings/)"""
    epsilon: float | None = None
    """exploration while playing (None: the run's own ``eval_epsilon``, as evaluate)"""
    seed: int = 0
    """game n is seeded ``seed + n``; exploration is seeded ``seed``"""


@dataclass(frozen=True)
class VideoRate:
    """How display frames become video frames."""

    fps: int
    """video frames per second"""
    repeat: int
    """video frames per display frame"""


@dataclass(frozen=True)
class Recording:
    """What a finished recording holds."""

    path: Path
    frames: int
    """video frames written"""
    fps: int
    size_bytes: int
    returns: list[float]
    """the scores of the games finished on film, in order"""
    unfinished: float | None
    """the score of the game still under way when the video ends (None: none was)"""

    @property
    def seconds(self) -> float:
        """The video's length."""
        return self.frames / self.fps


def video_rate(display_fps: float) -> VideoRate:
    """The video rate for a game that shows ``display_fps`` frames a second: that rate, or a whole
    multiple of it up to ``MIN_VIDEO_FPS``, so that every display frame stands equally long."""
    assert display_fps > 0, f"a game shows frames, not {display_fps} a second"
    base = max(1, round(display_fps))
    repeat = max(1, math.ceil(MIN_VIDEO_FPS / base))
    return VideoRate(base * repeat, repeat)


def check_request(request: VideoRequest) -> Path | None:
    """The --out path after checking every option before any game is played (None: the default name).

    Raises:
        UserError: --seconds not above 0, a bad --epsilon or --seed, or an --out that is not an .mp4
            or whose folder is missing or cannot be written (one sentence each).
    """
    if not (math.isfinite(request.seconds) and request.seconds > 0):
        raise UserError(f"--seconds must be more than 0, not {request.seconds:g}.")
    check_play_options(request.epsilon, request.seed)
    if request.out is None:
        return None
    out = Path(request.out)
    if out.suffix.lower() != SUFFIX:
        raise UserError(f"--out must name an {SUFFIX} file, not {out.name!r}; e.g. --out pong.mp4.")
    if out.is_dir():
        raise UserError(f"{out} is a folder; give --out a file name such as {out / 'video.mp4'}.")
    check_folder(out.parent, out.name)
    return out


def check_folder(folder: Path, name: str) -> None:
    """Raise a UserError unless ``folder`` is a folder this process may write ``name`` into."""
    if not folder.is_dir():
        raise UserError(f"There is no folder {folder} to write {name} into; make it first.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"The folder {folder} cannot be written; choose another --out.")


def default_path(game_id: str, now: float | None = None) -> Path:
    """``GAME-DATE-TIME.mp4`` in the data folder's ``recordings/`` (made if need be): ALE/Pong-v5 ->
    ``pong-v5-20250101-120000.mp4``. Raises UserError when that folder cannot be made or written."""
    slug = re.sub(r"[^a-z0-9]+", "-", game_id.lower().removeprefix("ale/")).strip("-") or "game"
    return made(recordings_dir()) / f"{slug}-{time.strftime(NAME_FORMAT, time.localtime(now))}{SUFFIX}"


class AgentShow:
    """A trained agent playing its game's show environment at a fixed epsilon, one agent step at a time.

    Args:
        agent: acts on the environment's observations (greedy; exploration is drawn here).
        spec: the game, reading observations as the run did.
        epsilon: chance of a random action at each agent step.
        seed: game n is seeded ``seed + n``; exploration draws from its own generator seeded ``seed``.
        max_steps: agent steps after which a game is cut and the next begins (the run's eval_max_steps).
        trained_steps: agent steps the checkpoint had trained (shown, not used).
    """

    def __init__(
        self,
        agent: DQNAgent,
        spec: GameSpec,
        epsilon: float,
        seed: int,
        max_steps: int,
        trained_steps: int = 0,
    ):
        from game.catalog import action_labels  # the catalog loads with the checkpoint, not on import

        assert 0.0 <= epsilon <= 1.0 and max_steps >= 1, (epsilon, max_steps)
        self.agent = agent
        self.spec = spec
        self.epsilon = epsilon
        self.seed = seed
        self.max_steps = max_steps
        self.trained_steps = trained_steps
        self.env: gym.Env = spec.make_env("show")
        self.labels = action_labels(self.env)
        self.n_actions = int(self.env.action_space.n)
        self.rate = video_rate(float(self.env.metadata.get("render_fps") or MIN_VIDEO_FPS))
        self.rng = np.random.default_rng(seed)
        self.returns: list[float] = []
        """scores of the finished games"""
        self.score = 0.0
        """score of the game under way"""
        self.game_steps = 0
        """agent steps of the game under way"""
        self.steps = 0
        self._new_game()

    def _new_game(self) -> None:
        self.obs, _ = self.env.reset(seed=self.seed + len(self.returns))
        self.score, self.game_steps = 0.0, 0
        self.pending_frames = display_frames(self.env)  # the start of the game, shown before its first step

    def step(self) -> Snapshot:
        """One agent step: its display frames (those of a new game's start first) and why it acted."""
        act = self.agent.act(self.obs, 0.0)
        explored = bool(self.rng.random() < self.epsilon)
        action = int(self.rng.integers(self.n_actions)) if explored else int(act.greedy_action)
        self.obs, reward, terminated, truncated, _ = self.env.step(action)
        self.score += float(reward)
        self.game_steps += 1
        self.steps += 1
        snapshot = Snapshot(
            frames=self.pending_frames + display_frames(self.env),
            q_values=np.asarray(act.q_values, dtype=np.float32),
            action=action,
            greedy_action=int(act.greedy_action),
            explored=explored,
            value=None if act.value is None else float(np.asarray(act.value).reshape(-1)[0]),
            epsilon=self.epsilon,
            score=self.score,
            steps=self.steps,
            episodes=len(self.returns),
            recent_returns=list(self.returns),
            labels=self.labels,
        )
        self.pending_frames = []
        if terminated or truncated or self.game_steps >= self.max_steps:
            self.returns.append(self.score)
            self._new_game()
        return snapshot

    @property
    def unfinished(self) -> float | None:
        """The score of the game under way, or None when the next one has not begun yet."""
        return self.score if self.game_steps else None

    def close(self) -> None:
        self.env.close()


def open_show(request: VideoRequest) -> AgentShow:
    """The request's agent, loaded as evaluate loads it, ready to play.

    Raises:
        UserError: no run or checkpoint there, or a damaged or foreign checkpoint (one sentence each).
    """
    checkpoint, _ = locate(request.target)
    agent, metadata, spec, config = load_agent(checkpoint)
    epsilon = config.eval_epsilon if request.epsilon is None else request.epsilon
    trained = int(metadata.get("steps", 0))
    return AgentShow(agent, spec, epsilon, request.seed, config.eval_max_steps, trained)


def describe(recording: Recording) -> str:
    """The line the command prints: the file, its length, frames and size, and the games on film."""
    scores = [f"{r:g}" for r in recording.returns]
    if recording.unfinished is not None:
        scores.append(f"{recording.unfinished:g} (under way at the end)")
    games = len(scores)
    return (
        f"Recorded {recording.path}: {recording.seconds:.1f} s, {recording.frames:,} frames at "
        f"{recording.fps} fps, {recording.size_bytes / 1e6:.1f} MB; {games} game{'' if games == 1 else 's'}, "
        f"scores {', '.join(scores) or '-'}"
    )
