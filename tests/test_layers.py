"""The arrows run one way: main -> game -> agents; only game.ui imports pygame."""

import subprocess
import sys

OUTSIDE_UI = (
    "agents.trainer agents.dqn game.catalog game.atari game.atari_duel game.players game.race "
    "game.versus game.kiosk game.session game.leaderboard game.shipped game.training"
)
AGENTS = "agents.trainer agents.dqn agents.replay agents.tabular agents.selfplay agents.checkpoint"


def first_importer(modules: str, forbidden: str) -> str:
    """The first of ``modules`` that, imported in a fresh interpreter, loads ``forbidden`` (or '')."""
    code = (
        "import importlib, sys\n"
        f"for name in {modules.split()!r}:\n"
        "    importlib.import_module(name)\n"
        f"    if any(m == {forbidden!r} or m.startswith({forbidden + '.'!r}) for m in sys.modules):\n"
        "        print(name); break\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_modules_outside_the_ui_load_no_pygame():
    assert first_importer(OUTSIDE_UI, "pygame") == ""


def test_agents_know_nothing_of_games():
    assert first_importer(AGENTS, "game") == ""


def test_the_check_can_fail():
    assert first_importer("game.ui.app", "pygame") == "game.ui.app"
