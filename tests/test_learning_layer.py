"""The arena's "how it learns" layer (F8), with a stand-in worker that sends synthetic views."""

from __future__ import annotations

import time

import numpy as np
import pygame
import pytest

from game.catalog import find_game
from game.modes.insight import (
    BellmanReadout,
    PredictedReturns,
    ReplayView,
    SaliencyView,
    SurpriseMoment,
    SurpriseView,
    TargetView,
)
from game.modes.protocol import ShowLearning
from game.ui import theme
from game.ui.app import App
from game.ui.scenes.arena import ArenaScene
from game.ui.scenes.kiosk.scene import CAPTIONS, KioskScene
from game.ui.widgets.kiosk_chrome import TAG_COLORS
from game.ui.widgets.learning.ghost import GHOST_SECONDS
from game.ui.widgets.learning.panel import GHOST, PANEL_COLORS, sizes_for
from game.ui.widgets.learning.readout import ReadoutPanel, Row, fit_rows, readout_rows
from game.ui.widgets.learning.target_panel import TargetPanel
from game.ui.widgets.qbars import MIN_BAR_PX, QBars
from tests.screen import FRAME_S, post_key
from tests.test_kiosk import FakeGames, FakeWorker, kiosk_config

SIZES = [(1280, 720), (1037, 648), (1280, 800), (864, 540)]
LAYER_PANELS = ("bars", "epsilon", "readout", "target", "surprise", "replay", "predicted", "saliency")
TARGET = 1.6915  # the synthetic readout's target y


def readout(**changes) -> BellmanReadout:
    """A 3-step Double DQN readout: rewards 0, 0, +1, bootstrapped from Q_target = 0.734."""
    values = dict(
        update=12_345,
        action=1,
        rewards=[0.0, 0.0, 1.0],
        discounts=[1.0, 0.99, 0.9801],
        bootstrap_discount=0.970299,
        ended="",
        next_action=1,
        next_q_target=0.734,
        double_dqn=True,
        target=TARGET,
        q_before=1.2,
        q_after=1.25,
        td_error=0.4915,
        huber_delta=1.0,
        weight=1.0,
        demo=False,
    )
    values.update(changes)
    return BellmanReadout(**values)


