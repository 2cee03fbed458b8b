"""A run's metrics as CSV files (and TensorBoard events when tensorboard is installed).

episodes.csv   step, episode, return, length, epsilon, wall_s       one row per finished game
train.csv      step, updates, epsilon, steps_per_s, loss, ...       about one row a second
eval.csv       step, mean_return, returns                           one row per evaluation
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path
from typing import IO, Any

TRAIN_STATS = ("loss", "mean_q", "td_error", "grad_norm")  # update statistics written to train.csv


class MetricsLog:
    """Appends rows to the CSV files of one run directory (appending, so a resumed run continues them)."""

    def __init__(self, run_dir: Path):
        run_dir.mkdir(parents=True, exist_ok=True)
        self.started = time.monotonic()
        self._files: dict[str, tuple[IO[str], Any]] = {}
        self._dir = run_dir
        self._tensorboard = _tensorboard_writer(run_dir / "tensorboard")

    def _writer(self, name: str, header: list[str]):
        if name not in self._files:
            path = self._dir / name
            new = not path.exists() or path.stat().st_size == 0
            file = open(path, "a", newline="")  # noqa: SIM115 - kept open for the run's life
            writer = csv.writer(file)
            if new:
                writer.writerow(header)
            self._files[name] = (file, writer)
        return self._files[name][1]

    def episode(self, step: int, episode: int, ret: float, length: int, epsilon: float) -> None:
        wall = time.monotonic() - self.started
        self._writer("episodes.csv", ["step", "episode", "return", "length", "epsilon", "wall_s"]).writerow(
            [step, episode, f"{ret:g}", length, f"{epsilon:.4f}", f"{wall:.1f}"]
        )
        if self._tensorboard is not None:
            self._tensorboard.add_scalar("episode/return", ret, step)

    def train(
        self, step: int, updates: int, epsilon: float, steps_per_s: float, stats: dict[str, float]
    ) -> None:
        header = ["step", "updates", "epsilon", "steps_per_s", *TRAIN_STATS]
        values = [f"{stats[k]:.6g}" if k in stats else "" for k in TRAIN_STATS]
        self._writer("train.csv", header).writerow(
            [step, updates, f"{epsilon:.4f}", f"{steps_per_s:.1f}", *values]
        )
        if self._tensorboard is not None:
            for key in TRAIN_STATS:
                if key in stats:
                    self._tensorboard.add_scalar(f"train/{key}", stats[key], step)

    def evaluation(self, step: int, mean_return: float, returns: list[float]) -> None:
        self._writer("eval.csv", ["step", "mean_return", "returns"]).writerow(
            [step, f"{mean_return:g}", " ".join(f"{r:g}" for r in returns)]
        )
        if self._tensorboard is not None:
            self._tensorboard.add_scalar("eval/mean_return", mean_return, step)

    def forget_after(self, step: int) -> None:
        """Drop rows logged after ``step`` (a resumed run continues from its checkpoint's step)."""
        self._close_files()
        for name in ("episodes.csv", "train.csv", "eval.csv"):
            path = self._dir / name
            if not path.is_file():
                continue
            with open(path, newline="") as file:
                rows = list(csv.reader(file))
            kept = rows[:1] + [row for row in rows[1:] if row and int(row[0]) <= step]
            if len(kept) < len(rows):
                temporary = path.with_suffix(".csv.tmp")
                with open(temporary, "w", newline="") as file:
                    csv.writer(file).writerows(kept)
                os.replace(temporary, path)

    def _close_files(self) -> None:
        for file, _ in self._files.values():
            file.close()
        self._files.clear()

    def flush(self) -> None:
        for file, _ in self._files.values():
            file.flush()

    def close(self) -> None:
        self._close_files()
        if self._tensorboard is not None:
            self._tensorboard.close()


def _tensorboard_writer(folder: Path):
    """A SummaryWriter when tensorboard is installed, else None (it is optional)."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(str(folder))
