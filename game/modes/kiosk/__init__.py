"""The event booth without drawing: its state machine (``booth``), the leaderboard in SQLite
(``leaderboard``) and the keyboard-or-gamepad name entry (``name_entry``)."""
