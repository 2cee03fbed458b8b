"""One ring of replay slots: single-frame storage, per-stream links, n-step windows, sampling weights.

Layout. Slot i holds one *frame*: the newest plane of a frame-stack observation (or the whole
observation when frames are not stacked), plus, when the slot starts a transition, its action,
reward and end flags. Slots are written in order into one ring shared by all streams, so the ring
overwrites strictly oldest-first. Each stream's consecutive slots are chained by ``prev``/``next``
links; a chain is a *segment*: a run of one stream's steps with nothing missing. A segment is

    [history slots]  transition slots ...  boundary slot

- history slots (no transition) hold the older planes of the segment's first observation, only
  when it is not its first plane repeated -- an episode's reset stack is, so episodes start
  with no history at all;
- a transition slot holds obs_t's newest plane; obs_{t+1}'s newest plane is the next slot's;
- a boundary slot (no transition) holds the newest plane of the last next_obs, written when the
  segment ends: at termination, at truncation, or when the stream's next observation does not
  continue it (for example it moved to the other store when a person took over).

A stack is rebuilt by following ``prev`` k-1 times; at the start of a segment the walk stays on
the first slot, which repeats it, exactly like a reset stack. An n-step window follows ``next``
from a transition and stops after n transitions, at termination (discount 0), or at a boundary
slot (truncation or cut: bootstrap from that frame with gamma^steps).

A transition becomes sampleable (weight > 0 in the sum tree) when its window is complete: n later
frames exist, or its segment ended. Writing frees the next slot at once, so the slot under the
cursor is always empty and every link points at a live slot. Freeing a slot makes the next k-1
slots of its segment unsampleable (their stacks needed it); if one of them is a stream's newest
slot, that stream's next step starts a new segment (with history slots) instead of continuing.

Memory: one slot per transition, plus one boundary slot per episode (and up to k-1 history slots
when a segment starts mid-episode, e.g. when a person takes over).
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np

from agents.sum_tree import SumTree

TRANSITION = 1  # the slot starts a transition (action, reward, flags below are meaningful)
TERMINATED = 2  # the episode terminated after this transition: do not bootstrap
TRUNCATED = 4  # the episode was cut after this transition (time limit): bootstrap
DEMO = 8  # the transition came from a person's play
ORPHANED = 16  # a frame this slot's stack needs was overwritten: never sample it

NO_SLOT = -1
SLOT_ARRAY_BYTES = 4 + 4 + 1 + 4 + 4  # action int32, reward float32, flags uint8, prev and next int32


class Windows(NamedTuple):
    """The n-step windows of some transitions (one row each)."""

    returns: np.ndarray
    """sum_{j<steps} gamma^j r_{t+j}"""
    discounts: np.ndarray
    """gamma^steps, or 0 when the episode terminated inside the window"""
    bootstrap: np.ndarray
    """the slot whose stack is the next_obs after ``steps`` steps"""
    steps: np.ndarray
    """the number of rewards summed (1..n)"""
    rewards: np.ndarray
    """(rows, n) float32: r_{t+j} for j < steps, 0 after"""
    truncated: np.ndarray
    """the window's last step was cut by a time limit (it still bootstraps)"""


class ArraySource(Protocol):
    """Saved arrays by name; ``read_into`` fills a preallocated array without a temporary copy."""

    def __getitem__(self, name: str) -> np.ndarray: ...

    def read_into(self, name: str, out: np.ndarray) -> None: ...


