"""A run's metrics as CSV files (and TensorBoard events when tensorboard is installed).

episodes.csv   step, episode, return, length, epsilon, wall_s       one row per finished game
train.csv      step, updates, epsilon, steps_per_s, loss, ...       about one row a second
eval.csv       step, mean_return, returns                           one row per evaluation

A log may be capped (``max_bytes``, for a kiosk learner that runs for days): a file that grows past
the cap is rewritten with its header and its newest rows, about half the cap of them.

A file a resume cannot read (random bytes, a crash's NUL blocks) is kept aside as
``NAME.csv.damaged-DATE-TIME`` and started anew; a row that cannot be written (a full disk) is
dropped. Both leave a sentence in ``notices`` instead of stopping the run.
"""

from __future__ import annotations

import csv
import errno
import os
import time
from pathlib import Path
from typing import Any

TRAIN_STATS = ("loss", "mean_q", "td_error", "grad_norm")  # update statistics written to train.csv
KEEP_SHARE = 0.5  # a capped file that outgrows its cap keeps its newest rows up to this share of it
HEADERS = {
    "episodes.csv": ["step", "episode", "return", "length", "epsilon", "wall_s"],
    "train.csv": ["step", "updates", "epsilon", "steps_per_s", *TRAIN_STATS],
    "eval.csv": ["step", "mean_return", "returns"],
}
"""the first row of each file"""


class _CsvFile:
    """One open CSV file and the bytes it holds, counted as rows are written (no stat per row)."""

    def __init__(self, path: Path, header: list[str]):
        self.path = path
        self.file = open(path, "a", newline="")  # noqa: SIM115 - kept open for the run's life
        self.writer = csv.writer(self.file)
        self.size = path.stat().st_size
        if self.size == 0:
            self.write(header)

    def write(self, row: list[Any]) -> None:
        # The rows are numbers and ASCII names: the characters csv reports written are bytes.
        self.size += self.writer.writerow(row)


