"""The visitors' leaderboard: who beat the agent, by how much, kept in a SQLite file.

Every write is one SQLite transaction (journal on disk, synchronous writes), so a crash or a power
cut mid-write leaves the board as it was before that write. Queries are parameterised; a name is
cleaned to at most MAX_NAME_CHARS letters, digits and a little punctuation before it is stored.
"""

from __future__ import annotations

import sqlite3
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from game.errors import UserError

MAX_NAME_CHARS = 12  # characters a visitor's name keeps
NAME_PUNCTUATION = " -_.!'"  # allowed besides letters and digits (any script)
DEFAULT_NAME = "PLAYER"  # for a name with nothing left after cleaning
BUSY_TIMEOUT_S = 5.0  # how long a write waits for another writer of the same file

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


class Leaderboard:
    """The scores in one SQLite file (created on first use)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute(SCHEMA)
            self._db.commit()
        except sqlite3.DatabaseError as error:
            raise UserError(
                f"The leaderboard file {self.path} is damaged or is not a leaderboard ({error}); "
                "move it away and a new one is started."
            ) from error

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
