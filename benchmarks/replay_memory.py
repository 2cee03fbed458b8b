"""Bytes per Atari transition: our ReplayMemory (one 84x84 frame per slot) against two naive buffers.

The naive buffers are what a first DQN stores: the whole (4, 84, 84) obs stack *and* the next_obs
stack of every transition (56 KB), or the obs stack only, taking next_obs from the following slot
(28 KB). Each figure comes two ways: from the arrays a buffer allocates (``nbytes`` per slot; for ours
``ReplayMemory.bytes_per_transition()``), and as the growth of this process's resident memory
(VmRSS in /proc/self/status) while the buffer is filled with real transitions, so that the number
is measured, not only computed. numpy's big ``np.zeros`` arrays are mapped lazily (the kernel hands
out zero pages when they are first written), so an empty buffer costs almost nothing and the growth
appears as it fills; the "RSS after construction" column shows this.

The transitions are synthetic 84x84 frames pushed through a 4-deep stack, in episodes that end by
termination, as ``AtariEnv`` produces them (a reset stack repeats its first frame).

    python -m benchmarks.replay_memory                              # ours 100k, naive 20k
    python -m benchmarks.replay_memory --naive-transitions 100000   # ~8.5 GB of naive buffers
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

if not __package__:  # run as `python benchmarks/replay_memory.py`: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from agents.replay import ReplayMemory, Transition
from benchmarks._common import print_footer, print_header, print_table

STACK = 4  # frames per observation
SIDE_PX = 84  # side of one frame
OBS_SHAPE = (STACK, SIDE_PX, SIDE_PX)
FRAME_POOL = 256  # distinct random frames cycled through (their content does not matter)
MB = 1e6


def rss_bytes() -> int:
    """This process's resident memory now (VmRSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS line in /proc/self/status; this benchmark needs Linux")


