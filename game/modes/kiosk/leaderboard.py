"""The visitors' leaderboard: who beat the agent, by how much, kept in a SQLite file.

Every write is one SQLite transaction (journal on disk, synchronous writes), so a crash or a power
cut mid-write leaves the board as it was before that write. Queries are parameterised; a name is
cleaned to at most MAX_NAME_CHARS letters, digits and a little punctuation before it is stored.

A file found damaged at start (random bytes, a page that cannot be read, a ``scores`` table of another
program) is moved aside under a timestamped name, with its journal, and an empty board is started:
an unattended booth must come up, and a supervisor that restarts it must not meet the same error
forever. ``Leaderboard.recovered`` then holds the sentence the booth shows; nothing is deleted.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from game.errors import UserError

MAX_NAME_CHARS = 12  # characters a visitor's name keeps
NAME_PUNCTUATION = " -_.!'"  # allowed besides letters and digits (any script)
DEFAULT_NAME = "PLAYER"  # for a name with nothing left after cleaning
BUSY_TIMEOUT_S = 5.0  # how long a write waits for another writer of the same file
SIDECARS = ("-journal", "-wal", "-shm")  # files SQLite keeps beside a database, by suffix
SIDECAR_COPY_MAX_BYTES = 64 * 2**20  # a journal larger than this is not copied before opening
DAMAGED_NAME = "%Y%m%d-%H%M%S"  # time stamp in the name a damaged file is moved to
DAMAGE_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)  # primary result codes of a bad file
COLUMNS = {"id", "name", "game", "mode", "player_score", "agent_score", "created"}  # of ``scores``

SCHEMA = """
CREATE TABLE IF NOT EXISTS scores (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    game TEXT NOT NULL,
    mode TEXT NOT NULL,
    player_score REAL NOT NULL,
    agent_score REAL NOT NULL,
    created REAL NOT NULL
)
"""


def clean_name(raw: str) -> str:
    """A visitor's name as it will be stored: printable letters, digits and a little punctuation.

    Unicode is normalised (NFC), control and other characters are dropped, runs of spaces become
    one, and the result is cut to MAX_NAME_CHARS; an empty result becomes DEFAULT_NAME.
    """
    text = unicodedata.normalize("NFC", raw)
    kept = "".join(c for c in text if c.isalnum() or c in NAME_PUNCTUATION)
    name = " ".join(kept.split())[:MAX_NAME_CHARS].strip()
    return name or DEFAULT_NAME


@dataclass(frozen=True)
class Entry:
    """One visitor's result against the agent."""

    name: str
    game: str
    mode: str  # "versus" or "race"
    player_score: float
    agent_score: float
    created: float  # seconds since the epoch

    @property
    def margin(self) -> float:
        """How far the visitor finished ahead of the agent (negative: behind)."""
        return self.player_score - self.agent_score


class LeaderboardDamagedError(Exception):
    """The file is not a readable leaderboard: not SQLite, a damaged page, or another program's table."""


