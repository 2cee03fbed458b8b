"""The worker's side of the "how it learns" layer: it watches the showcase game and the updates, and
builds the views of ``game.modes.insight`` from the values learning itself computed.

- Bellman readout and replay: every ``READOUT_PERIOD_S`` the newest showcase transition that can be
  sampled is put into the next update's batch (``DQNAgent.trace_next_update``); that update's own
  tensors, kept in ``DQNAgent.last_trace``, become the readout and the minibatch view.
- Surprise: for every showcase step, delta = sum_j gamma^j r_{t+j} + gamma^n Q_target(s_{t+n}, a')
  - Q(s_t, a_t) under the networks of the moment, as the update computes its target (a' picked by
  the online network for Double DQN); the target network's values come from one batched forward
  pass per ``TARGET_BATCH`` showcase steps.
- Target network, predicted against received, and saliency (a perturbation map computed a chunk at a
  time in the gaps between learning steps, within ``SALIENCY_BUDGET`` of the worker's time).

Nothing here runs while the layer is off: the session holds no Lens then.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from itertools import islice

import numpy as np

from game.modes.insight import (
    BellmanReadout,
    PredictedReturns,
    ReplayView,
    SaliencyView,
    SurpriseMoment,
    SurpriseView,
    TargetView,
)

READOUT_PERIOD_S = 1.5  # a new Bellman readout at a readable pace
SURPRISE_WINDOW_S = 60.0  # the surprise timeline's width, and how long a moment is kept
SURPRISE_EVERY_S = 0.25  # how often the timeline is sent
MOMENTS = 4  # most surprising moments shown
MOMENT_GAP_S = 1.5  # two moments shown are at least this far apart
PICTURE_PX = 64  # longest side of a surprise moment's picture
BATCH_PICTURE_PX = 42  # longest side of a minibatch row's picture
READOUT_PICTURE_PX = 84  # longest side of the readout's before/after pictures
MAX_EPISODE_STEPS = 20_000  # predicted-against-received keeps at most this many steps of an episode
SALIENCY_BUDGET = 0.015  # share of the worker's time saliency maps may take
SALIENCY_MIN_PERIOD_S = 2.0  # a new map at most this often
SALIENCY_CHUNK = 16  # perturbed pictures per piece of work between learning steps
TARGET_BATCH = 8  # showcase states valued by the target network in one forward pass (0.3 ms each, not 0.53)


@dataclass
class _Step:
    """A showcase step waiting for the n-step window that gives its delta."""

    time: float
    q_taken: float
    reward: float
    picture: np.ndarray


def is_image(obs_shape: tuple[int, ...]) -> bool:
    """(channels, height, width) observations with a picture's sides: the games saliency is for."""
    return len(obs_shape) == 3 and min(obs_shape[1:]) >= 8


def picture_of(obs: np.ndarray, max_px: int) -> np.ndarray | None:
    """A small picture of an image observation: the newest frame of a uint8 stack (grey), or the
    channels of a float image as colours; None for vector observations."""
    obs = np.asarray(obs)
    if not is_image(obs.shape):
        return None
    if obs.dtype == np.uint8:
        frame = obs[-1]
    else:
        planes = np.clip(obs[:3], 0.0, 1.0) * 255
        frame = np.moveaxis(np.concatenate([planes, np.zeros((3 - len(planes), *obs.shape[1:]))]), 0, -1)
        frame = frame.astype(np.uint8)
    step = max(1, int(np.ceil(max(frame.shape[:2]) / max_px)))
    return np.ascontiguousarray(frame[::step, ::step])


def grey_pictures(obs: np.ndarray, max_px: int) -> np.ndarray | None:
    """(B, h, w) uint8 small grey pictures of a batch of image observations; None for vectors."""
    if not is_image(obs.shape[1:]):
        return None
    frames = obs[:, -1] if obs.dtype == np.uint8 else (np.clip(obs.max(axis=1), 0, 1) * 255).astype(np.uint8)
    step = max(1, int(np.ceil(max(frames.shape[1:]) / max_px)))
    return np.ascontiguousarray(frames[:, ::step, ::step])


def _numbers(obs: np.ndarray) -> list[float] | None:
    obs = np.asarray(obs)
    return None if is_image(obs.shape) else [float(x) for x in obs.reshape(-1)]


