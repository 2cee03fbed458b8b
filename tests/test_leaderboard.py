"""The visitors' leaderboard: persistence, crashes mid-write, and hostile names."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from game.errors import UserError
from game.modes.kiosk.leaderboard import DEFAULT_NAME, MAX_NAME_CHARS, Leaderboard, clean_name

ROOT = Path(__file__).resolve().parent.parent


def test_results_survive_a_restart_best_margin_first(tmp_path):
    board = Leaderboard(tmp_path / "scores.sqlite")
    board.add("Ada", "pong", "versus", 5, 3)
    board.add("Bob", "pong", "versus", 2, 5)
    board.add("Cy", "pong", "versus", 5, 1)
    board.add("Dee", "catch", "race", 9, 9)
    board.close()

    again = Leaderboard(tmp_path / "scores.sqlite")
    assert [e.name for e in again.top("pong", "versus")] == ["Cy", "Ada", "Bob"]
    assert [e.margin for e in again.top("pong", "versus")] == [4.0, 2.0, -3.0]
    assert [e.name for e in again.top()] == ["Cy", "Ada", "Dee", "Bob"]
    assert len(again) == 4
    entry = again.add("Eve", "pong", "versus", 4, 1)
    assert again.rank(entry) == 2, "behind Cy's 4, ahead of Ada's 2; equal margins rank the earlier first"
    again.reset()
    assert len(again) == 0 and again.top() == []


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Robert'); DROP TABLE scores;--", "Robert' DROP"),
        ('"quoted" name', "quoted name"),
        ("x" * 5000, "x" * MAX_NAME_CHARS),
        ("Zoë Ünal", "Zoë Ünal"),
        ("李小龍", "李小龍"),
        ("\x00\x1b[31mRED\n\t", "31mRED"),
        ("   ", DEFAULT_NAME),
        ("😀😀", DEFAULT_NAME),
        ("e\u0301", "é"),  # normalised: one character, not two
    ],
)
def test_hostile_names_are_cleaned_and_stored_verbatim(tmp_path, typed, stored):
    assert clean_name(typed) == stored
    board = Leaderboard(tmp_path / "scores.sqlite")
    board.add(typed, "pong", "versus", 1, 0)
    assert [e.name for e in board.top()] == [stored]
    tables = sqlite3.connect(tmp_path / "scores.sqlite").execute("SELECT name FROM sqlite_master").fetchall()
    assert ("scores",) in tables, "the table is still there"


CRASH = r"""
import os, sys
sys.path.insert(0, sys.argv[2])
from game.modes.kiosk.leaderboard import Leaderboard
board = Leaderboard(sys.argv[1])
board.add("kept", "pong", "versus", 3, 1)
db = board._db
db.execute("BEGIN")
for i in range(500):
    db.execute("INSERT INTO scores (name, game, mode, player_score, agent_score, created)"
               " VALUES (?,?,?,?,?,?)", (f"lost{i}", "pong", "versus", 1, 0, 0.0))
os._exit(9)  # the process dies mid-transaction: no commit, no clean close
"""


def test_a_crash_mid_write_keeps_what_was_committed(tmp_path):
    path = tmp_path / "scores.sqlite"
    result = subprocess.run(
        [sys.executable, "-c", CRASH, str(path), str(ROOT)], capture_output=True, text=True
    )
    assert result.returncode == 9, result.stderr
    board = Leaderboard(path)
    assert [e.name for e in board.top()] == ["kept"]
    assert board._db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_file_that_is_not_a_leaderboard_is_one_sentence(tmp_path):
    path = tmp_path / "scores.sqlite"
    path.write_bytes(b"this is not a database, just text" * 100)
    with pytest.raises(UserError, match="move it away"):
        Leaderboard(path)