def views(frame: np.ndarray, n_actions: int, image: bool, seed: int = 0) -> dict:
    """One of each view, as the worker would send them (pictures for an image game, numbers otherwise)."""
    rng = np.random.default_rng(seed)
    small = np.ascontiguousarray(frame[::4, ::4])
    grey = rng.integers(0, 255, (84, 84), dtype=np.uint8)
    batch = 32
    heat = np.zeros(frame.shape[:2], dtype=np.float32)
    heat[: frame.shape[0] // 3, : frame.shape[1] // 3] = 1.0  # the top-left corner is hot
    read = readout(before=grey, after=grey) if image else readout(state_before=[0.1, -0.4, 0.88])
    if not image:
        read.state_after = [0.2, -0.3, 0.5]
    seconds = np.linspace(60, 0, 240)
    return dict(
        readout=read,
        replay=ReplayView(
            update=12_345,
            transitions=48_000,
            capacity=100_000,
            megabytes=310.5,
            demos=1_200,
            batch_demo_share=0.125,
            batch_age=rng.random(batch),
            batch_demo=np.arange(batch) % 8 == 0,
            batch_td=rng.random(batch),
            batch_pictures=rng.integers(0, 255, (batch, 42, 42), dtype=np.uint8) if image else None,
            showcase_row=3,
        ),
        target=TargetView(
            period=8_000,
            tau=1.0,
            updates_to_copy=1_234,
            copies=17,
            q_online=np.linspace(0.2, 0.9, n_actions),
            q_target=np.linspace(0.25, 0.8, n_actions),
        ),
        surprise=SurpriseView(
            seconds_ago=seconds,
            values=np.abs(np.sin(seconds)) * 0.6,
            window_s=60.0,
            moments=[SurpriseMoment(small, 0.83 - 0.2 * i, float(i == 0), 12.0 + 9 * i) for i in range(4)],
        ),
        predicted=PredictedReturns(
            episode=41,
            predicted=np.linspace(0.2, 0.9, 300),
            received=np.linspace(0.0, 1.0, 300) ** 2,
            gamma=0.99,
            truncated=True,
        ),
        saliency=SaliencyView(heat=heat, action=1) if image else None,
    )


class LearningWorker(FakeWorker):
    """A stand-in worker that sends the layer's views while it is asked to, in every ``every``-th snapshot."""

    def __init__(self, game_id: str, every: int = 1):
        super().__init__(game_id)
        self.image = game_id.startswith("ALE/")
        self.every = every
        self.learning = False
        self.since_start: list = []  # commands sent since the worker last started

    def start(self, resume=None):
        super().start(resume)
        self.learning = False  # a new worker process knows nothing of the layer
        self.since_start = []

    def send(self, command):
        super().send(command)
        self.since_start.append(command)
        if isinstance(command, ShowLearning):
            self.learning = command.on

    def poll(self):
        snapshot = super().poll()
        if snapshot is None or snapshot.error is not None:
            return snapshot
        snapshot.greedy_action = snapshot.action = int(np.argmax(snapshot.q_values))
        if self.learning and self.step % self.every == 0:
            for name, view in views(self.frame, self.n_actions, self.image, seed=self.step).items():
                setattr(snapshot, name, view)
        return snapshot


@pytest.fixture(autouse=True)
def fonts():
    pygame.init()


@pytest.fixture
def window(request):
    size = getattr(request, "param", (1280, 720))
    app = App(size=size, record=False)
    app.open()
    app.running = True
    yield app
    app.close()


def arena(app: App, game_id: str = "ALE/Pong-v5", every: int = 1) -> ArenaScene:
    scene = ArenaScene(app, find_game(game_id), LearningWorker(game_id, every))
    app.scene = scene
    return scene


def shown(app: App, scene: ArenaScene, frames: int = 3) -> None:
    for _ in range(frames):
        app.step(FRAME_S)


# ---------------------------------------------------------------------- the toggle


def test_f8_asks_the_worker_for_the_views_then_stops_it_and_a_restart_asks_again(window):
    scene = arena(window)
    post_key(pygame.K_F8)
    shown(window, scene, 1)
    assert scene.show_learning and ShowLearning(True) in scene.worker.sent
    post_key(pygame.K_F8)
    shown(window, scene, 1)
    assert not scene.show_learning and list(scene.worker.sent)[-1] == ShowLearning(False)

    scene.set_learning_layer(True)
    scene._restart()  # a new worker knows nothing of the layer
    assert scene.worker.starts == 2 and scene.worker.since_start == [ShowLearning(True)]
    scene.close()


def test_help_lists_f8():
    from game.ui.scenes.arena import HELP

    assert any(key == "F8" and "how it learns" in what for key, what in HELP)


def test_a_view_missing_from_a_snapshot_keeps_the_last_one(window):
    scene = arena(window, every=2)  # every other snapshot brings views, the others bring none
    scene.set_learning_layer(True)
    shown(window, scene, 5)
    first = scene.learning.readout.view
    assert first is not None and scene.learning.replay.view is not None
    scene.worker.learning = False  # nothing new from now on
    shown(window, scene, 3)
    assert scene.learning.readout.view is first
    scene.close()


def test_views_are_ignored_while_the_layer_is_off(window):
    scene = arena(window)
    scene.worker.learning = True  # a worker that still sends them (its last snapshots before the command)
    shown(window, scene, 3)
    assert scene.learning.readout.view is None and scene.qbars.ghost.action is None
    scene.close()


# ---------------------------------------------------------------------- the layout


@pytest.mark.parametrize("window", SIZES, indirect=True, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("game_id", ["ALE/Pong-v5", "catch", "runner", "ALE/MontezumaRevenge-v5"])
@pytest.mark.parametrize("with_views", [True, False], ids=["views", "waiting"])
def test_panels_lie_inside_the_window_and_apart(window, game_id, with_views):
    scene = arena(window, game_id)
    scene.set_learning_layer(True)
    scene.worker.learning = with_views
    shown(window, scene)
    size = window.surface.get_size()
    expected = set(LAYER_PANELS) - (
        {"saliency"} if not (with_views and game_id.startswith("ALE/")) else set()
    )
    assert expected <= set(scene.panels), sorted(scene.panels)
    rects = {name: scene.panels[name] for name in expected}
    window_rect = pygame.Rect((0, 0), size)
    bar = max(40, size[1] // 14)
    body = pygame.Rect(0, bar, size[0], size[1] - 2 * bar)
    for name, rect in rects.items():
        assert window_rect.contains(rect) and body.contains(rect), f"{name} at {rect} in a {size} window"
        tall = 10 if name == "epsilon" else 60  # a line of text; a card
        assert rect.width >= 100 and rect.height >= tall, f"{name} is too small to read: {rect}"
    names = sorted(rects)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not rects[a].colliderect(rects[b]), f"{a} {rects[a]} overlaps {b} {rects[b]}"
    scene.close()


def test_the_layer_off_brings_the_old_side_back_and_forgets_its_panels(window):
    scene = arena(window)
    scene.set_learning_layer(True)
    shown(window, scene)
    assert "readout" in scene.panels
    scene.set_learning_layer(False)
    shown(window, scene)
    assert not set(PANEL_COLORS) & set(scene.panels)
    assert {"bars", "epsilon"} <= set(scene.panels)
    assert scene.panels["bars"].height > window.surface.get_height() // 4, "the Q-bars have their old room"
    scene.close()


# ---------------------------------------------------------------------- the readout


def test_the_readout_writes_the_target_term_by_term():
    panel = ReadoutPanel(["NOOP", "FIRE"])
    panel.set(readout())
    text = "\n".join(panel.lines())
    assert "r_t = +0.00" in text
    assert "γ·r_t+1 = 0.990 × +0.00" in text
    assert "γ²·r_t+2 = 0.980 × +1.00" in text
    assert "γ³·Q_target(s', a'=FIRE) = 0.970 × 0.734" in text
    assert "online picks a', target values it" in text
    assert f"target y = {TARGET:.2f}" in text
    assert "1.20" in text and "1.25 after the update" in text
    assert "TD error δ = +0.49" in text
    assert "|δ| ≤ κ=1: the full δ pulls" in text


@pytest.mark.parametrize(
    ("changes", "wanted"),
    [
        ({"bootstrap_discount": 0.0, "ended": "terminated"}, "game over: nothing to bootstrap"),
        ({"ended": "truncated"}, "cut by the time limit: still bootstraps"),
        ({"td_error": -2.5}, "|δ| > κ=1: the pull is clipped to ±1"),
        ({"huber_delta": 0.0}, "squared loss"),
        ({"double_dqn": False}, "target picks and values"),
    ],
)
def test_the_readout_says_how_the_window_ended_and_how_hard_it_pulls(changes, wanted):
    panel = ReadoutPanel(["NOOP", "FIRE"])
    panel.set(readout(**changes))
    text = "\n".join(panel.lines())
    assert wanted in text
    if changes.get("ended") == "terminated":
        assert "Q_target(s', a'=" not in text, "nothing is bootstrapped after the game ended"


def test_a_short_card_folds_the_middle_terms_then_drops_notes():
    long = readout(rewards=[0.0] * 8, discounts=[0.99**j for j in range(8)], bootstrap_discount=0.99**8)
    fitted = fit_rows(readout_rows(long, ["NOOP", "FIRE"]), 10)
    assert len(fitted) <= 10
    assert any(r.label == "…" for r in fitted), "the middle terms fold into one line"
    assert any(r.label == "target y" for r in fitted) and any("TD error" in r.label for r in fitted)
    assert fit_rows([Row("a", []), Row("b", [], drop=1)], 1) == [Row("a", [])]


def test_the_readout_draws_its_text_into_the_arena(window, monkeypatch):
    scene = arena(window)
    scene.set_learning_layer(True)
    seen: list[str] = []

    class Recording(pygame.font.Font):
        def render(self, text, *args, **kwargs):
            seen.append(str(text))
            return super().render(text, *args, **kwargs)

    def font(size_px: int, bold: bool = False) -> pygame.font.Font:
        f = Recording(None, max(8, int(size_px)))
        f.set_bold(bold)
        return f

    monkeypatch.setattr(theme, "font", font)
    shown(window, scene)
    assert f"{TARGET:.2f}" in seen, "the target's number is on screen"
    assert "BELLMAN TARGET" in seen and "update #12,345" in seen
    scene.close()


# ---------------------------------------------------------------------- the ghost on the Q-bars


def test_the_target_marker_stands_where_the_bar_would_end_at_the_target():
    bars = QBars(3, ["NOOP", "LEFT", "RIGHT"])
    bars.update([0.1, 0.2, 0.3], 2, 2, False)
    bars.set_target(1, 1.7)
    lo, hi = bars.scale
    assert lo <= 1.7 <= hi, "the scale stretched to take the target in"
    surface = pygame.Surface((420, 220))
    bars.draw(surface, surface.get_rect())
    track = bars.layout(surface.get_rect()).rows[1].track
    x = bars.ghost_x(track)
    stub = MIN_BAR_PX
    assert x == pytest.approx(track.x + stub + (1.7 - lo) / (hi - lo) * (track.width - stub))
    top = track.y - 2  # the marker reaches above the bar's track, where nothing else is drawn
    column = [surface.get_at((round(x) + dx, top))[:3] for dx in (-2, -1, 0, 1, 2)]
    assert GHOST in column or any(min(c) > 200 for c in column), column
    bars.set_target(1, 1.7, now=time.monotonic() - GHOST_SECONDS - 1)
    assert bars.ghost_x(track) is None, "an old target's marker is gone"


def test_a_new_readout_marks_its_target_on_the_q_bars_only_with_the_layer_on(window):
    scene = arena(window)
    shown(window, scene)
    assert scene.qbars.ghost.action is None
    scene.set_learning_layer(True)
    shown(window, scene)
    assert scene.qbars.ghost.action == 1 and scene.qbars.ghost.value == pytest.approx(TARGET)
    scene.set_learning_layer(False)
    assert scene.qbars.ghost.action is None
    scene.close()


# ---------------------------------------------------------------------- saliency, target network


def test_the_saliency_glow_warms_the_hot_part_of_the_picture_only(window):
    scene = arena(window)
    scene.set_learning_layer(True)
    scene.worker.learning = False
    shown(window, scene)
    before = pygame.surfarray.array3d(window.surface).astype(int)
    assert "saliency" not in scene.panels, "no map yet: nothing on the picture"
    scene.worker.learning = True  # the same picture, now with a map whose top-left third is hot
    shown(window, scene, 1)
    after = pygame.surfarray.array3d(window.surface).astype(int)
    rect = scene.panels["saliency"]
    hot = (slice(rect.x + 4, rect.x + rect.width // 4), slice(rect.y + 4, rect.y + rect.height // 4))
    cold = (slice(rect.centerx, rect.right - 4), slice(rect.centery, rect.bottom - 30))

    def brightness(pixels, part):
        return float(pixels[part[0], part[1]].sum(axis=-1).mean())

    assert brightness(after, hot) > brightness(before, hot) + 100, "the hot corner glows"
    assert (after[hot[0], hot[1], 0] >= before[hot[0], hot[1], 0]).all(), "... in warm colours"
    assert np.array_equal(after[cold[0], cold[1]], before[cold[0], cold[1]]), "the rest stays as it was"
    scene.close()


def test_a_hard_copy_flashes_and_soft_updates_do_not():
    panel = TargetPanel(["NOOP", "FIRE"])
    view = views(np.zeros((8, 8, 3), np.uint8), 2, image=False)["target"]
    panel.set(view, now=100.0)
    assert panel.flash(100.0) == 0.0
    panel.set(TargetView(8_000, 1.0, 7_999, view.copies + 1, view.q_online, view.q_target), now=100.0)
    assert panel.flash(100.2) > 0.5 and panel.flash(101.5) == 0.0
    soft = TargetView(1, 0.01, 0, 10, view.q_online, view.q_target)
    panel = TargetPanel(["NOOP", "FIRE"])
    panel.set(soft, now=0.0)
    panel.set(TargetView(1, 0.01, 0, 11, view.q_online, view.q_target), now=0.0)
    assert panel.flash(0.1) == 0.0


def test_panels_render_once_per_view_not_every_frame(window, monkeypatch):
    scene = arena(window, every=1_000_000)  # views in no snapshot after the first few frames
    scene.set_learning_layer(True)
    scene.worker.step = 999_999  # the next snapshot brings them
    shown(window, scene, 2)
    renders = []
    panel = scene.learning.readout
    real = panel.render
    monkeypatch.setattr(panel, "render", lambda *a: renders.append(1) or real(*a))
    shown(window, scene, 10)
    assert renders == [], "nothing new: the card is a blit"
    scene.close()


def test_sizes_grow_with_the_window():
    assert sizes_for(540).text_px < sizes_for(720).text_px <= sizes_for(800).text_px


# ---------------------------------------------------------------------- the kiosk


@pytest.fixture
def booth(tmp_path):
    app = App(size=(1280, 720), kiosk=True, record=False)
    app.open()
    app.running = True
    scene = KioskScene(app, kiosk_config(tmp_path), FakeGames(app, kiosk_config(tmp_path)))
    app.scene = scene
    yield app, scene
    scene.close()
    app.close()


def test_the_kiosk_shows_how_it_learns_while_it_attracts(booth):
    app, scene = booth
    shown(app, scene, 3)
    assert scene.attract.show_learning
    assert ShowLearning(True) in scene.attract.worker.sent


def test_every_learning_panel_has_a_caption_with_its_own_colour():
    kinds = {kind for _, _, kind in CAPTIONS}
    assert set(PANEL_COLORS) <= kinds
    assert all(kind in TAG_COLORS for kind in kinds)
    assert len({TAG_COLORS[kind] for kind in PANEL_COLORS}) == len(PANEL_COLORS)


def test_the_kiosk_skips_the_glow_caption_where_there_is_no_glow(booth):
    app, scene = booth
    shown(app, scene, 3)
    assert "saliency" not in scene.attract.panels  # the stand-in worker sends no map
    looking = next(i for i, (_, _, kind) in enumerate(CAPTIONS) if kind == "saliency")
    scene.caption_index = looking - 1
    assert CAPTIONS[scene._next_caption()][2] != "saliency"
    scene.attract.panels["saliency"] = pygame.Rect(0, 0, 10, 10)
    assert scene._next_caption() == looking


def test_a_visitor_gets_the_room_and_the_attract_loop_gets_the_layer_back(booth):
    app, scene = booth
    shown(app, scene, 3)
    post_key(pygame.K_SPACE)
    shown(app, scene, 1)
    assert scene.kiosk.phase != "attract" and not scene.attract.show_learning
    scene._back_to_attract()
    assert scene.attract.show_learning