def peak_rss_bytes() -> int:
    """Highest resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class NaiveReplay:
    """A ring of whole obs stacks, with the next_obs stacks beside them or not.

    Without ``store_next_obs`` the next observation of slot i is read from slot i + 1 (an episode's
    last next_obs would need one more slot; the count here leaves that out in its favour).
    """

    def __init__(self, capacity: int, store_next_obs: bool) -> None:
        self.capacity = capacity
        self.obs = np.zeros((capacity, *OBS_SHAPE), dtype=np.uint8)
        self.next_obs = np.zeros((capacity, *OBS_SHAPE), dtype=np.uint8) if store_next_obs else None
        self.action = np.zeros(capacity, dtype=np.int64)
        self.reward = np.zeros(capacity, dtype=np.float32)
        self.terminated = np.zeros(capacity, dtype=np.float32)
        self.cursor = 0

    def add(self, stream: int, transition: Transition) -> None:
        i = self.cursor
        self.obs[i] = transition.obs
        if self.next_obs is not None:
            self.next_obs[i] = transition.next_obs
        self.action[i] = transition.action
        self.reward[i] = transition.reward
        self.terminated[i] = transition.terminated
        self.cursor = (i + 1) % self.capacity

    def bytes_per_transition(self) -> float:
        arrays = (self.obs, self.next_obs, self.action, self.reward, self.terminated)
        return sum(a.nbytes for a in arrays if a is not None) / self.capacity


def transitions(count: int, episode_steps: int, seed: int) -> Iterator[Transition]:
    """``count`` transitions of frame stacks in episodes of ``episode_steps`` that end by termination."""
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, size=(FRAME_POOL, SIDE_PX, SIDE_PX), dtype=np.uint8)
    obs = np.repeat(frames[0][None], STACK, axis=0)
    for t in range(count):
        next_obs = np.concatenate([obs[1:], frames[(t + 1) % FRAME_POOL][None]])
        terminated = (t + 1) % episode_steps == 0
        yield Transition(obs, int(t % 6), float(t % 3 - 1), next_obs, terminated, False)
        obs = np.repeat(frames[(t + 7) % FRAME_POOL][None], STACK, axis=0) if terminated else next_obs


@dataclass
class Filled:
    """What filling one buffer cost."""

    name: str
    transitions: int
    computed_bytes: float
    rss_after_construction: int
    rss_growth: int
    seconds: float

    @property
    def measured_bytes(self) -> float:
        return self.rss_growth / self.transitions


def fill(
    name: str, build: Callable[[], ReplayMemory | NaiveReplay], count: int, episode_steps: int
) -> Filled:
    """Build a buffer, fill it with ``count`` transitions, and measure the resident memory it took."""
    gc.collect()
    before = rss_bytes()
    memory = build()
    constructed = rss_bytes() - before
    started = time.perf_counter()
    for transition in transitions(count, episode_steps, seed=0):
        memory.add(0, transition)
    seconds = time.perf_counter() - started
    result = Filled(name, count, memory.bytes_per_transition(), constructed, rss_bytes() - before, seconds)
    del memory
    gc.collect()
    return result


def replay_memory(capacity: int) -> ReplayMemory:
    """Our memory as ``make_agent`` builds it for Atari: single frames, one stream, uniform, 3-step."""
    return ReplayMemory(OBS_SHAPE, capacity=capacity, obs_dtype=np.uint8, frame_stack=True, n_step=3)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transitions", type=int, default=100_000, help="transitions filled into ours")
    parser.add_argument(
        "--naive-transitions", type=int, default=20_000, help="transitions filled into each naive buffer"
    )
    parser.add_argument("--episode-steps", type=int, default=1_000, help="agent steps per synthetic episode")
    parser.add_argument(
        "--capacities", default="100000,1000000", help="capacities for the computed bytes per transition"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    capacities = [int(c) for c in args.capacities.split(",")]
    print_header("Replay memory per Atari transition: ours (single frames) vs naive stacked buffers")

    print("Computed from the arrays each buffer allocates (bytes per transition slot)\n")
    rows: list[list[object]] = []
    computed: dict[str, list[float]] = {"ours": [], "naive obs+next_obs": [], "naive obs only": []}
    for capacity in capacities:
        gc.collect()
        before = rss_bytes()
        ours = replay_memory(capacity)  # the frames are mapped lazily: nothing is touched yet
        computed["ours"].append(ours.bytes_per_transition())
        del ours
        gc.collect()
        print(f"  ReplayMemory({capacity:,}) constructed; RSS grew {(rss_bytes() - before) / MB:.1f} MB")
        # The naive figures are per slot and do not depend on the capacity: a small instance says it.
        computed["naive obs+next_obs"].append(NaiveReplay(1_000, store_next_obs=True).bytes_per_transition())
        computed["naive obs only"].append(NaiveReplay(1_000, store_next_obs=False).bytes_per_transition())
    print()
    for name, values in computed.items():
        row: list[object] = [name]
        for capacity, value, ours_value in zip(capacities, values, computed["ours"], strict=True):
            row += [value, f"{value * capacity / 1e9:.2f} GB", f"{value / ours_value:.2f}x"]
        rows.append(row)
    headers = ["buffer"]
    for capacity in capacities:
        label = f"{capacity / 1e6:g}M" if capacity >= 1_000_000 else f"{capacity // 1000}k"
        headers += [f"B/transition @{label}", f"total @{label}", f"vs ours @{label}"]
    print_table(headers, rows)

    print(f"\nMeasured: resident memory growth while filling (episodes of {args.episode_steps:,} steps)\n")
    results = [
        fill("ours", lambda: replay_memory(args.transitions), args.transitions, args.episode_steps),
        fill(
            "naive obs+next_obs",
            lambda: NaiveReplay(args.naive_transitions, store_next_obs=True),
            args.naive_transitions,
            args.episode_steps,
        ),
        fill(
            "naive obs only",
            lambda: NaiveReplay(args.naive_transitions, store_next_obs=False),
            args.naive_transitions,
            args.episode_steps,
        ),
    ]
    ours_measured = results[0].measured_bytes
    print_table(
        [
            "buffer",
            "transitions",
            "RSS after construction MB",
            "RSS growth MB",
            "measured B/transition",
            "computed B/transition",
            "vs ours (measured)",
            "fill us/transition",
        ],
        [
            [
                r.name,
                r.transitions,
                r.rss_after_construction / MB,
                r.rss_growth / MB,
                r.measured_bytes,
                r.computed_bytes,
                f"{r.measured_bytes / ours_measured:.2f}x",
                1e6 * r.seconds / r.transitions,
            ]
            for r in results
        ],
    )
    print(f"\npeak RSS of this process: {peak_rss_bytes() / MB:,.0f} MB")
    print_footer()


if __name__ == "__main__":
    main()
