"""``main.py arena --attach RUN``: what a window watching a many-machine job reads from its run directory.

An Ape-X job (``main.py train GAME --actors N``) writes the run directory of a local run, and while it
runs also ``fleet.json`` (the learner's and each actor's rates, every couple of seconds) and
``checkpoints/live.pt`` (its newest weights, every few seconds). The window never joins the job (it
is no Ray driver): it reads those files. This module is the model of that reading, without pygame:

- :class:`FleetStatus` is one ``fleet.json``; :meth:`JobWatch.headline` says whether the job runs,
  has ended, or has gone quiet;
- :class:`CsvTail` reads the rows appended to a metrics CSV since it last looked (a long run's
  ``episodes.csv`` is never read whole), and :meth:`JobWatch.refresh` turns them into curve points;
- :func:`newest_weights` finds the weights to play (live.pt, else latest.pt, else best.pt); the worker
  that plays them, reloading when they change, is ``game.modes.attach_worker``.

Every file may be missing, half-written by an older writer, or damaged: the model keeps what it
last read and says what is wrong in a sentence; it never raises for a file's content.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from game.errors import UserError

FLEET_FILE = "fleet.json"  # the job's rates, rewritten every ~2 s while it runs
LIVE = "live.pt"  # the job's newest weights, rewritten every ~10 s while it runs
WEIGHTS_FILES = (LIVE, "latest.pt", "best.pt")  # where the weights to play are looked for, in order
STALE_S = 10.0  # a running job's fleet.json older than this: "no news for N s"
TAIL_BYTES = 256 * 1024  # the first read of a CSV starts this far from its end (a long run's tail)


# ---------------------------------------------------------------------- fleet.json


@dataclass(frozen=True)
class ActorStatus:
    """One actor of the fleet, as the learner last heard of it."""

    index: int
    epsilon: float
    steps_per_s: float
    """agent steps per second of its environments"""
    version: int
    """the version of the weights it plays with"""
    transitions: int
    """transitions it has sent the learner in all"""
    lost: int
    """requests to it that never came back"""


@dataclass(frozen=True)
class FleetStatus:
    """One ``fleet.json``: the learner's rates and the fleet's, at ``time``."""

    running: bool
    time: float
    """unix seconds when the learner wrote it"""
    steps: int
    updates: int
    steps_per_s: float
    updates_per_s: float
    replay_ratio: float
    """transitions sampled per transition inserted"""
    weights_version: int
    lost_requests: int
    actors: tuple[ActorStatus, ...] = ()

    @classmethod
    def from_json(cls, payload: Any) -> FleetStatus:
        """Read a parsed ``fleet.json``; ValueError when it is not one (keys missing, wrong types)."""
        if not isinstance(payload, dict) or "time" not in payload or "running" not in payload:
            raise ValueError("it is not a fleet status (no 'running' or 'time')")
        actors = payload.get("actors") or []
        if not isinstance(actors, list) or not all(isinstance(a, dict) for a in actors):
            raise ValueError("its 'actors' is not a list of actors")
        try:
            return cls(
                running=bool(payload["running"]),
                time=_number(payload["time"]),
                steps=int(payload.get("steps", 0)),
                updates=int(payload.get("updates", 0)),
                steps_per_s=_number(payload.get("steps_per_s", 0.0)),
                updates_per_s=_number(payload.get("updates_per_s", 0.0)),
                replay_ratio=_number(payload.get("replay_ratio", 0.0)),
                weights_version=int(payload.get("weights_version", 0)),
                lost_requests=int(payload.get("lost_requests", 0)),
                actors=tuple(
                    ActorStatus(
                        index=int(actor.get("index", i)),
                        epsilon=_number(actor.get("epsilon", 0.0)),
                        steps_per_s=_number(actor.get("steps_per_s", 0.0)),
                        version=int(actor.get("version", -1)),
                        transitions=int(actor.get("transitions", 0)),
                        lost=int(actor.get("lost", 0)),
                    )
                    for i, actor in enumerate(actors)
                ),
            )
        except (TypeError, ValueError, OverflowError) as error:
            raise ValueError(f"a value is not a number ({error})") from error


def _number(value: Any) -> float:
    """A number of fleet.json (a NaN or an infinity is kept: the panel shows it as a dash)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"{value!r} is not a number")
    return float(value)


