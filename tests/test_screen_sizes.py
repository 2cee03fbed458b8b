"""Any screen: the window fits the desktop, and every scene keeps all it draws inside the window.

The window sizes are those ``theme.window_size`` gives on three small desktops: a 1280x720 screen, a
1366x768 laptop (with a taskbar) and a 1024x600 netbook. Each scene is drawn onto a surface of that
size; every text drawn, and every picture blitted, must lie inside it, and the texts of the title bar
(the game's name, the who-is-playing banner, the score) and of the bottom bar must not run into each
other.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pygame
import pytest

from game.catalog import find_game
from game.modes.players import load_player
from game.modes.protocol import Snapshot
from game.ui import theme
from game.ui.app import App
from game.ui.scenes.arena import ArenaScene
from game.ui.scenes.kiosk.scene import KioskScene
from game.ui.scenes.menu import MenuScene
from game.ui.scenes.play import PlayScene
from game.ui.scenes.race import RaceScene
from game.ui.scenes.versus import VersusScene
from game.ui.widgets import text as text_widgets
from tests.screen import FRAME_S
from tests.test_kiosk import FakeGames, FakeWorker, kiosk_config

DESKTOPS = {(1280, 720): (1037, 648), (1366, 768): (1106, 691), (1024, 600): (864, 540)}
"""small desktops and the window each gets"""


# ---------------------------------------------------------------------- the window's size


@pytest.mark.parametrize(("desktop", "window"), [*DESKTOPS.items(), ((1920, 1080), theme.WINDOW_SIZE)])
def test_the_window_takes_at_most_nine_tenths_of_the_desktop_with_its_aspect_kept(desktop, window):
    size = theme.window_size(desktop)
    assert size == window
    assert size[0] <= desktop[0] * theme.DESKTOP_SHARE and size[1] <= desktop[1] * theme.DESKTOP_SHARE
    assert size[0] / size[1] == pytest.approx(1.6, abs=0.01)


def test_a_tiny_desktop_gets_the_minimum_and_never_more_than_itself():
    assert theme.window_size((800, 600)) == theme.MIN_WINDOW_SIZE
    assert theme.window_size((640, 480)) == (640, 480)
    assert theme.window_size(None) == theme.WINDOW_SIZE


def test_the_window_opens_fitted_to_the_desktop(monkeypatch):
    monkeypatch.setattr(pygame.display, "get_desktop_sizes", lambda: [(1280, 720)])
    app = App(record=False)
    app.open()
    try:
        assert app.surface.get_size() == (1037, 648)
        app.toggle_fullscreen()
        app.toggle_fullscreen()  # back in a window: the same fitted size
        assert pygame.display.get_surface().get_size() == (1037, 648)
    finally:
        app.close()


# ---------------------------------------------------------------------- what the scenes draw


class Probe(pygame.Surface):
    """A surface that remembers where every picture was blitted onto it."""

    def __init__(self, size: tuple[int, int]):
        super().__init__(size)
        self.blits: list[pygame.Rect] = []

    def blit(self, source, dest, area=None, special_flags=0):
        size = pygame.Rect(area).size if area is not None else source.get_size()
        rect = pygame.Rect((dest[0], dest[1]), size)  # a position, or a rect whose size is ignored
        self.blits.append(rect)
        return super().blit(source, dest, area, special_flags)


@dataclass
class Drawn:
    """The texts (with their rects) and the chromes of one frame."""

    texts: list[tuple[str, pygame.Rect]] = field(default_factory=list)
    chromes: list[text_widgets.Chrome] = field(default_factory=list)


@pytest.fixture
def drawn(monkeypatch) -> Drawn:
    """Every draw_text and draw_chrome in the UI recorded, wherever it was imported."""
    record = Drawn()
    real_text, real_chrome = text_widgets.draw_text, text_widgets.draw_chrome

    def draw_text(surface, line, *args, **kwargs):
        rect = real_text(surface, line, *args, **kwargs)
        record.texts.append((line, rect))
        return rect

    def draw_chrome(surface, title):
        chrome = real_chrome(surface, title)
        record.chromes.append(chrome)
        return chrome

    for name, module in list(sys.modules.items()):
        if name.startswith("game.ui"):
            if getattr(module, "draw_text", None) is real_text:
                monkeypatch.setattr(module, "draw_text", draw_text)
            if getattr(module, "draw_chrome", None) is real_chrome:
                monkeypatch.setattr(module, "draw_chrome", draw_chrome)
    return record


class LongRunWorker(FakeWorker):
    """A learner far into a long run: the widest numbers, moving Q-values, a loss and returns."""

    def poll(self):
        self.step += 1
        q = np.sin(np.arange(self.n_actions) + self.step / 10).astype(np.float32)
        return Snapshot(
            frames=[self.frame],
            q_values=q,
            action=int(np.argmax(q)),
            greedy_action=int(np.argmax(q)),
            steps=12_345_678 + self.step,  # the widest numbers a long run shows
            episodes=1_234_567 + self.step,
            updates=3_086_419 + self.step,
            recent_returns=[float(self.step % 7)],
            loss=1.0 / self.step,
            mean_q=0.1 * self.step,
            epsilon=0.05,
            steps_per_second=1234.5,
            checkpoint="runs/arena-catch-20250101-120000/checkpoints/latest.pt",
            labels=[],
        )


def arena(app: App, game_id: str = "catch") -> ArenaScene:
    return ArenaScene(app, find_game(game_id), LongRunWorker(game_id))


def arena_taken_over(app: App) -> ArenaScene:
    """The longest banner (YOU ARE PLAYING, how often the agent agrees, TAB, fast and paused) beside
    the longest title."""
    scene = arena(app, "ALE/MontezumaRevenge-v5")
    scene.takeover.input()
    scene.agreement.extend([True, False, True])
    scene.fast = scene.paused = True
    return scene


def arena_with_help(app: App) -> ArenaScene:
    scene = arena(app)
    scene.help = True
    return scene


def arena_with_an_error(app: App) -> ArenaScene:
    scene = arena(app)
    scene.error = Snapshot(error="RuntimeError: " + "a long reason " * 12)
    return scene


def kiosk(app: App, tmp_path) -> KioskScene:
    return KioskScene(app, kiosk_config(tmp_path), FakeGames(app, kiosk_config(tmp_path)))


def kiosk_visit(app: App, tmp_path, game: str) -> KioskScene:
    """A visitor playing ``game`` (versus Tic-Tac-Toe or a race at Catch), the booth's clock over it."""
    scene = kiosk(app, tmp_path)
    app.scene = scene
    while scene.kiosk.game != game:
        scene.loop.show_next()
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0, unicode=" ", scancode=0))
    deadline = time.monotonic() + 60  # the opponent loads in a thread
    while scene.visit is None and time.monotonic() < deadline:
        app.step(FRAME_S)
        time.sleep(0.01)
    assert scene.visit is not None, "the visitor's game opened"
    return scene