class Leaderboard:
    """The scores in one SQLite file (created on first use).

    Args:
        path: the SQLite file.
        recover: a damaged file is moved aside (see :meth:`move_aside`) and an empty board started;
            with False it is refused with a UserError instead.

    Attributes:
        recovered: a sentence for the booth's screen when a damaged file was moved aside at start,
            else None.

    Raises:
        UserError: the file cannot be opened (locked by another program, unreadable), or it is damaged
            and ``recover`` is False or the new board cannot be started either.
    """

    def __init__(self, path: str | Path, recover: bool = True):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.recovered: str | None = None
        # SQLite deletes a journal it cannot use as it opens the file, damaged or not: keep a copy
        # first, so a damaged file goes aside with the journal it had.
        kept = _copy_sidecars(self.path)
        try:
            self._db = _open(self.path)
        except LeaderboardDamagedError as damage:
            if not recover:
                raise UserError(
                    f"The leaderboard file {self.path} is damaged or is not a leaderboard ({damage}); "
                    "move it away and a new one is started."
                ) from damage
            aside = self.move_aside(kept)
            self.recovered = (
                f"The leaderboard file {self.path} was damaged ({damage}); it was moved to {aside.name} "
                "and a new, empty leaderboard was started."
            )
            print(self.recovered, file=sys.stderr, flush=True)  # for the booth's log, as well as its screen
            try:
                self._db = _open(self.path)
            except LeaderboardDamagedError as again:
                raise UserError(
                    f"The leaderboard file {self.path} was damaged and moved to {aside.name}, but a new one "
                    f"cannot be started ({again}); pass another file with --leaderboard."
                ) from again
        finally:
            for copy in kept.values():
                copy.unlink(missing_ok=True)

    def move_aside(self, kept: dict[str, Path] | None = None) -> Path:
        """Rename the closed, damaged file to ``NAME.damaged-YYYYmmdd-HHMMSS.SUFFIX`` beside it, with its
        journal and WAL files (``kept``: copies taken before SQLite opened it, preferred to what it
        left); returns the new name of the database file."""
        kept = kept or {}
        aside = _free_name(self.path, time.strftime(DAMAGED_NAME))
        if self.path.exists():
            os.replace(self.path, aside)
        for suffix in SIDECARS:
            live = self.path.with_name(self.path.name + suffix)
            target = aside.with_name(aside.name + suffix)
            if suffix in kept:
                os.replace(kept[suffix], target)
                live.unlink(missing_ok=True)  # it must not meet the new, empty database
            elif live.exists():
                os.replace(live, target)
        return aside

    def add(self, name: str, game: str, mode: str, player_score: float, agent_score: float) -> Entry:
        """Record one result (its name cleaned first) in one transaction; returns what was stored."""
        entry = Entry(clean_name(name), game, mode, float(player_score), float(agent_score), time.time())
        with self._db:  # commits, or rolls back on any error
            self._db.execute(
                "INSERT INTO scores (name, game, mode, player_score, agent_score, created)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (entry.name, entry.game, entry.mode, entry.player_score, entry.agent_score, entry.created),
            )
        return entry

    def top(self, game: str | None = None, mode: str | None = None, limit: int = 10) -> list[Entry]:
        """The best results, largest margin over the agent first (earlier first among equals)."""
        rows = self._db.execute(
            "SELECT name, game, mode, player_score, agent_score, created FROM scores"
            " WHERE (? IS NULL OR game = ?) AND (? IS NULL OR mode = ?)"
            " ORDER BY player_score - agent_score DESC, created ASC, id ASC LIMIT ?",
            (game, game, mode, mode, int(limit)),
        ).fetchall()
        return [Entry(*row) for row in rows]

    def rank(self, entry: Entry) -> int:
        """1-based place of ``entry`` among the results of its game and mode."""
        (better,) = self._db.execute(
            "SELECT COUNT(*) FROM scores WHERE game = ? AND mode = ? AND"
            " (player_score - agent_score > ? OR (player_score - agent_score = ? AND created < ?))",
            (entry.game, entry.mode, entry.margin, entry.margin, entry.created),
        ).fetchone()
        return int(better) + 1

    def __len__(self) -> int:
        (count,) = self._db.execute("SELECT COUNT(*) FROM scores").fetchone()
        return int(count)

    def reset(self) -> None:
        """Forget every result (an operator's action)."""
        with self._db:
            self._db.execute("DELETE FROM scores")

    def close(self) -> None:
        self._db.close()


def _open(path: Path) -> sqlite3.Connection:
    """A connection to the leaderboard at ``path``, its table made and its pages checked.

    Raises:
        LeaderboardDamagedError: the file is damaged or holds another ``scores`` table (closed first).
        UserError: SQLite cannot open it for another reason (locked, unreadable, disk error).
    """
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    try:
        db.execute("PRAGMA synchronous = FULL")
        db.execute(SCHEMA)
        db.commit()
        problems = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]  # a small file: fast
        if problems != ["ok"]:
            first = " ".join(problems[0].split())[:80]  # a sentence on screen, not SQLite's report
            raise LeaderboardDamagedError(f"the check found: {first}")
        columns = {row[1] for row in db.execute("PRAGMA table_info(scores)").fetchall()}
        if COLUMNS - columns:
            raise LeaderboardDamagedError("its scores table is not a leaderboard's")
    except sqlite3.DatabaseError as error:
        db.close()
        if getattr(error, "sqlite_errorcode", 0) & 0xFF in DAMAGE_CODES:
            raise LeaderboardDamagedError(str(error)) from error
        raise UserError(
            f"The leaderboard file {path} cannot be opened ({error}); close any other program that uses it, "
            "or pass another file with --leaderboard."
        ) from error
    except LeaderboardDamagedError:
        db.close()
        raise
    return db


def _copy_sidecars(path: Path) -> dict[str, Path]:
    """Copies of the journal and WAL files beside ``path`` (hidden, same folder), by suffix.

    A copy that cannot be made (a full disk, a journal over SIDECAR_COPY_MAX_BYTES) is skipped: the
    file itself then goes aside as SQLite left it.
    """
    kept = {}
    for suffix in SIDECARS:
        live = path.with_name(path.name + suffix)
        copy = path.with_name(f".{path.name}{suffix}.kept")
        try:
            if live.is_file() and live.stat().st_size <= SIDECAR_COPY_MAX_BYTES:
                shutil.copyfile(live, copy)
                kept[suffix] = copy
        except OSError:
            copy.unlink(missing_ok=True)
    return kept


def _free_name(path: Path, stamp: str) -> Path:
    """``NAME.damaged-STAMP.SUFFIX`` beside ``path``, with -2, -3... when it is taken."""
    aside, n = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}"), 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.stem}.damaged-{stamp}-{n}{path.suffix}")
    return aside
