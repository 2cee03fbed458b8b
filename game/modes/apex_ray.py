"""The Ape-X fleet on Ray Core: actors as Ray actors, requests as their method calls (the 'ray' extra).

Only this module imports Ray, and only when a run asks for ``--actors``. The learner stays in the
process that runs ``main.py train`` (the Ray driver); the window never becomes one.

- Actors are Ray actors of one CPU each, spread over the cluster's nodes and restarted by Ray when
  they die (``max_restarts=-1``). A call in flight on an actor that died comes back as a lost result
  (it is not retried: the learner asks the restarted actor afresh, with the weights it now lacks).
- Weights go into the object store once per version (``ray.put``); an actor gets the reference as an
  argument of its next call only when it does not have that version yet.
- A local Ray (no ``--ray-address``) listens on the loopback interface only: anyone who reaches a Ray
  port can run code there.
"""

from __future__ import annotations

import os
import random
import time
import warnings
from collections.abc import Sequence
from typing import Any

from agents.apex.actor import Collected
from agents.train_config import TrainConfig
from game.errors import UserError
from game.modes.apex import make_actor, make_evaluator
from game.modes.reaper import Reaper

LOOPBACK_ONLY = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}  # a local Ray then takes 127.0.0.1 as its node
INSTALL_HINT = "pip install -e '.[ray]'"


def import_ray() -> Any:
    """Ray, or one sentence saying how to install it."""
    try:
        import ray
    except ImportError as error:
        raise UserError(
            f"Training with --actors runs on Ray, which is not installed: {INSTALL_HINT}."
        ) from error
    return ray


