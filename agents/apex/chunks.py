"""What an actor sends the learner: one environment's consecutive steps, each frame once, compressed.

A :class:`Chunk` holds the observation its first step starts from, then per step the action, the
reward, the end flags and the *frame* the step ended on: the newest plane of a frame-stack
observation (the rest of the stack is the previous observation shifted by one), or the whole next
observation when frames are not stacked. Where an episode ended, the observation of the next
episode's reset is sent too. So a Pong step costs one 84x84 frame, not two 4x84x84 stacks, and the
frames of a chunk compress together (LZ4 shrinks Pong's about 24 times; zlib where LZ4 is missing).

The learner turns a chunk back into the transitions (:func:`transitions`) and adds them to its replay
memory as one stream per environment; the replay builds the n-step windows itself, so a window that
spans two chunks is the same as one within a chunk, and a chunk whose first observation does not
continue the stream (an actor that was restarted) simply starts a new segment there.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from agents.replay import Transition

try:  # the 'ray' extra brings LZ4; without it zlib's fastest level does the same job more slowly
    import lz4.frame as _lz4
except ImportError:  # pragma: no cover - depends on the install
    _lz4 = None

CODEC = "lz4" if _lz4 is not None else "zlib"
ZLIB_LEVEL = 1  # the fastest: frames of a game are alike, and even level 1 shrinks them many times


def compress(array: np.ndarray, codec: str = CODEC) -> bytes:
    """The bytes of a C-contiguous array, compressed with ``codec`` ("lz4", "zlib" or "none")."""
    raw = np.ascontiguousarray(array).tobytes()
    if codec == "lz4":
        return _lz4.compress(raw)
    if codec == "zlib":
        return zlib.compress(raw, ZLIB_LEVEL)
    if codec == "none":
        return raw
    raise ValueError(f"unknown codec {codec!r}")


def decompress(data: bytes, codec: str, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """The array :func:`compress` was given."""
    if codec == "lz4":
        if _lz4 is None:
            raise RuntimeError("this chunk was compressed with LZ4: install the 'lz4' package")
        raw = _lz4.decompress(data)
    elif codec == "zlib":
        raw = zlib.decompress(data)
    elif codec == "none":
        raw = data
    else:
        raise ValueError(f"unknown codec {codec!r}")
    return np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape)


@dataclass(frozen=True)
class Chunk:
    """Consecutive steps of one environment (replay stream ``stream``)."""

    stream: int
    """the learner's replay stream of this environment"""
    first_obs: np.ndarray
    """the observation the first step was taken from"""
    frames: bytes
    """the compressed (steps, *frame_shape) array of the frames the steps ended on"""
    codec: str
    frame_shape: tuple[int, ...]
    frame_dtype: str
    stacked: bool
    """observations are frame stacks (newest plane last): a frame is one plane"""
    actions: np.ndarray
    """(steps,) int64"""
    rewards: np.ndarray
    """(steps,) float32, as the game gave them (the learner clips them if its settings say so)"""
    terminated: np.ndarray
    """(steps,) bool"""
    truncated: np.ndarray
    """(steps,) bool"""
    resets: tuple[tuple[int, np.ndarray], ...]
    """(step, observation) for each step that ended an episode: the next step starts from it"""

    @property
    def steps(self) -> int:
        return len(self.actions)

    @property
    def nbytes(self) -> int:
        """About what the chunk costs to send."""
        arrays = (self.first_obs, self.actions, self.rewards, self.terminated, self.truncated)
        return len(self.frames) + sum(a.nbytes for a in arrays) + sum(obs.nbytes for _, obs in self.resets)


class ChunkWriter:
    """Collects the steps of one environment and hands them over as a :class:`Chunk`."""

    def __init__(self, stream: int, stacked: bool, codec: str = CODEC):
        self.stream = stream
        self.stacked = stacked
        self.codec = codec
        self._clear()

    def _clear(self) -> None:
        self._first: np.ndarray | None = None
        self._frames: list[np.ndarray] = []
        self._actions: list[int] = []
        self._rewards: list[float] = []
        self._terminated: list[bool] = []
        self._truncated: list[bool] = []
        self._resets: list[tuple[int, np.ndarray]] = []

    def __len__(self) -> int:
        return len(self._actions)

    def add(
        self,
        obs: np.ndarray,
        action: int,
        reward: float,
        next_obs: np.ndarray,
        terminated: bool,
        truncated: bool,
        reset_obs: np.ndarray | None = None,
    ) -> None:
        """One step; ``reset_obs`` is the next episode's first observation when this step ended one."""
        if self.stacked and not np.array_equal(next_obs[:-1], obs[1:]):
            raise ValueError(
                "next_obs is not obs shifted by one frame: these observations are not frame stacks"
            )
        if self._first is None:
            self._first = np.array(obs, copy=True)
        if (terminated or truncated) != (reset_obs is not None):
            raise ValueError("a step that ends an episode needs the next episode's reset_obs, and only it")
        self._frames.append(np.array(next_obs[-1] if self.stacked else next_obs, copy=True))
        self._actions.append(int(action))
        self._rewards.append(float(reward))
        self._terminated.append(bool(terminated))
        self._truncated.append(bool(truncated))
        if reset_obs is not None:
            self._resets.append((len(self._actions) - 1, np.array(reset_obs, copy=True)))

    def flush(self) -> Chunk | None:
        """The steps since the last flush as one chunk (None when there were none)."""
        if self._first is None:
            return None
        frames = np.stack(self._frames)
        chunk = Chunk(
            stream=self.stream,
            first_obs=self._first,
            frames=compress(frames, self.codec),
            codec=self.codec,
            frame_shape=tuple(frames.shape[1:]),
            frame_dtype=frames.dtype.str,
            stacked=self.stacked,
            actions=np.array(self._actions, dtype=np.int64),
            rewards=np.array(self._rewards, dtype=np.float32),
            terminated=np.array(self._terminated, dtype=bool),
            truncated=np.array(self._truncated, dtype=bool),
            resets=tuple(self._resets),
        )
        self._clear()
        return chunk


def transitions(chunk: Chunk) -> Iterator[Transition]:
    """The chunk's steps as the transitions they were, in order."""
    frames = decompress(chunk.frames, chunk.codec, (chunk.steps, *chunk.frame_shape), chunk.frame_dtype)
    resets = dict(chunk.resets)
    obs = chunk.first_obs
    for t in range(chunk.steps):
        next_obs = np.concatenate([obs[1:], frames[t][None]]) if chunk.stacked else frames[t]
        yield Transition(
            obs,
            int(chunk.actions[t]),
            float(chunk.rewards[t]),
            next_obs,
            bool(chunk.terminated[t]),
            bool(chunk.truncated[t]),
        )
        obs = resets.get(t, next_obs)