class MetricsLog:
    """Appends rows to the CSV files of one run directory (appending, so a resumed run continues them).

    Args:
        run_dir: the run directory (created if need be).
        max_bytes: the most bytes each CSV file may hold; past it the file keeps its header and its
            newest rows (about half the cap), and no TensorBoard events are written, as they cannot be
            trimmed. None: files grow for the run's life.
    """

    def __init__(self, run_dir: Path, max_bytes: int | None = None):
        if max_bytes is not None and max_bytes < 1:
            raise ValueError(f"max_bytes must be at least 1 (or None for no cap), not {max_bytes}")
        run_dir.mkdir(parents=True, exist_ok=True)
        self.started = time.monotonic()
        self.max_bytes = max_bytes
        self._files: dict[str, _CsvFile] = {}
        self._dir = run_dir
        self._tensorboard = _tensorboard_writer(run_dir / "tensorboard") if max_bytes is None else None
        self.notices: list[str] = []
        """sentences for the person: a file kept aside, rows that could not be written"""
        self._failing: set[str] = set()  # files whose last write failed (one notice until one succeeds)

    def _write(self, name: str, header: list[str], row: list[Any]) -> None:
        """Append ``row`` to ``name`` (opened on first use, ``header`` first if new); trim past the cap."""
        try:
            if name not in self._files:
                self._files[name] = _CsvFile(self._dir / name, header)
            csv_file = self._files[name]
            csv_file.write(row)
            if self.max_bytes is not None and csv_file.size > self.max_bytes:
                csv_file.file.close()
                del self._files[name]
                keep_tail(csv_file.path, int(self.max_bytes * KEEP_SHARE))
                self._files[name] = _CsvFile(csv_file.path, header)
        except OSError as error:
            self._write_failed(name, error)
        else:
            self._failing.discard(name)

    def _write_failed(self, name: str, error: OSError) -> None:
        if name not in self._failing:
            self._failing.add(name)
            reason = os.strerror(error.errno) if error.errno else str(error)
            self.notices.append(
                f"Could not write the metrics file {self._dir / name} ({reason}); its rows are dropped "
                "until it can be written again, so free some disk space."
            )

    def episode(self, step: int, episode: int, ret: float, length: int, epsilon: float) -> None:
        wall = time.monotonic() - self.started
        self._write(
            "episodes.csv",
            HEADERS["episodes.csv"],
            [step, episode, f"{ret:g}", length, f"{epsilon:.4f}", f"{wall:.1f}"],
        )
        if self._tensorboard is not None:
            self._tensorboard.add_scalar("episode/return", ret, step)

    def train(
        self, step: int, updates: int, epsilon: float, steps_per_s: float, stats: dict[str, float]
    ) -> None:
        values = [f"{stats[k]:.6g}" if k in stats else "" for k in TRAIN_STATS]
        self._write(
            "train.csv",
            HEADERS["train.csv"],
            [step, updates, f"{epsilon:.4f}", f"{steps_per_s:.1f}", *values],
        )
        if self._tensorboard is not None:
            for key in TRAIN_STATS:
                if key in stats:
                    self._tensorboard.add_scalar(f"train/{key}", stats[key], step)

    def evaluation(self, step: int, mean_return: float, returns: list[float]) -> None:
        self._write(
            "eval.csv",
            HEADERS["eval.csv"],
            [step, f"{mean_return:g}", " ".join(f"{r:g}" for r in returns)],
        )
        if self._tensorboard is not None:
            self._tensorboard.add_scalar("eval/mean_return", mean_return, step)

    def forget_after(self, step: int) -> None:
        """Drop rows logged after ``step`` (a resumed run continues from its checkpoint's step).

        A file that cannot be read as this log's CSV is kept aside and started anew (see ``notices``).
        """
        self._close_files()
        for name, header in HEADERS.items():
            path = self._dir / name
            if not path.is_file():
                continue
            try:
                with open(path, newline="") as file:
                    rows = list(csv.reader(file))
                if rows and rows[0] != header:
                    raise ValueError(f"{name} starts with {rows[0][:3]}, not its header")
                kept = rows[:1] + [row for row in rows[1:] if row and int(row[0]) <= step]
            except (UnicodeDecodeError, ValueError, csv.Error):
                self._keep_aside(path)
                continue
            if len(kept) < len(rows):
                temporary = path.with_suffix(".csv.tmp")
                try:
                    with open(temporary, "w", newline="") as file:
                        csv.writer(file).writerows(kept)
                    os.replace(temporary, path)
                except OSError as error:
                    temporary.unlink(missing_ok=True)
                    self._write_failed(name, error)

    def _keep_aside(self, path: Path) -> None:
        """Rename a damaged file out of the way (a new one starts) and say so."""
        aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(path, aside)
        except OSError as error:
            reason = os.strerror(error.errno or errno.EIO)
            self.notices.append(
                f"The metrics file {path} is damaged and could not be moved aside ({reason}); "
                "delete it so that a new one can start."
            )
            return
        self.notices.append(
            f"The metrics file {path} was damaged; it is kept as {aside.name} and a new one is started."
        )

    def take_notices(self) -> list[str]:
        """The sentences gathered since the last call."""
        notices, self.notices = self.notices, []
        return notices

    def _close_files(self) -> None:
        for name, csv_file in self._files.items():
            try:
                csv_file.file.close()
            except OSError as error:  # the buffered rows could not be written
                self._write_failed(name, error)
        self._files.clear()

    def flush(self) -> None:
        for name, csv_file in self._files.items():
            try:
                csv_file.file.flush()
            except OSError as error:
                self._write_failed(name, error)

    def close(self) -> None:
        self._close_files()
        if self._tensorboard is not None:
            self._tensorboard.close()


def keep_tail(path: Path, keep_bytes: int) -> None:
    """Rewrite the CSV file ``path`` atomically with its header line and its newest whole rows that
    fit in ``keep_bytes`` (the rows hold no line breaks: one line is one row)."""
    with open(path, "rb") as file:
        header = file.readline()
        size = file.seek(0, os.SEEK_END)
        start = max(len(header), size - keep_bytes)
        file.seek(start - 1)
        file.readline()  # to the start of the first whole row at or after ``start``
        tail = file.read()
    temporary = path.with_suffix(".csv.tmp")
    with open(temporary, "wb") as file:
        file.write(header + tail)
    os.replace(temporary, path)


def _tensorboard_writer(folder: Path):
    """A SummaryWriter when tensorboard is installed, else None (it is optional)."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(str(folder))