def start_ray(address: str | None, actors: int, reaper: Reaper | None = None) -> bool:
    """Connect to the cluster at ``address``, or start a local Ray on loopback; True if started here.

    A local Ray's processes are watched by ``reaper`` (started here) so that they end with us."""
    if address is None:
        os.environ.update(LOOPBACK_ONLY)  # read when Ray is imported: set before
    ray = import_ray()
    if ray.is_initialized():
        return False
    if address is None:
        _keep_on_loopback()
        if reaper is not None:
            reaper.start()
    try:
        if address is None:
            cpus = max(actors, os.cpu_count() or 1)  # every actor scheduled, even on fewer cores
            ray.init(num_cpus=cpus, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
        else:
            ray.init(address=address, logging_level="WARNING", log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise UserError(f"Could not start or reach {where} ({error}); check --ray-address.") from error
    if address is None:
        addresses = {node["NodeManagerAddress"] for node in ray.nodes()}
        if addresses != {"127.0.0.1"}:
            ray.shutdown()
            raise UserError(
                f"The local Ray came up on {', '.join(sorted(addresses))}, not on loopback only; "
                "start a Ray of your own on a private network and give it with --ray-address."
            )
    return True


def _keep_on_loopback() -> None:
    """Make a local Ray take 127.0.0.1 as its node's address even when Ray was imported before
    ``LOOPBACK_ONLY`` was set (its constants are read at import)."""
    import importlib

    constants = importlib.import_module("ray._private.ray_constants")
    if getattr(constants, "ENABLE_RAY_CLUSTER", False):
        constants.ENABLE_RAY_CLUSTER = False


class RemoteActor:
    """What runs inside each Ray actor process: one :class:`agents.apex.actor.Actor`."""

    def __init__(self, game_id: str, config: dict[str, Any], index: int, actors: int, imports: Sequence[str]):
        import ray

        with warnings.catch_warnings():  # Ray marks it deprecated, and offers nothing else that says it
            warnings.simplefilter("ignore")
            restarted = ray.get_runtime_context().was_current_actor_reconstructed
        restarts = random.randrange(1, 10_000) if restarted else 0  # other games than the lost actor's
        self.actor = make_actor(game_id, TrainConfig.from_dict(config), index, actors, imports, restarts)

    def collect(self, steps: int, learner_step: int, version: int | None, weights: Any) -> Collected:
        if weights is not None:
            self.actor.load_weights(version, weights)
        return self.actor.collect(steps, learner_step)

    def ping(self) -> int:
        return self.actor.index

    def node(self) -> str:
        """The id of the Ray node this actor runs on."""
        import ray

        return ray.get_runtime_context().get_node_id()


class RemoteEvaluator:
    """What runs inside the evaluator's Ray actor: one :class:`agents.apex.evaluator.Evaluator`."""

    def __init__(self, game_id: str, config: dict[str, Any], imports: Sequence[str]):
        self.evaluator = make_evaluator(game_id, TrainConfig.from_dict(config), imports)

    def evaluate(self, weights: Any, seed: int) -> list[float]:
        return self.evaluator.evaluate(weights, seed)


class RayFleet:
    """The actors of a run, on Ray (a :class:`agents.apex.learner.Fleet`).

    Args:
        game_id: the run's game.
        config: the run's settings (each actor builds its environments and network from them).
        imports: the ``--import`` entries the game needs, applied in each actor process.
        address: an existing cluster's address (HOST:PORT); None starts a local Ray on loopback.
    """

    def __init__(
        self, game_id: str, config: TrainConfig, imports: Sequence[str] = (), address: str | None = None
    ):
        self.size = config.actors
        self._reaper = Reaper()
        self._started_ray = start_ray(address, self.size, self._reaper)
        ray = self._ray = import_ray()
        remote = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=0)(RemoteActor)
        self.handles = [
            remote.options(scheduling_strategy="SPREAD").remote(
                game_id, config.to_dict(), i, self.size, imports
            )
            for i in range(self.size)
        ]
        self._pending: dict[Any, int] = {}  # call reference -> actor
        # The evaluator plays now and then: it reserves no CPU of its own, so it never waits for one.
        evaluator = ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)(RemoteEvaluator)
        self.evaluator = evaluator.remote(game_id, config.to_dict(), imports)
        self._evaluating: dict[Any, int] = {}  # call reference -> token

    def wait_until_up(self, timeout_s: float = 120.0) -> None:
        """Block until every actor has built its games (a game that cannot be built fails here)."""
        try:
            self._ray.get([handle.ping.remote() for handle in self.handles], timeout=timeout_s)
        except self._ray.exceptions.GetTimeoutError as error:
            raise UserError(
                f"The {self.size} actors were not all up after {timeout_s:.0f} s: the cluster may lack "
                "free CPUs for them; lower --actors or add machines."
            ) from error
        except self._ray.exceptions.RayTaskError as error:
            raise UserError(f"An actor could not start its game: {error.cause or error}") from error

    def publish(self, version: int, weights: dict[str, Any]) -> Any:
        return self._ray.put(weights)

    def submit(self, actor: int, steps: int, learner_step: int, weights: tuple[int, Any] | None) -> None:
        version, handle = weights if weights is not None else (None, None)
        self._pending[self.handles[actor].collect.remote(steps, learner_step, version, handle)] = actor

    def ready(self, timeout_s: float) -> list[Collected]:
        if not self._pending:
            time.sleep(timeout_s)
            return []
        ray = self._ray
        refs = list(self._pending)
        done, _ = ray.wait(refs, num_returns=1, timeout=timeout_s)
        if done:
            done, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        results = []
        for ref in done:
            actor = self._pending.pop(ref)
            try:
                results.append(ray.get(ref))
            except (ray.exceptions.RayActorError, ray.exceptions.ObjectLostError) as error:
                results.append(Collected(actor, [], [], 0, 0.0, 0.0, error=type(error).__name__))
            except ray.exceptions.RayTaskError as error:
                raise RuntimeError(f"Actor {actor} failed: {error.cause or error}") from error
        return results

    def evaluate(self, token: int, weights: Any, seed: int) -> bool:
        self._evaluating[self.evaluator.evaluate.remote(weights, seed)] = token
        return True

    def evaluations(self) -> list[tuple[int, list[float] | None]]:
        if not self._evaluating:
            return []
        ray = self._ray
        refs = list(self._evaluating)
        done, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        results = []
        for ref in done:
            token = self._evaluating.pop(ref)
            try:
                results.append((token, ray.get(ref)))
            except (ray.exceptions.RayActorError, ray.exceptions.ObjectLostError):
                results.append((token, None))  # the evaluator died with it; the next one is played anew
            except ray.exceptions.RayTaskError as error:
                raise RuntimeError(f"The evaluator failed: {error.cause or error}") from error
        return results

    def kill(self, actor: int) -> None:
        """End actor ``actor``'s process the way a crash would (Ray restarts it)."""
        self._ray.kill(self.handles[actor], no_restart=False)

    def close(self) -> None:
        for handle in [*self.handles, self.evaluator]:
            self._ray.kill(handle, no_restart=True)
        self._pending.clear()
        self._evaluating.clear()
        if self._started_ray:
            self._ray.shutdown()
        self._reaper.stop()