def readout_of(trace, n_step: int) -> BellmanReadout:
    """The traced row of an update (its showcase transition) as a readout, with the update's values."""
    row = trace.traced_row or 0
    k = int(trace.steps[row])
    discount = float(trace.discount[row])
    if discount == 0.0:
        ended = "terminated"
    elif trace.truncated[row]:
        ended = "truncated"
    else:
        ended = "cut" if k < n_step else ""
    return BellmanReadout(
        update=trace.update,
        action=int(trace.action[row]),
        rewards=[float(r) for r in trace.rewards[row, :k]],
        discounts=[float(trace.gamma**j) for j in range(k)],
        bootstrap_discount=discount,
        ended=ended,
        next_action=int(trace.next_action[row]),
        next_q_target=float(trace.next_q_target[row]),
        double_dqn=trace.double_dqn,
        target=float(trace.target[row]),
        q_before=float(trace.q_taken[row]),
        q_after=trace.q_after,
        td_error=float(trace.td_error[row]),
        huber_delta=trace.huber_delta,
        weight=float(trace.weight[row]),
        demo=bool(trace.demo[row]),
        before=picture_of(trace.obs[row], READOUT_PICTURE_PX),
        after=picture_of(trace.next_obs[row], READOUT_PICTURE_PX),
        state_before=_numbers(trace.obs[row]),
        state_after=_numbers(trace.next_obs[row]),
    )