class ReplayStore:
    """A ring of ``capacity`` slots for ``n_streams`` interleaved streams (see the module docstring).

    Args:
        capacity: number of slots (one frame each).
        obs_shape: shape of one observation, e.g. (4, 84, 84) or (8,).
        obs_dtype: dtype observations are stored in.
        frame_stack: True when observations are (k, ...) stacks whose newest plane is last.
        n_streams: number of parallel environments feeding this store.
        n_step: transitions summed into one return.
        gamma: discount per step.
    """

    def __init__(
        self,
        capacity: int,
        obs_shape: tuple[int, ...],
        obs_dtype: np.dtype,
        frame_stack: bool,
        n_streams: int,
        n_step: int,
        gamma: float,
    ) -> None:
        self.capacity = capacity
        self.obs_shape = tuple(obs_shape)
        self.obs_dtype = np.dtype(obs_dtype)
        self.frame_stack = frame_stack
        self.stack_size = self.obs_shape[0] if frame_stack else 1
        if capacity < 2 * (self.stack_size + 1):
            raise ValueError(
                f"a replay store needs at least {2 * (self.stack_size + 1)} slots, got {capacity}"
            )
        frame_shape = self.obs_shape[1:] if frame_stack else self.obs_shape
        self.n_streams = n_streams
        self.n_step = n_step
        self.gamma = gamma

        self.frames = np.zeros((capacity, *frame_shape), dtype=self.obs_dtype)
        self.action = np.zeros(capacity, dtype=np.int32)
        self.reward = np.zeros(capacity, dtype=np.float32)
        self.flags = np.zeros(capacity, dtype=np.uint8)
        self.prev = np.full(capacity, NO_SLOT, dtype=np.int32)
        self.next = np.full(capacity, NO_SLOT, dtype=np.int32)
        self.tree = SumTree(capacity)  # sampling weight of each slot: 0 = not sampleable
        self.max_weight = 1.0  # weight given to newly complete transitions
        self.num_sampleable = 0  # slots with weight > 0
        self.cursor = 0  # next slot to write
        self.size = 0  # slots written so far, at most capacity (then capacity - 1 are live)

        self.tail = np.full(n_streams, NO_SLOT, dtype=np.int64)  # newest slot of each open segment
        self.pending_next_obs = np.zeros((n_streams, *self.obs_shape), dtype=self.obs_dtype)
        self.restart = np.zeros(n_streams, dtype=bool)  # the open segment must be cut before it continues

    # ---------------------------------------------------------------- writing

    def add(
        self,
        stream: int,
        obs: np.ndarray,
        action: int,
        reward: float,
        next_obs: np.ndarray,
        terminated: bool,
        truncated: bool,
        demo: bool = False,
    ) -> int:
        """Store one transition of ``stream``; returns its slot."""
        obs = np.asarray(obs, dtype=self.obs_dtype)
        next_obs = np.asarray(next_obs, dtype=self.obs_dtype)
        if obs.shape != self.obs_shape or next_obs.shape != self.obs_shape:
            raise ValueError(f"replay expects observations of shape {self.obs_shape}, got {obs.shape}")
        if self.frame_stack and not np.array_equal(next_obs[:-1], obs[1:]):
            raise ValueError(
                "next_obs is not obs shifted by one frame, so these observations are not frame stacks; "
                "build the replay memory with frame_stack=False."
            )
        tail = int(self.tail[stream])
        if tail != NO_SLOT and (
            self.restart[stream] or not np.array_equal(obs, self.pending_next_obs[stream])
        ):
            # The stream jumped (or the ring overwrote the frames its next stack needs): cut the
            # segment here, bootstrapping from its last frame, and start a new one.
            self.end_segment(stream)
            tail = NO_SLOT
        if tail == NO_SLOT:
            tail = self._write_history(obs)
            self.restart[stream] = False

        flags = TRANSITION | (TERMINATED if terminated else 0) | (TRUNCATED if truncated else 0)
        flags |= DEMO if demo else 0
        slot = self._write(self._newest_frame(obs), tail, flags, int(action), float(reward))
        self.tail[stream] = slot
        self.pending_next_obs[stream] = next_obs
        self._complete_window_ending_at(slot)
        if terminated or truncated:
            self.end_segment(stream)
        return slot

    def end_segment(self, stream: int) -> None:
        """Close the stream's open segment with a boundary slot holding its last next_obs frame."""
        tail = int(self.tail[stream])
        if tail == NO_SLOT:
            return
        boundary = self._write(self._newest_frame(self.pending_next_obs[stream]), tail, 0, 0, 0.0)
        self.tail[stream] = NO_SLOT
        self.restart[stream] = False
        # Every transition whose window reaches the boundary is now complete.
        slot = boundary
        for _ in range(self.n_step):
            slot = int(self.prev[slot])
            if slot == NO_SLOT or not self.flags[slot] & TRANSITION:
                break
            self._make_sampleable(slot)

    def _newest_frame(self, obs: np.ndarray) -> np.ndarray:
        return obs[-1] if self.frame_stack else obs

    def _write_history(self, obs: np.ndarray) -> int:
        """Write the older planes a new segment's first stack needs; returns the last one's slot."""
        if not self.frame_stack:
            return NO_SLOT
        # Planes 0..first-1 equal plane `first`, so repeating the segment's first slot restores them.
        first = 0
        while first < self.stack_size - 1 and np.array_equal(obs[first + 1], obs[0]):
            first += 1
        tail = NO_SLOT
        for plane in range(first, self.stack_size - 1):
            tail = self._write(obs[plane], tail, 0, 0, 0.0)
        return tail

    def _write(self, frame: np.ndarray, prev: int, flags: int, action: int, reward: float) -> int:
        """Write one slot at the cursor, then free the next one (the cursor slot is always empty)."""
        slot = self.cursor
        self.frames[slot] = frame
        self.flags[slot] = flags
        self.action[slot] = action
        self.reward[slot] = reward
        self.prev[slot] = prev
        self.next[slot] = NO_SLOT
        if prev != NO_SLOT:
            self.next[prev] = slot
        self.cursor = (slot + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)
        if self.size == self.capacity:
            self._evict(self.cursor)
        return slot

    def _evict(self, slot: int) -> None:
        """Forget the oldest slot; the next k-1 slots of its segment lose a frame their stacks need."""
        self._unsample(slot)
        self.flags[slot] = 0
        for stream in np.flatnonzero(self.tail == slot):
            self.tail[stream] = NO_SLOT  # the open segment's newest slot is gone: start afresh
        later = int(self.next[slot])
        if later != NO_SLOT:
            self.prev[later] = NO_SLOT  # no link may point at a reused slot
        for hops in range(1, self.stack_size):
            if later == NO_SLOT:
                break
            self.flags[later] |= ORPHANED
            self._unsample(later)
            if hops <= self.stack_size - 2:
                self.restart[self.tail == later] = True  # the stream's next stack would need `slot`
            later = int(self.next[later])
        self.next[slot] = NO_SLOT
        self.prev[slot] = NO_SLOT

    def _complete_window_ending_at(self, slot: int) -> None:
        """The transition n frames before ``slot`` now has all n steps of its window."""
        for _ in range(self.n_step):
            slot = int(self.prev[slot])
            if slot == NO_SLOT:
                return
        if self.flags[slot] & TRANSITION:
            self._make_sampleable(slot)

    def _unsample(self, slot: int) -> None:
        if self.tree.nodes[self.tree.n_leaves + slot] != 0.0:
            self.tree.set(slot, 0.0)
            self.num_sampleable -= 1

    def _make_sampleable(self, slot: int) -> None:
        if not self.flags[slot] & ORPHANED and self.tree.nodes[self.tree.n_leaves + slot] == 0.0:
            self.tree.set(slot, self.max_weight)
            self.num_sampleable += 1

    # ---------------------------------------------------------------- reading

    def stacks(self, slots: np.ndarray) -> np.ndarray:
        """Observations rebuilt at ``slots``: (len(slots), *obs_shape)."""
        slots = np.asarray(slots, dtype=np.int64)
        if not self.frame_stack:
            return self.frames[slots]
        planes = np.empty((len(slots), self.stack_size), dtype=np.int64)
        planes[:, -1] = slots
        current = slots
        for k in range(self.stack_size - 2, -1, -1):
            before = self.prev[current]
            current = np.where(before != NO_SLOT, before, current)  # segment start: repeat it
            planes[:, k] = current
        return self.frames[planes]

    def n_step_windows(self, slots: np.ndarray) -> Windows:
        """Follow each transition's window: up to n steps, stopping at termination or at a boundary slot."""
        slots = np.asarray(slots, dtype=np.int64)
        returns = np.zeros(len(slots), dtype=np.float64)
        discounts = np.ones(len(slots), dtype=np.float64)
        steps = np.zeros(len(slots), dtype=np.int64)
        rewards = np.zeros((len(slots), self.n_step), dtype=np.float32)
        terminal = np.zeros(len(slots), dtype=bool)
        bootstrap = slots.copy()
        current = slots.copy()
        last = slots.copy()
        walking = np.ones(len(slots), dtype=bool)
        for j in range(self.n_step):
            rewards[:, j] = np.where(walking, self.reward[current], 0.0)
            returns += np.where(walking, discounts * self.reward[current], 0.0)
            discounts = np.where(walking, discounts * self.gamma, discounts)
            steps += walking
            last = np.where(walking, current, last)
            terminal |= walking & (self.flags[current] & TERMINATED != 0)
            after = self.next[current].astype(np.int64)
            bootstrap = np.where(walking, after, bootstrap)
            walking = walking & ~terminal & (self.flags[after] & TRANSITION != 0)
            current = np.where(walking, after, current)
        if np.any(bootstrap == NO_SLOT):
            raise RuntimeError("replay sampled a transition whose n-step window is not complete")
        return Windows(
            returns=returns,
            discounts=np.where(terminal, 0.0, discounts),
            bootstrap=bootstrap,
            steps=steps,
            rewards=rewards,
            truncated=~terminal & (self.flags[last] & TRUNCATED != 0),
        )

    def ages(self, slots: np.ndarray) -> np.ndarray:
        """Where each slot stands in the ring: 0 = the newest written, 1 = the oldest still held."""
        slots = np.asarray(slots, dtype=np.int64)
        newest = (self.cursor - 1) % self.capacity
        behind = (newest - slots) % self.capacity
        return behind / max(1, min(self.size, self.capacity - 1) - 1)

    # ---------------------------------------------------------------- persistence

    ARRAYS = ("frames", "action", "reward", "flags", "prev", "next")

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Everything needed to restore this store, as named numpy arrays."""
        arrays = {name: getattr(self, name)[: self.size] for name in self.ARRAYS}
        arrays["weights"] = self.tree.leaves[: self.size]
        arrays["counters"] = np.array([self.cursor, self.size], dtype=np.int64)
        arrays["max_weight"] = np.array(self.max_weight)
        arrays["tail"] = self.tail
        arrays["restart"] = self.restart
        arrays["pending_next_obs"] = self.pending_next_obs
        return arrays

    def from_arrays(self, arrays: ArraySource) -> None:
        """Restore what ``to_arrays`` saved (into a store built with the same settings)."""
        self.cursor, self.size = (int(v) for v in arrays["counters"])
        for name in self.ARRAYS:
            arrays.read_into(name, getattr(self, name)[: self.size])
        self.tree.leaves[:] = 0.0
        arrays.read_into("weights", self.tree.leaves[: self.size])
        self.tree.rebuild()
        self.num_sampleable = int(np.count_nonzero(self.tree.leaves))
        self.max_weight = float(arrays["max_weight"])
        self.tail[:] = arrays["tail"]
        self.restart[:] = arrays["restart"]
        self.pending_next_obs[:] = arrays["pending_next_obs"]

    def nbytes_per_slot(self) -> float:
        """Memory per slot: frame, per-slot arrays and the sum tree's share."""
        per_slot = sum(getattr(self, name).nbytes for name in self.ARRAYS) + self.tree.nodes.nbytes
        return per_slot / self.capacity

    @staticmethod
    def nbytes(capacity: int, obs_shape: tuple[int, ...], obs_dtype: np.dtype, frame_stack: bool) -> int:
        """The bytes a store of these settings allocates for its slots, computed without allocating them."""
        frame_shape = obs_shape[1:] if frame_stack else obs_shape
        frame = int(np.prod(frame_shape, dtype=np.int64)) * np.dtype(obs_dtype).itemsize
        per_slot = frame + SLOT_ARRAY_BYTES
        tree_leaves = 1 << (capacity - 1).bit_length()  # as SumTree rounds up
        return capacity * per_slot + 2 * tree_leaves * np.dtype(np.float64).itemsize
