"""What the UI and the learning worker say to each other: Commands one way, Snapshots the other.

Commands are small frozen dataclasses (UI -> worker); a :class:`Snapshot` carries everything the
arena draws (worker -> UI). :class:`SessionConfig` says what a worker runs and
:class:`RestartPolicy` when the UI restarts one that failed. The worker itself is
``game.modes.session``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from game.modes.insight import (
    BellmanReadout,
    PredictedReturns,
    ReplayView,
    SaliencyView,
    SurpriseView,
    TargetView,
)

# ---------------------------------------------------------------------- commands (UI -> worker)


@dataclass(frozen=True)
class SetSpeed:
    """Real time (the showcase at the game's own rate) or fast-forward (learners shown as they fly)."""

    fast: bool


@dataclass(frozen=True)
class Pause:
    """Pause or resume learning; the showcase game keeps being played."""

    paused: bool


@dataclass(frozen=True)
class StepOnce:
    """While paused: one step of the learning environments (and their due updates)."""


@dataclass(frozen=True)
class TakeOver:
    """A person plays the showcase game from its next step on."""


@dataclass(frozen=True)
class HandBack:
    """The agent plays the showcase game again, in the same episode."""


@dataclass(frozen=True)
class HumanAction:
    """The action the person holds now (kept until the next one)."""

    action: int


@dataclass(frozen=True)
class OverrideEpsilon:
    """Explore with this epsilon instead of the schedule (None: back to the schedule)."""

    epsilon: float | None


@dataclass(frozen=True)
class ShowLearning:
    """Compute the "how it learns" views (Bellman readout, surprise, replay, target network, saliency)
    and send them in the snapshots, or stop (they cost the learner a little time)."""

    on: bool


@dataclass(frozen=True)
class Record:
    """Record the person's play of the showcase into the game's dataset, or stop and save it."""

    on: bool


@dataclass(frozen=True)
class Save:
    """Write a checkpoint now."""


@dataclass(frozen=True)
class Quit:
    """Save and stop."""


Command = (
    SetSpeed
    | Pause
    | StepOnce
    | TakeOver
    | HandBack
    | HumanAction
    | OverrideEpsilon
    | ShowLearning
    | Record
    | Save
    | Quit
)


# ---------------------------------------------------------------------- snapshots (worker -> UI)


@dataclass
class Snapshot:
    """Everything the arena draws, as of one showcase step (or one error)."""

    frames: list[np.ndarray] = field(default_factory=list)
    """display frames since the last snapshot, oldest first (Atari: 4 per agent step)"""
    q_values: np.ndarray | None = None
    action: int = 0
    greedy_action: int = 0
    explored: bool = False
    value: float | None = None
    """V(s) of a dueling network"""
    epsilon: float = 0.0
    epsilon_schedule: tuple[float, float, int] | None = (1.0, 0.05, 1)
    """(start, end, decay steps) of the linear schedule; None: epsilon has none (a watched job's
    evaluation epsilon)"""
    epsilon_override: bool = False
    controller: str = "agent"
    """who plays the showcase: "agent" or "human\""""
    score: float = 0.0
    """return of the showcase episode so far"""
    steps: int = 0
    episodes: int = 0
    updates: int = 0
    recent_returns: list[float] = field(default_factory=list)
    loss: float | None = None
    mean_q: float | None = None
    steps_per_second: float = 0.0
    paused: bool = False
    fast: bool = False
    checkpoint: str | None = None
    labels: list[str] = field(default_factory=list)
    board_q: np.ndarray | None = None
    """Q-values drawn on the board: (n_cells, n_actions) for a grid world, (n_squares,) for a board game"""
    board_mask: np.ndarray | None = None
    """which squares of board_q are legal moves"""
    notices: list[str] = field(default_factory=list)
    """the learner's newest sentences worth telling (a checkpoint it fell back to, a failed write,
    updates rolled back), oldest first"""
    notice_count: int = 0
    """how many notices the learner has made in all: a rise means new ones"""
    readout: BellmanReadout | None = None
    """the "how it learns" views (``game.modes.insight``), each None when it brings nothing new:
    the showcase transition of the latest traced update, term by term"""
    replay: ReplayView | None = None
    """the replay memory and that update's minibatch"""
    target: TargetView | None = None
    """the target network now"""
    surprise: SurpriseView | None = None
    """|TD error| of the showcase's recent steps"""
    predicted: PredictedReturns | None = None
    """a finished showcase episode's predictions against its returns"""
    saliency: SaliencyView | None = None
    """where the network looks on the showcase's current picture"""
    recording: bool = False
    """the person's play of the showcase is being recorded (``Record``)"""
    recorded_episodes: int = 0
    """episodes recorded since recording began"""
    recorded_steps: int = 0
    """steps recorded since recording began"""
    weights_saved_at: float | None = None
    """unix time the weights played were written, when they are a watched job's (``SessionConfig.watch``)"""
    error: str | None = None
    traceback: str | None = None
    retry: bool = True
    """False: a restart would fail the same way (settings the machine cannot hold, no loadable checkpoint)"""


@dataclass(frozen=True)
class SessionConfig:
    """What the worker runs."""

    game_id: str
    run_dir: str
    resume: bool = False
    """continue from run_dir's latest checkpoint"""
    train_overrides: dict[str, Any] = field(default_factory=dict)
    """settings over the game's preset, as ``main.py train --set`` takes them"""
    threads: int = 1
    """torch threads: one, beside the UI on two cores"""
    checkpoint: str | None = None
    """start from these weights (and their step count) instead of a new network"""
    metrics_max_bytes: int | None = None
    """the most bytes each metrics CSV of the run may hold, its newest rows kept (None: no cap)"""
    data_dir: str | None = None
    """where recorded play goes: a Minari dataset root (``game.modes.datasets``); None: the data
    folder's datasets/ (``game.places``)"""
    imports: tuple[str, ...] = ()
    """``main.py --import`` entries (MODULE[:FUNCTION]) the worker applies before it looks up the game;
    empty: the ones the starting process applied (``game.gym_games.applied_imports``)"""
    watch: bool = False
    """only play run_dir's newest weights, reloaded as the job writes them, never learning
    (``main.py arena --attach``; ``game.modes.attach_worker``)"""


@dataclass(frozen=True)
class RestartPolicy:
    """When the UI restarts a worker that crashed, or that stopped answering."""

    max_restarts: int | None = 3
    """failures in a row before the UI stops trying and asks the person (None: it never gives up)"""
    delay_s: float = 2.0
    """seconds a failure stays on screen before the first restart"""
    backoff: float = 1.0
    """each further failure in a row multiplies the delay by this"""
    max_delay_s: float = 60.0
    """the delay never grows past this"""
    hang_s: float | None = None
    """a live worker silent this many wall-clock seconds counts as hung and is restarted (None: never)"""

    def delay(self, failures: int) -> float:
        """Seconds to wait before restarting after ``failures`` failures in a row."""
        return min(self.max_delay_s, self.delay_s * self.backoff ** max(0, failures - 1))

    def gives_up(self, failures: int) -> bool:
        return self.max_restarts is not None and failures >= self.max_restarts
