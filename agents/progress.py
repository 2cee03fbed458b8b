"""A one-line progress bar for headless training: steps, speed, return, epsilon, loss, ETA."""

from __future__ import annotations

import sys
import time
from typing import IO

import numpy as np

BAR_WIDTH = 24  # characters of the bar itself
REDRAW_S = 0.5  # seconds between redraws on a terminal
LOG_EVERY_S = 10.0  # seconds between lines when the output is not a terminal (a log file)


class ProgressBar:
    """Call with a Trainer after each step; it redraws at most twice a second."""

    def __init__(self, total_steps: int, stream: IO[str] | None = None):
        self.total = total_steps
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last = 0.0

    def __call__(self, trainer) -> None:
        now = time.monotonic()
        if now - self._last < (REDRAW_S if self.tty else LOG_EVERY_S) and trainer.steps < self.total:
            return
        self._last = now
        self.stream.write(("\r" if self.tty else "") + self.line(trainer) + ("" if self.tty else "\n"))
        self.stream.flush()

    def note(self, message: str) -> None:
        """A line of its own for ``message``, above the bar (which is redrawn at the next call)."""
        self.stream.write(("\r\x1b[K" if self.tty else "") + message + "\n")
        self.stream.flush()
        self._last = 0.0

    def line(self, trainer) -> str:
        done = min(1.0, trainer.steps / max(1, self.total))
        filled = int(done * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        speed = trainer.steps_per_second
        ret = f"{np.mean(trainer.recent_returns):.2f}" if trainer.recent_returns else "-"
        loss = trainer.statistics.get("loss")
        eta = (self.total - trainer.steps) / speed if speed > 0 else float("nan")
        parts = [
            f"[{bar}] {trainer.steps:,}/{self.total:,}",
            f"{speed:,.0f} steps/s",
            f"return {ret}",
            f"eps {trainer.epsilon:.3f}",
            f"loss {loss:.4f}" if loss is not None else "loss -",
            f"ETA {_clock(eta)}",
        ]
        if trainer.last_eval is not None:
            parts.insert(3, f"eval {trainer.last_eval:.2f}")
        governor = getattr(trainer, "governor", None)
        if governor is not None and governor.threads < governor.asked:
            parts.insert(2, f"{governor.threads} thread (machine busy)")
        return " | ".join(parts)

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "--:--"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
