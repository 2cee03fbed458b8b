"""How a worker process hands its snapshots to the UI without ever waiting for it."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import queue
from typing import Any


def offer(snapshots: mp.Queue, snapshot: Any, force: bool = False) -> None:
    """Put ``snapshot`` without waiting; when the UI is behind, drop it (or, ``force``, the oldest)."""
    try:
        snapshots.put_nowait(snapshot)
    except queue.Full:
        if not force:
            return
        with contextlib.suppress(queue.Empty, queue.Full):
            snapshots.get_nowait()
            snapshots.put_nowait(snapshot)
