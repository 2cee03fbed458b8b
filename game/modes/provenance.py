"""Where a run came from: ``RUN/provenance.json``, so that a curve or a score can be reproduced.

Each training session (the first ``train``, then every ``train --resume``) appends one record: when
it started, at which agent step, the command line and folder it ran from, the ``--import`` entries
that registered its game, the versions of Python and of the packages that decide what is learned
(torch, gymnasium, ale-py, numpy, pygame-ce, Q-Arcade), and the git commit of the checkout (null when
not run from one; ``dirty`` says whether tracked files differed from it). The file is rewritten
atomically.

:func:`import_run_games` applies a run's recorded imports again, so that ``train --resume``,
``evaluate`` and ``arena --checkpoint`` of the run find its game without ``--import`` repeated.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from game.gym_games import applied_imports, import_games

PROVENANCE = "provenance.json"  # in the run directory
FORMAT_VERSION = 1  # of provenance.json
PACKAGES = ("torch", "gymnasium", "ale-py", "numpy", "pygame-ce", "q-arcade")  # distributions recorded
GIT_TIMEOUT_S = 5.0  # a git that hangs (a network filesystem, a lock) must not delay training
REPOSITORY = Path(__file__).resolve().parents[2]  # the checkout this code runs from, if it is one


def versions() -> dict[str, str | None]:
    """Python's version and each package's installed version (None where it is not installed)."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _git(*args: str) -> str | None:
    """git's output in the repository, stripped; None without git, a checkout, or an answer in time."""
    if not (REPOSITORY / ".git").exists():
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(REPOSITORY), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def git_state() -> dict[str, Any]:
    """{"commit": HEAD or None, "dirty": tracked files changed since it (None when unknown)}."""
    commit = _git("rev-parse", "HEAD")
    changes = _git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit or None, "dirty": None if changes is None else bool(changes)}


def session(step: int, argv: list[str] | None = None) -> dict[str, Any]:
    """One training session's record, started at agent step ``step``, with this process's imports."""
    argv = list(sys.argv if argv is None else argv)
    return {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "step": step,
        "command": shlex.join(["python", *argv]),
        "argv": argv,
        "cwd": os.getcwd(),
        "imports": list(applied_imports()),
        "executable": sys.executable,
        "platform": platform.platform(),
        "versions": versions(),
        "git": git_state(),
    }


def record_session(run_dir: Path, step: int, argv: list[str] | None = None) -> Path:
    """Append this session to ``run_dir/provenance.json`` (made on the first); returns its path.

    A file that cannot be read is started anew; one that cannot be written raises OSError.
    """
    path = run_dir / PROVENANCE
    try:
        sessions = json.loads(path.read_text())["sessions"]
        if not isinstance(sessions, list):
            raise TypeError("sessions is not a list")
    except (OSError, ValueError, KeyError, TypeError):
        sessions = []
    sessions.append(session(step, argv))
    payload = {"format_version": FORMAT_VERSION, "sessions": sessions}
    run_dir.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{PROVENANCE}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(payload, indent=2) + "\n")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def run_of(target: str | os.PathLike) -> Path | None:
    """The run directory of ``target`` (the run directory itself, or a checkpoint in its
    ``checkpoints/``) where it has a provenance.json; None elsewhere (a shipped agent, a copied file)."""
    path = Path(target)
    run_dir = path if path.is_dir() else path.parent.parent if path.parent.name == "checkpoints" else None
    return run_dir if run_dir is not None and (run_dir / PROVENANCE).is_file() else None


def run_imports(run_dir: Path) -> tuple[str, ...]:
    """The ``--import`` entries of every session of the run, in the order first applied; none where
    provenance.json cannot be read."""
    try:
        sessions = json.loads((run_dir / PROVENANCE).read_text())["sessions"]
    except (OSError, ValueError, KeyError, TypeError):
        return ()
    lists = [record.get("imports") for record in sessions if isinstance(record, dict)]
    found = [entry for entries in lists if isinstance(entries, list) for entry in entries]
    return tuple(dict.fromkeys(entry for entry in found if isinstance(entry, str)))


def import_run_games(target: str | os.PathLike) -> tuple[str, ...]:
    """Apply the ``--import`` entries recorded for ``target``'s run (see :func:`run_of`); returns them.

    Raises:
        UserError: a recorded module that is no longer installed, or fails to import (one sentence
            naming the provenance.json it came from).
    """
    run_dir = run_of(target)
    if run_dir is None:
        return ()
    entries = run_imports(run_dir)
    import_games(entries, recorded_in=run_dir / PROVENANCE)
    return entries