class Lens:
    """Builds the layer's views for a session: call the hooks as the showcase and learning go on,
    then ``fill`` each snapshot.

    Args:
        agent: the learning DQNAgent (its networks, replay memory and config).
        obs_shape: the shape of one observation.
        clock: seconds, monotonic (a test may pass its own).
    """

    def __init__(self, agent, obs_shape: tuple[int, ...], clock=time.monotonic) -> None:
        self.agent = agent
        self.config = agent.config
        self.image = is_image(tuple(obs_shape))
        self.clock = clock
        self.started = clock()
        self.next_readout = self.started
        self.recent_indices: deque[int] = deque(maxlen=self.config.n_step + 8)  # the showcase's replay slots
        self.pending: deque[_Step] = deque()  # steps whose n-step window is not complete yet
        self.timeline: deque[tuple[float, float, float, float, np.ndarray]] = deque()
        """(time, |delta|, delta, reward, picture) of the window's steps"""
        self.last_surprise_sent = -np.inf
        self.surprise_changed = False
        self.episode_predicted: list[float] = []
        self.episode_rewards: list[float] = []
        self.episodes = 0
        self.q_online_now: np.ndarray | None = None
        self.q_target_now: np.ndarray | None = None
        self.unvalued: list[tuple[np.ndarray, np.ndarray, bool]] = []
        """(obs, online Q-values, closes a window) of showcase states the target network has not valued yet"""
        self.readout: BellmanReadout | None = None
        self.replay: ReplayView | None = None
        self.predicted: PredictedReturns | None = None
        self.saliency: SaliencyView | None = None
        self.traced_update = agent.last_trace.update if agent.last_trace is not None else -1
        self.looking = None
        if self.image:  # torch's side: only for games with a picture
            from agents.saliency import SaliencyScheduler

            self.looking = SaliencyScheduler(
                agent.q_values, SALIENCY_BUDGET, SALIENCY_MIN_PERIOD_S, SALIENCY_CHUNK, clock
            )

    # ------------------------------------------------------------------ the showcase's hooks

    def before_step(self, obs: np.ndarray, q_online: np.ndarray) -> None:
        """The showcase is about to act on ``obs``, whose online Q-values are ``q_online``: the target
        network's values there close the window that bootstraps from it (a few states at a time)."""
        closes = len(self.pending) - sum(c for *_, c in self.unvalued) >= self.config.n_step
        self.unvalued.append((np.array(obs), np.asarray(q_online, dtype=np.float32), closes))
        if len(self.unvalued) >= TARGET_BATCH:
            self._value_states()

    def _value_states(self) -> None:
        """The target network values the waiting states in one pass; their windows close in order."""
        if not self.unvalued:
            return
        q_targets = self.agent.q_values(np.stack([o for o, *_ in self.unvalued]), target=True).cpu().numpy()
        for (_, q_online, closes), q_target in zip(self.unvalued, q_targets, strict=True):
            if closes:
                self._close_windows(self._bootstrap_value(q_online, q_target), count=1)
        self.q_online_now, self.q_target_now = self.unvalued[-1][1], q_targets[-1]
        self.unvalued.clear()

    def after_step(
        self,
        obs: np.ndarray,
        action: int,
        q_taken: float,
        reward: float,
        next_obs: np.ndarray,
        terminated: bool,
        truncated: bool,
        index: int,
        frame: np.ndarray,
    ) -> None:
        """The showcase took ``action`` in ``obs`` (its Q-value ``q_taken``) and got ``reward`` as learned
        from; ``index`` is the transition's replay index and ``frame`` the picture shown after it."""
        now = self.clock()
        self.recent_indices.append(int(index))
        step = max(1, int(np.ceil(max(frame.shape[:2]) / PICTURE_PX)))
        self.pending.append(
            _Step(now, float(q_taken), float(reward), np.ascontiguousarray(frame[::step, ::step]))
        )
        if len(self.episode_predicted) < MAX_EPISODE_STEPS:
            self.episode_predicted.append(float(q_taken))
            self.episode_rewards.append(float(reward))
        if terminated or truncated:
            self._value_states()
        if terminated:
            self._close_windows(0.0, count=len(self.pending), terminal=True)
        elif truncated:
            q_online = self.agent.q_values(np.asarray(next_obs)[None]).cpu().numpy()[0]
            q_target = self.agent.q_values(np.asarray(next_obs)[None], target=True).cpu().numpy()[0]
            self._close_windows(self._bootstrap_value(q_online, q_target), count=len(self.pending))
        if terminated or truncated:
            self._end_episode(truncated=not terminated)
        if self.looking is not None:
            self.looking.offer(obs, action)

    def _bootstrap_value(self, q_online: np.ndarray, q_target: np.ndarray) -> float:
        """Q_target(s, a') with a' picked as the update picks it."""
        pick = q_online if self.config.double_dqn else q_target
        return float(q_target[int(np.argmax(pick))])

    def _close_windows(self, value: float, count: int, terminal: bool = False) -> None:
        """The oldest ``count`` pending steps get their delta: their rewards up to now plus the
        discounted ``value`` (nothing after a termination)."""
        gamma = self.config.gamma
        for _ in range(count):
            rewards = [s.reward for s in islice(self.pending, self.config.n_step)]
            ret = sum(gamma**j * r for j, r in enumerate(rewards))
            bootstrap = 0.0 if terminal else gamma ** len(rewards) * value
            first = self.pending.popleft()
            delta = ret + bootstrap - first.q_taken
            self.timeline.append((first.time, abs(delta), delta, first.reward, first.picture))
        self.surprise_changed = True

    def _end_episode(self, truncated: bool) -> None:
        predicted = np.asarray(self.episode_predicted, dtype=np.float32)
        rewards = np.asarray(self.episode_rewards, dtype=np.float64)
        received = np.zeros(len(rewards), dtype=np.float64)
        ret = 0.0
        for t in range(len(rewards) - 1, -1, -1):
            ret = rewards[t] + self.config.gamma * ret
            received[t] = ret
        self.episodes += 1
        self.predicted = PredictedReturns(
            episode=self.episodes,
            predicted=predicted,
            received=received.astype(np.float32),
            gamma=self.config.gamma,
            truncated=truncated,
        )
        self.episode_predicted, self.episode_rewards = [], []

    # ------------------------------------------------------------------ learning's hooks

    def request_readout(self, now: float | None = None, showcase: bool = True) -> None:
        """Ask the next update to trace the newest showcase transition it can sample (``showcase``
        False, or none ready: the batch's first row as drawn)."""
        replay = self.agent.replay
        index = None
        if showcase:
            index = next((i for i in reversed(self.recent_indices) if replay.is_sampleable(i)), None)
        self.agent.trace_next_update(index)
        self.next_readout = (self.clock() if now is None else now) + READOUT_PERIOD_S

    def tick(self, showcase: bool = True) -> None:
        """Ask for a readout when one is due."""
        now = self.clock()
        if now >= self.next_readout:
            self.request_readout(now, showcase)

    def after_learning(self) -> None:
        """After learning steps: turn a new traced update into the readout and the replay view."""
        trace = self.agent.last_trace
        if trace is None or trace.update == self.traced_update:
            return
        self.traced_update = trace.update
        self.readout = readout_of(trace, self.config.n_step)
        replay = self.agent.replay
        self.replay = ReplayView(
            update=trace.update,
            transitions=len(replay),
            capacity=replay.main.capacity,
            megabytes=replay.nbytes_held() / 1e6,
            demos=replay.num_demos,
            batch_demo_share=float(np.mean(trace.demo)),
            batch_age=replay.ages(trace.index).astype(np.float32),
            batch_demo=np.asarray(trace.demo, dtype=bool),
            batch_td=np.abs(trace.td_error).astype(np.float32),
            batch_pictures=grey_pictures(trace.obs, BATCH_PICTURE_PX),
            showcase_row=trace.traced_row or 0,
        )

    def work(self) -> None:
        """A piece of the saliency map under way, if any (a few milliseconds)."""
        done = None if self.looking is None else self.looking.work()
        if done is not None:
            self.saliency = SaliencyView(heat=done[0], action=done[1])

    # ------------------------------------------------------------------ snapshots

    def fill(self, snapshot) -> None:
        """Put the views that are due into ``snapshot`` (each once; the target network's every time)."""
        now = self.clock()
        self._value_states()
        snapshot.readout, self.readout = self.readout, None
        snapshot.replay, self.replay = self.replay, None
        snapshot.predicted, self.predicted = self.predicted, None
        snapshot.saliency, self.saliency = self.saliency, None
        snapshot.target = self._target_view()
        if self.surprise_changed and now - self.last_surprise_sent >= SURPRISE_EVERY_S:
            snapshot.surprise = self._surprise_view(now)
            self.last_surprise_sent, self.surprise_changed = now, False

    def _target_view(self) -> TargetView | None:
        if self.q_online_now is None or self.q_target_now is None:
            return None
        config, updates = self.config, self.agent.update_count
        hard = config.target_tau >= 1.0
        period = config.target_update_period
        return TargetView(
            period=period,
            tau=config.target_tau,
            updates_to_copy=period - updates % period if hard else 0,
            copies=updates // period if hard else updates,
            q_online=self.q_online_now,
            q_target=self.q_target_now,
        )

    def _surprise_view(self, now: float) -> SurpriseView:
        while self.timeline and now - self.timeline[0][0] > SURPRISE_WINDOW_S:
            self.timeline.popleft()
        times = np.array([t for t, *_ in self.timeline], dtype=np.float64)
        values = np.array([v for _, v, *_ in self.timeline], dtype=np.float32)
        moments: list[SurpriseMoment] = []
        chosen: list[float] = []
        for i in np.argsort(-values, kind="stable"):
            if len(moments) == MOMENTS:
                break
            t, _, delta, reward, picture = self.timeline[int(i)]
            if any(abs(t - c) < MOMENT_GAP_S for c in chosen):
                continue
            chosen.append(t)
            moments.append(SurpriseMoment(picture, float(delta), float(reward), float(now - t)))
        return SurpriseView(
            seconds_ago=(now - times).astype(np.float32),
            values=values,
            window_s=SURPRISE_WINDOW_S,
            moments=moments,
        )