@dataclass(frozen=True)
class Headline:
    """Where the job stands, in a few words, and how a panel should colour them."""

    text: str
    tone: str
    """"good" (running), "dim" (ended, or no report yet) or "bad" (quiet too long, or unreadable)"""
    detail: str | None = None
    """a sentence more, where there is one (why fleet.json cannot be read)"""


# ---------------------------------------------------------------------- the metrics CSVs


class CsvTail:
    """The rows another process appended to a CSV since the last :meth:`read`.

    Only whole lines are taken (a row being written waits for the next read). The first read of a
    big file starts ``first_bytes`` from its end. A file that was replaced or shrank (a capped log
    dropping its oldest rows) is read again from its start, and :meth:`read` says so.
    """

    def __init__(self, path: Path, first_bytes: int = TAIL_BYTES):
        assert first_bytes > 0, first_bytes
        self.path = path
        self.first_bytes = first_bytes
        self._header: list[str] | None = None
        self._offset = 0  # bytes of the file already taken
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file read so far

    def read(self) -> tuple[list[dict[str, str]], bool]:
        """(new rows as dicts, whether they start the file over: points shown before are stale)."""
        try:
            stat = self.path.stat()
        except OSError:
            return [], False
        restarted = False
        identity = (stat.st_dev, stat.st_ino)
        if self._identity is not None and (identity != self._identity or stat.st_size < self._offset):
            self._header, self._offset, restarted = None, 0, True
        self._identity = identity
        try:
            with open(self.path, "rb") as file:
                if self._header is None:
                    line = file.readline()
                    if not line.endswith(b"\n"):  # not even the header is whole yet
                        return [], restarted
                    self._header = next(csv.reader([line.decode("utf-8", "replace").strip()]), [])
                    self._offset = len(line)
                    if stat.st_size - self._offset > self.first_bytes:
                        file.seek(stat.st_size - self.first_bytes)
                        self._offset = stat.st_size - self.first_bytes + len(file.readline())  # a cut row
                file.seek(self._offset)
                chunk = file.read(max(0, stat.st_size - self._offset))
        except OSError:
            return [], restarted
        whole = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(whole)
        header = self._header
        lines = whole.decode("utf-8", "replace").splitlines()
        rows = [dict(zip(header, row, strict=True)) for row in csv.reader(lines) if len(row) == len(header)]
        return rows, restarted


@dataclass
class NewPoints:
    """Curve points read since the last look, (x, y) each, and whether they start the curve over."""

    points: list[tuple[float, float]] = field(default_factory=list)
    from_start: bool = False


@dataclass
class RunNews:
    """What a :meth:`JobWatch.refresh` found in the metrics since the one before."""

    episodes: NewPoints = field(default_factory=NewPoints)
    """(agent step, return) of training episodes"""
    evaluations: NewPoints = field(default_factory=NewPoints)
    """(agent step, mean return) of evaluations"""
    losses: NewPoints = field(default_factory=NewPoints)
    """(agent step, loss) of the learner's reports"""


def _points(tail: CsvTail, x: str, y: str) -> NewPoints:
    rows, from_start = tail.read()
    points = []
    for row in rows:
        try:
            point = (float(row[x]), float(row[y]))
        except (KeyError, TypeError, ValueError):  # a damaged row, or an empty loss before updates began
            continue
        if math.isfinite(point[0]) and math.isfinite(point[1]):
            points.append(point)
    return NewPoints(points, from_start)


# ---------------------------------------------------------------------- the run directory


@dataclass(frozen=True)
class WeightsFile:
    """A checkpoint file to play, as found on disk."""

    path: Path
    mtime: float
    """unix seconds of its last write"""
    mtime_ns: int
    size: int

    @property
    def stamp(self) -> tuple[str, int, int]:
        """Changes whenever the file is written again."""
        return str(self.path), self.mtime_ns, self.size


