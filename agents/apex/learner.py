"""The Ape-X learner: a Trainer whose transitions come from a fleet of actors instead of its own games.

:class:`ApexLearner` keeps everything a local run has (the DQNAgent and its replay memory in this
process, metrics, evaluations, checkpoints, ``--resume``), and replaces the stepping of games by
three things each :meth:`ApexLearner.step`:

1. ask actors for more steps, never more than ``max_in_flight`` requests an actor, and only as many
   transitions as the rate limiter lets in (backpressure: nothing piles up anywhere);
2. take the chunks that came back (without waiting when updates are due) into the replay, one stream
   per environment; a request whose actor died comes back as lost and is not asked again;
3. make the updates the rate limiter says are due, and every ``weights_every`` updates publish the
   network's weights with a new version; each actor is sent a version it does not have with its next
   request, once.

A :class:`Fleet` moves requests and results; :class:`InlineFleet` runs the actors in this process, one
request at a time (tests, and a reference for the Ray fleet in ``game.modes.apex_ray``).
"""

from __future__ import annotations

import collections
import copy
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from agents.apex.actor import Actor, Collected, apex_epsilon
from agents.apex.chunks import transitions
from agents.apex.evaluator import Evaluator
from agents.apex.limiter import RateLimiter
from agents.checkpoint import save_checkpoint
from agents.pools import EpisodeEnd, Pool
from agents.train_config import TrainConfig
from agents.trainer import Trainer

REQUEST_TRANSITIONS = 128  # transitions an actor plays per request (Ape-X sends batches of 50-200)
MAX_IN_FLIGHT = 2  # requests an actor may hold: one playing, one queued behind it
WEIGHTS_EVERY = 50  # updates between broadcasts of the weights
MAX_UPDATES_PER_STEP = 16  # so the train loop's evaluations, saves and progress line keep their pace
POLL_S = 0.005  # how long a step waits for results when no update is due
LOST_REST_S = 0.5  # an actor whose request was lost is not asked again for this long (it is restarting)
SPEED_WINDOW_S = 10.0  # an actor's steps/s is measured over this much of the recent past
FLEET_FILE = "fleet.json"  # the job's state for a window watching it (``arena --attach``)
FLEET_EVERY_S = 2.0  # seconds between writes of FLEET_FILE
LIVE = "live.pt"  # in checkpoints/: the newest weights, for a window watching the job
LIVE_EVERY_S = 10.0  # seconds between writes of LIVE
EVALUATION_WAIT_S = 300.0  # how long the end of a run waits for its evaluations still being played


class Fleet(Protocol):
    """Actors somewhere, reached by requests; results come back in any order."""

    size: int
    """how many actors"""

    def publish(self, version: int, weights: dict[str, Any]) -> Any:
        """Make ``weights`` available to the actors once; returns the handle ``submit`` passes on."""
        ...

    def submit(self, actor: int, steps: int, learner_step: int, weights: tuple[int, Any] | None) -> None:
        """Ask ``actor`` for ``steps`` steps of each environment, after loading (version, handle)."""
        ...

    def ready(self, timeout_s: float) -> list[Collected]:
        """The results that came back, waiting at most ``timeout_s`` for the first."""
        ...

    def evaluate(self, token: int, weights: Any, seed: int) -> bool:
        """Start an evaluation of ``weights`` (a handle from ``publish``) on the fleet's evaluator;
        False when the fleet has none (the learner then evaluates in its own process)."""
        ...

    def evaluations(self) -> list[tuple[int, list[float] | None]]:
        """(token, returns) of the evaluations that finished; returns None for one that was lost."""
        ...

    def close(self) -> None: ...


class InlineFleet:
    """Actors (and an evaluator, when given one) in this process: a request is played when submitted."""

    def __init__(self, actors: list[Actor], evaluator: Evaluator | None = None):
        self.actors = actors
        self.size = len(actors)
        self.evaluator = evaluator
        self._done: collections.deque[Collected] = collections.deque()
        self._evaluated: list[tuple[int, list[float] | None]] = []

    def publish(self, version: int, weights: dict[str, Any]) -> Any:
        return weights

    def submit(self, actor: int, steps: int, learner_step: int, weights: tuple[int, Any] | None) -> None:
        if weights is not None:
            self.actors[actor].load_weights(*weights)
        self._done.append(self.actors[actor].collect(steps, learner_step))

    def ready(self, timeout_s: float) -> list[Collected]:
        done = list(self._done)
        self._done.clear()
        return done

    def evaluate(self, token: int, weights: Any, seed: int) -> bool:
        if self.evaluator is None:
            return False
        self._evaluated.append((token, self.evaluator.evaluate(weights, seed)))
        return True

    def evaluations(self) -> list[tuple[int, list[float] | None]]:
        done, self._evaluated = self._evaluated, []
        return done

    def close(self) -> None:
        for actor in self.actors:
            actor.close()