PLAYER_SALIENCY_BUDGET = 0.04  # share of the window's time a trained player's saliency may take
PLAYER_SALIENCY_PERIOD_S = 1.5  # a new map of its decisions at most this often
PLAYER_SALIENCY_CHUNK = 4  # perturbed pictures per frame of the window (a couple of milliseconds)


class PlayerGaze:
    """Where a trained player looks, in versus and race: saliency maps of its decisions on pictures,
    computed in the window's process a small chunk per frame (``work``), so no frame stalls.

    Players without a network (a Q-table, random moves) and games without a picture give no map.
    """

    def __init__(self, player, clock=time.monotonic) -> None:
        agent = getattr(player, "agent", None)
        self.q_values = getattr(agent, "q_values", None)
        self.clock = clock
        self.scheduler = None
        self.view: SaliencyView | None = None
        """the newest finished map (None before the first)"""
        self.pictures = False
        """the player decides on pictures (known from its first decision)"""

    @property
    def available(self) -> bool:
        """Whether maps can be made: a network deciding on pictures."""
        return self.q_values is not None and self.pictures

    def offer(self, obs: np.ndarray, action: int) -> None:
        """The player decided ``action`` on ``obs``: map it when a map is due."""
        self.pictures = is_image(np.shape(obs))
        if not self.available:
            return
        if self.scheduler is None:
            from agents.saliency import SaliencyScheduler

            self.scheduler = SaliencyScheduler(
                self.q_values,
                PLAYER_SALIENCY_BUDGET,
                PLAYER_SALIENCY_PERIOD_S,
                PLAYER_SALIENCY_CHUNK,
                self.clock,
            )
        self.scheduler.offer(obs, action)

    def work(self) -> None:
        """A piece of the map under way (call once a frame)."""
        done = None if self.scheduler is None else self.scheduler.work()
        if done is not None:
            self.view = SaliencyView(heat=done[0], action=done[1])