def newest_weights(run_dir: Path) -> WeightsFile | None:
    """The weights of the run to play: ``live.pt`` or ``latest.pt``, whichever was written last (a job
    that ended may have saved latest.pt after its last live.pt), else ``best.pt``; None before any."""
    found = []
    for name in WEIGHTS_FILES:
        path = run_dir / "checkpoints" / name
        try:
            stat = path.stat()
        except OSError:
            continue
        if stat.st_size > 0:
            found.append(WeightsFile(path, stat.st_mtime, stat.st_mtime_ns, stat.st_size))
    newest = [w for w in found if w.path.name != "best.pt"]
    if newest:
        return max(newest, key=lambda w: w.mtime_ns)
    return found[0] if found else None


def check_run(run_dir: str | os.PathLike) -> str:
    """The game id of the run at ``run_dir``; UserError (one sentence) when it is not a run directory."""
    folder = Path(run_dir)
    if not folder.is_dir():
        raise UserError(f"There is no run directory {folder}; give the --out folder of a running 'train'.")
    try:
        payload = json.loads((folder / "config.json").read_text())
        game_id = payload["game_id"]
    except FileNotFoundError as error:
        raise UserError(
            f"{folder} is not a run directory (it has no config.json); give the --out folder of a 'train'."
        ) from error
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserError(
            f"The run's {folder / 'config.json'} cannot be read ({error}); check the path."
        ) from error
    if not isinstance(game_id, str):
        raise UserError(f"The run's {folder / 'config.json'} names no game; check the path.")
    return game_id


class JobWatch:
    """A job seen through its run directory: its fleet, its curves, its newest weights.

    Args:
        run_dir: the job's run directory (``check_run`` it first).
        clock: unix seconds now (tests pass their own).
    """

    def __init__(self, run_dir: str | os.PathLike, clock: Callable[[], float] = time.time):
        self.run_dir = Path(run_dir)
        self.clock = clock
        self.fleet: FleetStatus | None = None
        """the last fleet.json read whole (kept when a later one cannot be read)"""
        self.fleet_problem: str | None = None
        """why the newest fleet.json could not be read, while it cannot"""
        self._fleet_stamp: tuple[int, int] | None = None
        self._episodes = CsvTail(self.run_dir / "episodes.csv")
        self._evaluations = CsvTail(self.run_dir / "eval.csv")
        self._training = CsvTail(self.run_dir / "train.csv")

    def refresh(self) -> RunNews:
        """Read what changed: fleet.json (when it was rewritten) and the CSVs' new rows."""
        self._read_fleet()
        return RunNews(
            episodes=_points(self._episodes, "step", "return"),
            evaluations=_points(self._evaluations, "step", "mean_return"),
            losses=_points(self._training, "step", "loss"),
        )

    def _read_fleet(self) -> None:
        path = self.run_dir / FLEET_FILE
        try:
            stat = path.stat()
        except OSError:
            self.fleet_problem = None
            return
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._fleet_stamp:
            return
        self._fleet_stamp = stamp
        try:
            self.fleet = FleetStatus.from_json(json.loads(path.read_text()))
            self.fleet_problem = None
        except (OSError, ValueError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            self.fleet_problem = f"{FLEET_FILE} cannot be read ({error})"

    def headline(self) -> Headline:
        """Whether the job runs, has ended, has gone quiet, or has not reported yet."""
        fleet, problem = self.fleet, self.fleet_problem
        if fleet is None:
            if problem is not None:
                return Headline(f"{FLEET_FILE} unreadable", "bad", problem)
            detail = f"no {FLEET_FILE}: a local run, or a job not started"
            return Headline("no report yet", "dim", detail)
        if not fleet.running:
            return Headline("job ended", "dim", problem)
        quiet_s = self.clock() - fleet.time
        if quiet_s > STALE_S:
            return Headline(f"no news for {age_text(quiet_s)}", "bad", problem)
        return Headline("job running", "good" if problem is None else "bad", problem)

    def weights(self) -> WeightsFile | None:
        """The weights the worker plays (or soon will): see :func:`newest_weights`."""
        return newest_weights(self.run_dir)


def age_text(seconds: float) -> str:
    """How old something is, the way a caption says it: 12 s, 4 min, 3 h."""
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"
