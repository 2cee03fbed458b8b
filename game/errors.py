"""Errors a user can cause: each message is one sentence that says what to do (main.py exits 2)."""


class UserError(Exception):
    """Bad input from the person at the keyboard: a game id, a flag, a missing display."""


class NoDisplayError(UserError):
    """There is no screen to open a window on."""