class SpacesPool:
    """A pool that only knows its spaces: the learner builds its agent from them and plays nothing."""

    def __init__(self, observation_space: gym.Space, action_space: gym.Space, num_envs: int, seed: int):
        self.observation_space = observation_space
        self.action_space = action_space
        self.num_envs = num_envs
        self.seed = seed

    def reset(self) -> np.ndarray:
        raise RuntimeError("the learner plays no games; its actors do")

    def step(self, actions: np.ndarray) -> Any:
        raise RuntimeError("the learner plays no games; its actors do")

    def frame(self, index: int) -> np.ndarray | None:
        return None

    def close(self) -> None:
        pass


@dataclass
class ActorStats:
    """What the learner knows of one actor, for the progress line and a watching window."""

    epsilon: float = 0.0
    version: int = 0
    """the weights version of its last steps"""
    transitions: int = 0
    lost: int = 0
    """requests that came back lost (the actor died)"""
    last_result: float = 0.0
    """monotonic time of its last result that brought transitions"""
    recent: collections.deque = field(default_factory=collections.deque)
    """(time, transitions) of its recent results"""

    def record(self, now: float, count: int) -> None:
        self.transitions += count
        self.last_result = now
        self.recent.append((now, count))
        while self.recent and now - self.recent[0][0] > SPEED_WINDOW_S:
            self.recent.popleft()

    def steps_per_second(self, now: float) -> float:
        if len(self.recent) < 2:
            return 0.0
        span = max(now - self.recent[0][0], 1e-6)
        return sum(count for _, count in list(self.recent)[1:]) / span


