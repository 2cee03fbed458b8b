"""The lab's walking learners: tabular Q-learning and a DQN, each an epsilon-greedy agent on the grid.

torch is imported only when a DQN is built: the scene's process never pays for it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from agents.schedules import LinearSchedule, PowerSchedule
from agents.tabular import QTable
from game.modes.lab_methods import MethodBase

if TYPE_CHECKING:
    from game.modes.lab import LabWorld

Q_LEARNING_PACE = 4_000.0  # Q-learning: env steps per second (15 us each: 6% of a core)
Q_EPSILON = 0.3  # exploration: cells off the greedy path need it (at 0.2 some pairs get 20 visits in 60k)
Q_LEARNING_RATE = PowerSchedule(1.0, 0.8)  # per (s, a) visit count: Robbins-Monro, converges with slip
DQN_EPSILON = LinearSchedule(1.0, 0.1, 5_000)  # over env steps
DQN_LEARNING_STARTS = 200  # env steps before the first update
DQN_LEARNING_RATE = 1e-3  # Adam step size
DQN_HIDDEN = (64,)  # one hidden layer on the one-hot state
DQN_TARGET_PERIOD = 100  # updates between target-network copies
DQN_REPLAY = 20_000  # transitions kept
DQN_BATCH = 32  # transitions per update
MIN_EPISODE_STEPS = 100  # time limit of the walking agents' episodes (4 per cell on big grids)


class _Walker(MethodBase):
    """A learning agent walking from the start: episodes end at a terminal cell or the time limit."""

    unit = "steps"
    keeps_learning = True

    def __init__(self, world: LabWorld, seed: int) -> None:
        super().__init__(world)
        self.env = world.env(max_episode_steps=max(MIN_EPISODE_STEPS, 4 * self.n_states))
        self.state, _ = self.env.reset(seed=seed)
        self.episodes = 0
        """episodes finished"""

    def counter_text(self) -> str:
        return f"step {self.work:,} · episode {self.episodes + 1:,}"

    def agent_state(self) -> int | None:
        return int(self.state)

    def walk(self, action: int) -> tuple[int, float, bool, bool]:
        """One env step; the agent goes back to the start after an episode's end."""
        next_state, reward, terminated, truncated, _ = self.env.step(action)
        self.work += 1
        if terminated or truncated:
            self.episodes += 1
            self.state, _ = self.env.reset()
        else:
            self.state = next_state
        return int(next_state), float(reward), bool(terminated), bool(truncated)


class QLearning(_Walker):
    """Tabular Q-learning with an epsilon-greedy walker and a per-pair 1/(1+n)^0.8 step size.

    ``epsilon``: the walker's exploration rate (1.0: a random walk, which still learns Q*: off-policy).
    """

    name = "Q-learning"
    pace = Q_LEARNING_PACE

    def __init__(self, world: LabWorld, seed: int = 0, epsilon: float = Q_EPSILON) -> None:
        super().__init__(world, seed)
        self.epsilon = epsilon
        self.table = QTable(
            self.n_actions,
            self.n_states,
            gamma=world.gamma,
            learning_rate=Q_LEARNING_RATE,
            per_pair_steps=True,
            seed=seed,
        )

    def step(self) -> None:
        state = self.state
        action = self.table.act(state, self.epsilon).action
        next_state, reward, terminated, _ = self.walk(action)
        self.table.update(state, action, reward, next_state, terminated)

    def q(self) -> np.ndarray:
        return self.table.as_array()


class DQN(_Walker):
    """The project's DQNAgent (Double DQN, replay, target network) on one-hot states of the grid."""

    name = "DQN"
    pace = math.inf

    def __init__(self, world: LabWorld, seed: int = 0) -> None:
        super().__init__(world, seed)
        from agents.dqn import make_agent  # torch: only once a DQN is built
        from agents.dqn_config import DQNConfig
        from agents.replay import Transition

        config = DQNConfig(
            gamma=world.gamma,
            learning_rate=DQN_LEARNING_RATE,
            batch_size=DQN_BATCH,
            target_update_period=DQN_TARGET_PERIOD,
            replay_capacity=DQN_REPLAY,
            hidden=DQN_HIDDEN,
            device="cpu",
            seed=seed,
        )
        self.agent = make_agent(self.env.observation_space, self.env.action_space, config)
        self._all_states = np.arange(self.n_states, dtype=np.int64)
        self._q: tuple[int, np.ndarray] | None = None  # (work, Q) of the last readout
        self._transition = Transition

    @property
    def epsilon(self) -> float:
        """The exploration rate of the next step."""
        return DQN_EPSILON(self.work)

    def step(self) -> None:
        state = self.state
        action = self.agent.act(np.int64(state), self.epsilon).action
        next_state, reward, terminated, truncated = self.walk(action)
        self.agent.observe(
            self._transition(np.int64(state), action, reward, np.int64(next_state), terminated, truncated)
        )
        if self.work >= DQN_LEARNING_STARTS and len(self.agent.replay) >= DQN_BATCH:
            self.agent.update()

    def q(self) -> np.ndarray:
        """The online network's Q for every cell (terminal and wall rows zeroed: V = 0 there)."""
        if self._q is None or self._q[0] != self.work:
            q = self.agent.q_values(self._all_states).numpy().astype(np.float64)
            self._q = (self.work, np.where(self.open[:, None], q, 0.0))
        return self._q[1]


def record_dataset(world: LabWorld, steps: int, epsilon: float = 0.3, seed: int = 0) -> dict[str, np.ndarray]:
    """``steps`` transitions of an epsilon-greedy walker on Q* (the data fitted Q-iteration learns from).

    Returns:
        arrays ``obs``, ``actions``, ``rewards``, ``next_obs``, ``terminated`` and ``n_states``.
    """
    _, q_star = world.optimum()
    env = world.env(max_episode_steps=max(MIN_EPISODE_STEPS, 4 * world.n_states))
    rng = np.random.default_rng(seed)
    state, _ = env.reset(seed=seed)
    rows = []
    for _ in range(steps):
        explore = rng.random() < epsilon
        action = int(rng.integers(env.n_actions)) if explore else int(np.argmax(q_star[state]))
        next_state, reward, terminated, truncated, _ = env.step(action)
        rows.append((state, action, reward, next_state, terminated))
        state = env.reset()[0] if terminated or truncated else next_state
    obs, actions, rewards, next_obs, terminated = (np.array(column) for column in zip(*rows, strict=True))
    return {
        "obs": obs.astype(np.int64),
        "actions": actions.astype(np.int64),
        "rewards": rewards.astype(np.float64),
        "next_obs": next_obs.astype(np.int64),
        "terminated": terminated.astype(bool),
        "n_states": np.array(world.n_states),
    }
