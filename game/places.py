"""Where Q-Arcade keeps what it writes: runs, recorded play, recordings, screenshots, the leaderboard.

Everything lies in one data folder, looked up each time it is needed, in this order:

1. the environment variable ``Q_ARCADE_DATA`` (``main.py --data-dir DIR`` sets it, so that the
   worker processes it starts look in the same place);
2. the source checkout the program runs from (``main.py``'s folder, holding ``pyproject.toml`` and
   ``.git``): ``runs/`` of a checkout stays where it was, whatever the current directory;
3. the platform's per-user data folder (``platformdirs``: ``~/.local/share/q-arcade`` on Linux).

Nothing is created on import or by asking where a folder is: :func:`made` creates one when something
is about to be written into it, and says in one sentence why it cannot. Paths a user types
(``--out runs/NAME``, ``--data DIR``, ``--leaderboard FILE``) stay relative to the current directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from game.errors import UserError

ENV_VAR = "Q_ARCADE_DATA"  # names the data folder; main.py --data-dir sets it for every process
APP_NAME = "q-arcade"  # the per-user data folder's name
CODE_DIR = Path(__file__).resolve().parents[1]  # the folder of main.py, game/ and agents/
CHECKOUT_MARKS = ("main.py", "pyproject.toml", ".git")  # a source checkout holds all three
LEADERBOARD_FILE = "kiosk.sqlite3"  # the kiosk's leaderboard, at the top of the data folder
CHOOSE_ANOTHER = f"choose another data folder with --data-dir DIR (or {ENV_VAR})"


def source_checkout() -> Path | None:
    """The source checkout the program runs from, or None when it runs installed."""
    if all((CODE_DIR / name).exists() for name in CHECKOUT_MARKS):
        return CODE_DIR
    return None


def data_dir() -> Path:
    """The data folder, absolute: ``$Q_ARCADE_DATA``, else the source checkout, else the user's one."""
    chosen = os.environ.get(ENV_VAR)
    if chosen:
        return Path(os.path.abspath(os.path.expanduser(chosen)))
    checkout = source_checkout()
    if checkout is not None:
        return checkout
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def data_dir_origin() -> str:
    """Why the data folder is where it is, in a few words (``main.py --help`` says it)."""
    if os.environ.get(ENV_VAR):
        return f"chosen by --data-dir or {ENV_VAR}"
    if source_checkout() is not None:
        return "the source checkout the program runs from"
    return "your user data folder"


def runs_dir() -> Path:
    """The parent of run directories (``runs/NAME``) that no ``--out`` placed elsewhere."""
    return data_dir() / "runs"


def datasets_dir() -> Path:
    """The recorded play: a Minari dataset root (``game.modes.datasets``)."""
    return data_dir() / "datasets"


def recordings_dir() -> Path:
    """Where F9 saves the last seconds of the window as a video."""
    return data_dir() / "recordings"


def screenshots_dir() -> Path:
    """Where F12 saves a screenshot."""
    return data_dir() / "screenshots"


def leaderboard_path() -> Path:
    """The kiosk's leaderboard (SQLite) when no ``--leaderboard`` names another file."""
    return data_dir() / LEADERBOARD_FILE


def check_writable(folder: Path, name: str = "The folder") -> None:
    """Raise UserError unless ``folder`` is a folder, or could be made one, that can be written into.

    Nothing is created: the nearest part of the path that exists must be a writable folder.
    """
    existing = folder
    try:
        while not existing.exists():  # a path through a file does not exist either: its file is found
            existing = existing.parent
    except OSError as error:  # a part of the path that cannot even be looked into
        raise UserError(
            f"{name} {folder} cannot be used ({error.strerror or error}); {CHOOSE_ANOTHER}."
        ) from error
    if not existing.is_dir():
        where = "it is a file" if existing == folder else f"{existing} is a file"
        raise UserError(f"{name} {folder} cannot be used ({where}); {CHOOSE_ANOTHER}.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"{name} {folder} cannot be written ({existing} is read-only); {CHOOSE_ANOTHER}.")


def check_data_dir() -> Path:
    """The data folder, checked as :func:`check_writable` does (main.py calls it at start when the
    folder was chosen)."""
    folder = data_dir()
    check_writable(folder, "The data folder")
    return folder


def made(folder: Path) -> Path:
    """``folder``, created with its parents if need be, just before something is written into it.

    Raises:
        UserError: one sentence when it cannot be made (a file stands in the way, no permission).
    """
    check_writable(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(
            f"The folder {folder} cannot be made ({error.strerror or error}); {CHOOSE_ANOTHER}."
        ) from error
    return folder