class ApexLearner(Trainer):
    """A Trainer fed by a fleet of actors (see the module's docstring).

    Args:
        game_id: as for Trainer.
        make_env: a fresh environment of the game (used once, for its spaces, and for evaluations).
        config: the run's settings; ``config.num_envs`` is each actor's number of environments.
        fleet: the actors.
        run_dir, make_eval_env, make_eval_pool: as for Trainer.
        request_transitions: transitions asked of an actor per request (rounded to whole steps of its
            environments).
        max_in_flight: requests an actor may hold at once.
        weights_every: updates between weight broadcasts.
    """

    def __init__(
        self,
        game_id: str,
        make_env: Callable[[], gym.Env],
        config: TrainConfig,
        fleet: Fleet,
        run_dir: str | os.PathLike | None = None,
        make_eval_env: Callable[[], gym.Env] | None = None,
        make_eval_pool: Callable[[int, int], Pool] | None = None,
        request_transitions: int = REQUEST_TRANSITIONS,
        max_in_flight: int = MAX_IN_FLIGHT,
        weights_every: int = WEIGHTS_EVERY,
    ):
        probe = make_env()
        spaces = (probe.observation_space, probe.action_space)
        probe.close()
        super().__init__(
            game_id,
            make_env,
            config,
            run_dir,
            make_eval_env=make_eval_env,
            extra_streams=(fleet.size - 1) * config.num_envs,
            make_pool=lambda n, seed: SpacesPool(*spaces, n, seed),
            make_eval_pool=make_eval_pool,
        )
        self.fleet = fleet
        self.steps_per_request = max(1, request_transitions // config.num_envs)
        self.max_in_flight = max_in_flight
        self.weights_every = weights_every
        self.weights_version = 0
        self._weights_handle: Any = None
        self._actor_versions = [-1] * fleet.size  # -1: has none of ours yet
        self._in_flight = [0] * fleet.size
        self._next_actor = 0  # the actor asked first next time
        self._resting_until = [0.0] * fleet.size  # monotonic time before which an actor is not asked
        self.actor_stats = [ActorStats() for _ in range(fleet.size)]
        self.lost_requests = 0
        self.limiter = self._make_limiter()
        self._evaluating: dict[int, tuple[int, dict[str, Any]]] = {}  # token -> (step, model state)
        self._tokens = 0
        self._fleet_written = (time.monotonic(), 0)  # (time, updates) of the last write
        self._live_written = time.monotonic()
        self.updates_per_second = 0.0

    def _make_limiter(self) -> RateLimiter:
        request = self.steps_per_request * self.config.num_envs
        return RateLimiter(
            updates_per_insert=1.0 / self.config.train_every,
            min_inserts=self.config.learning_starts,
            max_lead=request * self.fleet.size * self.max_in_flight,
            inserted=self.steps,
        )

    @property
    def epsilon(self) -> float:
        """Actor 0's exploration now (the override when one is set)."""
        if self.epsilon_override is not None or self.fleet.size == 1:
            return super().epsilon
        return apex_epsilon(0, self.fleet.size)

    @property
    def epsilons(self) -> np.ndarray:
        """Each actor's exploration now (actor 0's environments' when there is one actor)."""
        if self.fleet.size == 1:
            return super().epsilons
        return np.array([apex_epsilon(i, self.fleet.size) for i in range(self.fleet.size)])

    @property
    def fleet_summary(self) -> str:
        """The actors and the learner's pace, for the progress line."""
        lost = f", {self.lost_requests} lost" if self.lost_requests else ""
        return f"{self.fleet.size} actors, {self.updates_per_second:.0f} updates/s{lost}"

    @property
    def in_flight(self) -> int:
        return sum(self._in_flight)

    def restore(self) -> None:
        super().restore()
        self.limiter = self._make_limiter()  # the resumed steps owe no updates
        self.publish()

    # ------------------------------------------------------------------ the loop

    def step(self) -> list[EpisodeEnd]:
        """Ask, take what came back, learn what is due (see the module's docstring)."""
        if self._weights_handle is None:
            self.publish()
        self._ask()
        wait = 0.0 if self.limiter.updates_allowed() else POLL_S
        ended: list[EpisodeEnd] = []
        for result in self.fleet.ready(wait):
            ended += self._take(result)
        self._learn_due()
        self._take_evaluations()
        self._write_for_watchers()
        return ended

    def evaluate(self, episodes: int | None = None) -> float:
        """Hand the weights of this step to the fleet's evaluator and go on learning; the result is
        logged when it comes back. A fleet without an evaluator: evaluate here, as a local run does.

        Returns the last evaluation that came back (NaN before the first)."""
        if episodes is not None:  # a number of games asked for here and now
            return super().evaluate(episodes)
        self._keep_good_state()
        self.publish()
        self._tokens += 1
        if not self.fleet.evaluate(self._tokens, self._weights_handle, self.eval_seed()):
            return super().evaluate()
        model = copy.deepcopy(self.agent.state_dict()["model"])  # the updates change the tensors in place
        self._evaluating[self._tokens] = (self.steps, model)
        self._take_evaluations()  # an evaluator in this process is done already
        return self.last_eval if self.last_eval is not None else float("nan")

    def _take_evaluations(self) -> None:
        """Log the evaluations that came back (one lost with its evaluator is dropped)."""
        for token, returns in self.fleet.evaluations():
            step, state = self._evaluating.pop(token)
            if returns is not None:
                self.record_evaluation(step, returns, state)

    def train(self, progress: Callable[[Trainer], None] | None = None) -> None:
        """Train as a Trainer does, then wait for the evaluations still being played."""
        super().train(progress)
        deadline = time.monotonic() + EVALUATION_WAIT_S
        while self._evaluating and time.monotonic() < deadline:
            self._take_evaluations()
            time.sleep(POLL_S)
        if self.metrics is not None:
            self.metrics.flush()

    def _write_for_watchers(self, running: bool = True) -> None:
        """Now and then: the job's state in fleet.json and its newest weights in checkpoints/live.pt
        (and the learner's updates per second, measured over the same interval)."""
        now = time.monotonic()
        since, updates = self._fleet_written
        if running and now - since < FLEET_EVERY_S:
            return
        self.updates_per_second = (self.agent.update_count - updates) / max(now - since, 1e-6)
        self._fleet_written = (now, self.agent.update_count)
        if self.run_dir is None:
            return
        if self.metrics is not None:
            self.metrics.flush()  # a watching window reads the curves from the CSV files
        self._report_failures(
            self._attempt(self.run_dir / FLEET_FILE, lambda path: write_json(path, self.fleet_state(running)))
        )
        if now - self._live_written >= LIVE_EVERY_S or not running:
            self._live_written = now
            state, metadata = self.agent.state_dict(), self.metadata()
            self._report_failures(
                self._attempt(
                    self.run_dir / "checkpoints" / LIVE,
                    lambda path: save_checkpoint(
                        path, model_state=state["model"], optimizer_state=None, metadata=metadata
                    ),
                )
            )

    def fleet_state(self, running: bool = True) -> dict[str, Any]:
        """What a watching window shows of the job: the learner's pace and each actor's."""
        now = time.monotonic()
        return {
            "running": running,
            "time": time.time(),
            "steps": self.steps,
            "updates": self.agent.update_count,
            "steps_per_s": self.steps_per_second,
            "updates_per_s": self.updates_per_second,
            "replay_ratio": self.limiter.ratio * self.config.dqn.batch_size,
            "weights_version": self.weights_version,
            "lost_requests": self.lost_requests,
            "actors": [
                {
                    "index": i,
                    "epsilon": stats.epsilon,
                    "steps_per_s": stats.steps_per_second(now),
                    "version": stats.version,
                    "transitions": stats.transitions,
                    "lost": stats.lost,
                }
                for i, stats in enumerate(self.actor_stats)
            ],
        }

    def publish(self) -> None:
        """Broadcast the network's weights as a new version."""
        weights = {
            name: t.detach().to("cpu", copy=True) for name, t in self.agent.network.state_dict().items()
        }
        self.weights_version += 1
        self._weights_handle = self.fleet.publish(self.weights_version, weights)

    def _ask(self) -> None:
        """Submit requests round the actors while the rate limiter lets the transitions in."""
        request = self.steps_per_request * self.config.num_envs
        now = time.monotonic()
        first = self._next_actor  # no actor is always asked first
        for round_ in range(self.max_in_flight):
            for turn in range(self.fleet.size):
                actor = (first + turn) % self.fleet.size
                if self._in_flight[actor] > round_ or self._resting_until[actor] > now:
                    continue
                if self.limiter.inserts_allowed() < (self.in_flight + 1) * request:
                    return
                weights = None
                if self._actor_versions[actor] < self.weights_version:
                    weights = (self.weights_version, self._weights_handle)
                    self._actor_versions[actor] = self.weights_version
                self.fleet.submit(actor, self.steps_per_request, self.steps, weights)
                self._in_flight[actor] += 1
                self._next_actor = (actor + 1) % self.fleet.size

    def _take(self, result: Collected) -> list[EpisodeEnd]:
        """Put a result's transitions into the replay and count its episodes."""
        actor = result.actor
        self._in_flight[actor] -= 1
        stats = self.actor_stats[actor]
        if result.error is not None:
            self.lost_requests += 1
            stats.lost += 1
            self._actor_versions[actor] = -1  # a restarted actor has none of our weights
            self._resting_until[actor] = time.monotonic() + LOST_REST_S
            return []
        clip = self.config.clip_rewards
        for chunk in result.chunks:
            for transition in transitions(chunk):
                if clip:
                    transition = transition._replace(reward=float(np.sign(transition.reward)))
                self.agent.observe(transition, stream=chunk.stream)
        count = result.transitions
        self.steps += count
        self.limiter.record_inserts(count)
        stats.record(time.monotonic(), count)
        stats.epsilon, stats.version = result.epsilon, result.version
        ended = []
        for episode in result.episodes:
            self.episodes += 1
            self.recent_returns.append(episode.ret)
            if self.metrics is not None:
                self.metrics.episode(self.steps, self.episodes, episode.ret, episode.length, episode.epsilon)
            ended.append(EpisodeEnd(episode.stream, episode.ret, episode.length))
        return ended

    def _learn_due(self) -> None:
        """The updates the rate limiter says are due (at most MAX_UPDATES_PER_STEP of them)."""
        if self.learning_stopped:
            return
        for _ in range(min(self.limiter.updates_allowed(), MAX_UPDATES_PER_STEP)):
            self.limiter.record_updates(1)
            if len(self.agent.replay) < self.config.dqn.batch_size:
                continue
            if not self._update():
                return
            if self.agent.update_count % self.weights_every == 0:
                self.publish()

    def close(self) -> None:
        try:
            self._write_for_watchers(running=False)
            self.fleet.close()
        finally:
            super().close()


def write_json(path: os.PathLike, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path`` atomically (a temporary file, then a rename)."""
    temporary = f"{os.fspath(path)}.tmp"
    with open(temporary, "w") as handle:
        json.dump(payload, handle, indent=1)
    os.replace(temporary, path)
