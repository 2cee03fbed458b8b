"""A one-line progress bar for headless training: steps, speed, return, epsilon, loss, ETA.

On a terminal the line fits its width (80 columns included: a wrapped line would scroll instead of
redrawing): the fields least needed go first (the loss, the evaluation, epsilon, a busy machine's
note), then the bar shrinks. A log file gets the whole line. It is not tqdm's: at 80 columns tqdm
4.70 shrinks its bar to one character and cuts the fields after it wherever the column ends
(``... 1234567/2000000 [00:00<00:00, 369.9step/s, return -12.45, eval``), where this line leaves
out whole fields and keeps the return, the speed and the time left.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import IO

import numpy as np

BAR_WIDTH = 24  # characters of the bar itself
MIN_BAR_WIDTH = 8  # ... where the terminal is narrow
DROP_ORDER = ("fleet", "loss", "eval", "eps", "threads")  # left out in this order until the line fits
REDRAW_S = 0.5  # seconds between redraws on a terminal
LOG_EVERY_S = 10.0  # seconds between lines when the output is not a terminal (a log file)


class ProgressBar:
    """Call with a Trainer after each step; it redraws at most twice a second."""

    def __init__(self, total_steps: int, stream: IO[str] | None = None):
        self.total = total_steps
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.width: int | None = shutil.get_terminal_size((80, 24)).columns - 1 if self.tty else None
        """the most characters a line may take (None: no limit)"""
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
        """The progress line, cut to ``self.width`` where there is one."""
        speed = trainer.steps_per_second
        ret = f"{np.mean(trainer.recent_returns):.2f}" if trainer.recent_returns else "-"
        loss = trainer.statistics.get("loss")
        eta = (self.total - trainer.steps) / speed if speed > 0 else float("nan")
        fields: list[tuple[str, str]] = [
            ("speed", f"{speed:,.0f} steps/s"),
            ("return", f"return {ret}"),
            ("eps", f"eps {trainer.epsilon:.3f}"),
            ("loss", f"loss {loss:.4f}" if loss is not None else "loss -"),
            ("eta", f"ETA {_clock(eta)}"),
        ]
        if trainer.last_eval is not None:
            fields.insert(2, ("eval", f"eval {trainer.last_eval:.2f}"))
        fleet = getattr(trainer, "fleet_summary", None)  # an Ape-X learner's actors
        if fleet:
            fields.insert(1, ("fleet", fleet))
        governor = getattr(trainer, "governor", None)
        if governor is not None and governor.threads < governor.asked:
            fields.insert(1, ("threads", f"{governor.threads} thread (machine busy)"))
        bar_width = BAR_WIDTH
        text = self._join(trainer, fields, bar_width)
        for name in DROP_ORDER:
            if self.width is None or len(text) <= self.width:
                break
            fields = [field for field in fields if field[0] != name]
            text = self._join(trainer, fields, bar_width)
        while self.width is not None and len(text) > self.width and bar_width > MIN_BAR_WIDTH:
            bar_width -= 1
            text = self._join(trainer, fields, bar_width)
        return text if self.width is None else text[: self.width]

    def _join(self, trainer, fields: list[tuple[str, str]], bar_width: int) -> str:
        done = min(1.0, trainer.steps / max(1, self.total))
        filled = int(done * bar_width)
        bar = "#" * filled + "-" * (bar_width - filled)
        return " | ".join([f"[{bar}] {trainer.steps:,}/{self.total:,}", *(text for _, text in fields)])

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
