"""The visitors' leaderboard: persistence, crashes mid-write, and hostile names."""

import os
import random
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from game.errors import UserError
from game.modes.kiosk import leaderboard as leaderboard_module
from game.modes.kiosk.booth import KioskConfig
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


def test_a_file_that_is_not_a_leaderboard_is_one_sentence_without_recovery(tmp_path):
    path = tmp_path / "scores.sqlite"
    path.write_bytes(b"this is not a database, just text" * 100)
    with pytest.raises(UserError, match="move it away") as caught:
        Leaderboard(path, recover=False)
    assert str(caught.value).count(". ") == 0, "one sentence"
    assert [p.name for p in tmp_path.iterdir()] == ["scores.sqlite"], "nothing moved without recovery"


# ---------------------------------------------------------------------- damaged files at start

GARBAGE = random.Random(0).randbytes(4096) + bytes(range(256)) * 16  # neither SQLite nor a usable journal
ASIDE = re.compile(r"scores\.damaged-\d{8}-\d{6}(-\d+)?\.sqlite$")  # where a damaged file goes


def good_board(path: Path, rows: int = 300) -> None:
    """A healthy leaderboard of several pages."""
    board = Leaderboard(path)
    for i in range(rows):
        board.add(f"kept{i}", "pong", "versus", i % 7, 3)
    board.close()


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def assert_started_empty(board: Leaderboard, folder: Path) -> Path:
    """The damaged file went aside under a timestamped name, the sentence says where, and the new
    board works; returns the file moved aside."""
    assert len(board) == 0 and board.top() == []
    (aside,) = [p for p in folder.iterdir() if ASIDE.match(p.name)]
    assert board.recovered is not None and aside.name in board.recovered
    assert "new, empty leaderboard" in board.recovered and board.recovered.count(". ") == 0
    board.add("Ada", "pong", "versus", 5, 3)
    board.close()
    again = Leaderboard(folder / "scores.sqlite")
    assert [e.name for e in again.top()] == ["Ada"] and again.recovered is None
    again.close()
    return aside


def test_random_bytes_are_moved_aside_and_an_empty_board_starts(tmp_path, capsys):
    path = tmp_path / "scores.sqlite"
    path.write_bytes(GARBAGE)
    board = Leaderboard(path)
    assert "damaged" in capsys.readouterr().err, "the booth's log says so too"
    aside = assert_started_empty(board, tmp_path)
    assert aside.read_bytes() == GARBAGE, "moved, never rewritten"


@pytest.mark.parametrize("suffix", ["-journal", "-wal"])
def test_a_damaged_file_goes_aside_with_its_half_written_journal(tmp_path, suffix):
    path = tmp_path / "scores.sqlite"
    path.write_bytes(GARBAGE[::-1])
    Path(f"{path}{suffix}").write_bytes(GARBAGE)
    board = Leaderboard(path)
    aside = assert_started_empty(board, tmp_path)
    assert Path(f"{aside}{suffix}").read_bytes() == GARBAGE, "the journal as it was, beside its file"
    assert not any(n.startswith("scores.sqlite-") or n.endswith(".kept") for n in names(tmp_path)), names(
        tmp_path
    )


@pytest.mark.parametrize("suffix", ["-journal", "-wal"])
def test_a_good_file_with_a_garbage_journal_keeps_its_scores(tmp_path, suffix):
    path = tmp_path / "scores.sqlite"
    good_board(path)
    Path(f"{path}{suffix}").write_bytes(GARBAGE)  # a power cut while a journal was being written
    board = Leaderboard(path)
    assert board.recovered is None and len(board) == 300
    assert board._db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    board.add("Ada", "pong", "versus", 9, 0)
    assert board.top(limit=1)[0].name == "Ada"
    board.close()
    assert names(tmp_path) == ["scores.sqlite"], "no copy of the journal is left behind"


def test_a_damaged_page_behind_a_good_header_is_found_at_start(tmp_path):
    path = tmp_path / "scores.sqlite"
    good_board(path)
    with open(path, "r+b") as file:  # the first page (header and schema) stays whole
        file.seek(2 * 4096 + 64)
        file.write(GARBAGE[:2000])
    assert_started_empty(Leaderboard(path), tmp_path)


def test_a_truncated_file_is_moved_aside(tmp_path):
    path = tmp_path / "scores.sqlite"
    good_board(path)
    os.truncate(path, 5000)
    assert_started_empty(Leaderboard(path), tmp_path)


def test_another_programs_scores_table_is_not_taken_for_a_leaderboard(tmp_path):
    path = tmp_path / "scores.sqlite"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE scores (player TEXT, points INTEGER)")
    other.execute("INSERT INTO scores VALUES ('x', 1)")
    other.commit()
    other.close()
    aside = assert_started_empty(Leaderboard(path), tmp_path)
    assert sqlite3.connect(aside).execute("SELECT * FROM scores").fetchall() == [("x", 1)]


def test_two_damaged_files_in_one_second_get_two_names(tmp_path, monkeypatch):
    monkeypatch.setattr(leaderboard_module.time, "strftime", lambda fmt: "20260102-030405")
    path = tmp_path / "scores.sqlite"
    for _ in range(2):
        path.write_bytes(GARBAGE)
        Leaderboard(path).close()
    assert names(tmp_path) == [
        "scores.damaged-20260102-030405-2.sqlite",
        "scores.damaged-20260102-030405.sqlite",
        "scores.sqlite",
    ]


def test_a_locked_file_is_refused_not_moved_aside(tmp_path, monkeypatch):
    monkeypatch.setattr(leaderboard_module, "BUSY_TIMEOUT_S", 0.05)
    path = tmp_path / "scores.sqlite"
    good_board(path, rows=3)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program writes to it
    try:
        with pytest.raises(UserError, match="cannot be opened") as caught:
            Leaderboard(path)
        assert str(caught.value).count(". ") == 0, "one sentence"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert names(tmp_path) == ["scores.sqlite"] and len(Leaderboard(path)) == 3


def test_the_kiosk_starts_on_a_damaged_file_but_refuses_one_it_cannot_write(tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(GARBAGE)
    config = KioskConfig.from_args("catch", "auto", 120, 20, str(junk))  # no refusal: the booth comes up
    board = Leaderboard(config.leaderboard_file)  # as the kiosk scene opens it
    assert board.recovered is not None and len(board) == 0
    board.close()
    refused = [str(tmp_path)]  # a folder
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if not os.access(locked, os.W_OK):  # root writes anywhere
        refused.append(str(locked / "board.sqlite3"))
    for path in refused:
        with pytest.raises(UserError, match="cannot be written") as caught:
            KioskConfig.from_args("catch", "auto", 120, 20, path)
        assert str(caught.value).count(". ") == 0