SCENES: dict[str, Callable] = {
    "menu": lambda app, tmp_path: MenuScene(app),
    "arena catch": lambda app, tmp_path: arena(app),
    "arena tictactoe": lambda app, tmp_path: arena(app, "tictactoe"),
    "arena taken over": lambda app, tmp_path: arena_taken_over(app),
    "arena help": lambda app, tmp_path: arena_with_help(app),
    "arena error": lambda app, tmp_path: arena_with_an_error(app),
    "play catch": lambda app, tmp_path: PlayScene(app, find_game("catch"), seed=1),
    "play ALE/Pong-v5": lambda app, tmp_path: PlayScene(app, find_game("ALE/Pong-v5"), seed=1),
    "play tictactoe": lambda app, tmp_path: PlayScene(app, find_game("tictactoe"), seed=1),
    "versus pong": lambda app, tmp_path: VersusScene(app, find_game("pong"), load_player(find_game("pong"))),
    "versus tictactoe": lambda app, tmp_path: VersusScene(
        app, find_game("tictactoe"), load_player(find_game("tictactoe"))
    ),
    "versus ALE/Pong-v5": lambda app, tmp_path: VersusScene(
        app, find_game("ALE/Pong-v5"), load_player(find_game("ALE/Pong-v5"))
    ),
    "race catch": lambda app, tmp_path: RaceScene(app, find_game("catch"), load_player(find_game("catch"))),
    "race ALE/Breakout-v5": lambda app, tmp_path: RaceScene(
        app, find_game("ALE/Breakout-v5"), load_player(find_game("ALE/Breakout-v5"))
    ),
    "kiosk": kiosk,
    "kiosk versus": lambda app, tmp_path: kiosk_visit(app, tmp_path, "tictactoe"),
    "kiosk race": lambda app, tmp_path: kiosk_visit(app, tmp_path, "catch"),
}


def outside(rect: pygame.Rect, size: tuple[int, int]) -> bool:
    return rect.left < 0 or rect.top < 0 or rect.right > size[0] or rect.bottom > size[1]


def in_bar(rect: pygame.Rect, bar: pygame.Rect) -> bool:
    return bar.top <= rect.centery < bar.bottom


@pytest.mark.parametrize("window", list(DESKTOPS.values()), ids=[f"{w}x{h}" for w, h in DESKTOPS])
@pytest.mark.parametrize("name", list(SCENES))
def test_every_scene_keeps_its_text_and_bars_inside_a_small_window(name, window, drawn, tmp_path):
    app = App(size=window, record=False)
    app.open()
    app.running = True
    scene = None
    try:
        scene = SCENES[name](app, tmp_path)
        for _ in range(3):  # snapshots taken, previews made, first frames shown
            app.scene = scene
            app.step(0.3 if name == "menu" else FRAME_S)
        drawn.texts.clear()
        drawn.chromes.clear()
        probe = Probe(window)
        scene.draw(probe)

        assert drawn.texts, "the scene drew its text through draw_text"
        for line, rect in drawn.texts:
            assert not outside(rect, window), f"{line!r} at {rect} runs off a {window} window"
        for rect in probe.blits:
            assert not outside(rect, window), f"a picture at {rect} runs off a {window} window"
        for chrome in drawn.chromes:
            for bar in (chrome.top, chrome.bottom):
                assert not outside(bar, window) and bar.height > 0
                inside = [(line, rect) for line, rect in drawn.texts if in_bar(rect, bar)]
                for i, (line, rect) in enumerate(inside):
                    assert bar.top <= rect.top and rect.bottom <= bar.bottom, f"{line!r} spills out"
                    for other, other_rect in inside[i + 1 :]:
                        assert not rect.colliderect(other_rect), f"{line!r} runs into {other!r}"
        if name.startswith("arena") and name != "arena help":
            banner = [r for line, r in drawn.texts if line.startswith(("THE AGENT IS PLAYING", "YOU ARE"))]
            assert banner and drawn.chromes and drawn.chromes[0].top.contains(banner[0]), "the banner shows"
    finally:
        if hasattr(scene, "close"):
            scene.close()
        app.scene = None
        app.close()
