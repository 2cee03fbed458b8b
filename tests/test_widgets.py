"""The arena's overlay widgets: Q-value bars, epsilon gauge and line plots, drawn headless."""

import itertools

import numpy as np
import pygame
import pytest

from game.ui import theme
from game.ui.widgets import draw, qbars
from game.ui.widgets.gauge import EpsilonGauge, linear_epsilon
from game.ui.widgets.plot import LinePlot, log_bounds, nice_bounds
from game.ui.widgets.qbars import QBars

PONG = ["NOOP", "FIRE", "RIGHT", "LEFT", "RIGHTFIRE", "LEFTFIRE"]
SEAQUEST = [
    "NOOP",
    "FIRE",
    "UP",
    "RIGHT",
    "LEFT",
    "DOWN",
    "UPRIGHT",
    "UPLEFT",
    "DOWNRIGHT",
    "DOWNLEFT",
    "UPFIRE",
    "RIGHTFIRE",
    "LEFTFIRE",
    "DOWNFIRE",
    "UPRIGHTFIRE",
    "UPLEFTFIRE",
    "DOWNRIGHTFIRE",
    "DOWNLEFTFIRE",
]
SIZES = [(260, 150), (300, 200), (440, 280), (600, 600), (700, 180)]  # (width, height) of widget rects


@pytest.fixture(autouse=True)
def pg():
    pygame.init()
    yield
    pygame.quit()
    theme.font.cache_clear()


def canvas(w: int, h: int) -> pygame.Surface:
    surface = pygame.Surface((w, h))
    surface.fill(theme.BACKGROUND)
    return surface


def is_picture(surface: pygame.Surface) -> bool:
    pixels = pygame.surfarray.array3d(surface).reshape(-1, 3)
    return pixels.std() > 8 and len(np.unique(pixels[::3], axis=0)) > 20


def pixel(surface: pygame.Surface, pos) -> tuple[int, int, int]:
    return tuple(surface.get_at((int(pos[0]), int(pos[1]))))[:3]


# ---------------------------------------------------------------------- Q-value bars


def test_a_larger_q_gives_a_longer_bar():
    bars = QBars(4, ["NOOP", "FIRE", "LEFT", "RIGHT"])
    q = np.array([0.1, -0.3, 0.5, 0.2])
    bars.update(q, chosen=2, greedy=2, explored=False)
    lengths = bars.bar_lengths(200)
    assert np.all(np.diff(lengths[np.argsort(q)]) > 0)
    assert lengths.min() > 0 and lengths.max() <= 200


def test_drawn_bars_follow_the_values():
    bars = QBars(5, ["A", "B", "C", "D", "E"])
    q = np.array([1.0, 3.0, 2.0, 4.0, 5.0])  # all positive: no zero line crosses the bars
    bars.update(q, chosen=4, greedy=4, explored=False)
    surface, rect = canvas(500, 300), pygame.Rect(0, 0, 500, 300)
    bars.draw(surface, rect)
    drawn = []
    for row in bars.layout(rect).rows[:4]:  # the last one carries a tag over its bar
        line = pygame.surfarray.array3d(surface)[row.track.left : row.track.right, row.track.centery]
        drawn.append(int(np.all(line == qbars.BAR, axis=1).sum()))
    assert np.all(np.diff(np.array(drawn)[np.argsort(q[:4])]) > 0)
    expected = bars.bar_lengths(bars.layout(rect).rows[0].track.width)[:4]
    assert np.allclose(drawn, expected, atol=bars.layout(rect).rows[0].track.height)  # rounded ends


def test_labels_are_the_action_names_and_long_ones_are_cut():
    bars = QBars(6, PONG)
    bars.update(np.zeros(6), 0, 0, False)
    assert [row.text for row in bars.layout(pygame.Rect(0, 0, 600, 400)).rows] == PONG
    narrow = QBars(2, ["NOOP", "A_VERY_LONG_ACTION_NAME_THAT_CANNOT_FIT"])
    narrow.update(np.zeros(2), 0, 0, False)
    row = narrow.layout(pygame.Rect(0, 0, 200, 150)).rows[1]
    font = theme.font(narrow.layout(pygame.Rect(0, 0, 200, 150)).text_px)
    assert row.text.endswith("…") and "A_VERY".startswith(row.text[:3])
    assert font.size(row.text)[0] <= row.label.width


def test_missing_labels_are_numbered():
    assert QBars(3, ["NOOP"]).labels == ["NOOP", "A1", "A2"]


def test_greedy_random_and_human_moves_are_marked_differently():
    q = np.array([0.2, 0.9, 0.4])
    rect = pygame.Rect(0, 0, 400, 200)

    def chosen_color(chosen: int, explored: bool, human: bool = False) -> tuple[int, int, int]:
        bars = QBars(3, ["NOOP", "JUMP", "DUCK"])
        bars.update(q, chosen, greedy=1, explored=explored, human=human)
        surface = canvas(*rect.size)
        bars.draw(surface, rect)
        track = bars.layout(rect).rows[chosen].track
        return pixel(surface, (track.x + 2, track.centery))

    assert chosen_color(1, explored=False) == qbars.GREEDY
    assert chosen_color(1, explored=True) == qbars.EXPLORE  # a random draw that hit the best action
    assert chosen_color(2, explored=True) == qbars.EXPLORE
    assert chosen_color(2, explored=False, human=True) == qbars.HUMAN

    bars = QBars(3, ["NOOP", "JUMP", "DUCK"])
    bars.update(q, 2, greedy=1, explored=True)
    assert [m[2] for m in bars.marks()] == [None, "BEST", "RANDOM"]
    assert bars.marks()[1][1] == qbars.GREEDY  # the greedy action stays outlined while exploring
    bars.update(q, 2, greedy=1, explored=False, human=True)
    assert [m[2] for m in bars.marks()] == [None, "AGENT", "YOU"]
    bars.update(q, 1, greedy=1, explored=False)
    assert [m[2] for m in bars.marks()] == [None, "GREEDY", None]


def test_the_scale_holds_still_for_small_moves_and_expands_for_a_jump():
    bars = QBars(3)
    q = np.array([1.0, 2.0, 3.0])
    for _ in range(300):
        bars.update(q, 0, 2, False)
    lo, hi = bars.scale
    assert lo < 1.0 and hi > 3.0 and hi - lo < 2.6  # settled close around the values
    rng = np.random.default_rng(0)
    for _ in range(60):  # jitter of 1% of the range, frame after frame
        bars.update(q + rng.normal(0, 0.02, 3), 0, 2, False)
        assert abs(bars.scale[0] - lo) < 0.02 and abs(bars.scale[1] - hi) < 0.02
    bars.update(np.array([1.0, 2.0, 10.0]), 2, 2, False)
    assert bars.scale[1] >= 10.0  # a jump is on the scale at once
    before = bars.scale
    bars.update(q, 0, 2, False)
    assert bars.scale[1] > 9.5 and bars.scale[1] <= before[1]  # and it comes back slowly


def test_non_finite_q_values_do_not_break_the_scale():
    bars = QBars(3)
    bars.update([0.0, 1.0, 2.0], 0, 2, False)
    bars.update([np.nan, 1.0, np.inf], 0, 1, False)
    assert np.isfinite(bars.scale).all()
    assert np.isfinite(bars.bar_lengths(100)).all()
    surface = canvas(300, 200)
    bars.draw(surface, pygame.Rect(0, 0, 300, 200))


def test_a_zero_line_marks_q_zero_when_the_range_spans_it():
    bars = QBars(3)
    bars.update([-1.0, 0.5, 1.0], 2, 2, False)
    rect = pygame.Rect(0, 0, 400, 240)
    surface = canvas(*rect.size)
    bars.draw(surface, rect)
    lay = bars.layout(rect)
    track = lay.rows[0].track
    x = track.x + (0 - bars.scale[0]) / (bars.scale[1] - bars.scale[0]) * (track.width - 1)
    column = pygame.surfarray.array3d(surface)[round(x), lay.rows[0].row.top : lay.rows[-1].row.bottom]
    assert np.all(column == qbars.ZERO_LINE, axis=1).sum() > 10


def test_dueling_value_gets_its_own_row():
    bars = QBars(3, ["NOOP", "JUMP", "DUCK"])
    rect = pygame.Rect(0, 0, 400, 240)
    bars.update([0.0, 1.0, 2.0], 2, 2, False)
    assert bars.layout(rect).value_row is None
    bars.update([0.0, 1.0, 2.0], 2, 2, False, value=1.0)
    value_row = bars.layout(rect).value_row
    assert value_row is not None and value_row.text == "V(s)"
    assert value_row.row.top >= bars.layout(rect).rows[-1].row.bottom
    surface = canvas(*rect.size)
    bars.draw(surface, rect)
    assert pixel(surface, (value_row.track.x + 3, value_row.track.centery)) == qbars.VALUE_COLOR


def test_history_keeps_the_last_values_per_action():
    bars = QBars(2)
    for t in range(qbars.HISTORY_LEN + 30):
        bars.update([t, -t], 0, 0, False)
    history = bars.history()
    assert history.shape == (qbars.HISTORY_LEN, 2)
    assert history[-1].tolist() == [qbars.HISTORY_LEN + 29, -(qbars.HISTORY_LEN + 29)]
    assert history[0, 0] == 30


@pytest.mark.parametrize("height", [200, 260, 400])
def test_eighteen_actions_fit_without_overlapping(height):
    bars = QBars(18, SEAQUEST)
    bars.update(np.linspace(-1, 1, 18), 3, 17, True, value=0.0)
    rect = pygame.Rect(10, 10, 300, height)
    lay = bars.layout(rect)
    rows = [row.row for row in lay.rows] + [lay.value_row.row]
    assert all(rect.contains(row) for row in rows)
    assert all(a.bottom <= b.top for a, b in itertools.pairwise(rows))
    assert lay.title.bottom <= rows[0].top
    assert theme.font(lay.text_px).get_height() <= lay.rows[0].row.height + 2  # labels are drawn, not dropped
    assert lay.text_px >= draw.font_px(draw.FLOOR_GLYPH_PX)
    assert all(row.text for row in lay.rows)


def test_text_grows_with_the_rect():
    bars = QBars(4, ["NOOP", "FIRE", "RIGHT", "LEFT"])
    bars.update(np.zeros(4), 0, 0, False)
    small, large = bars.layout(pygame.Rect(0, 0, 500, 160)), bars.layout(pygame.Rect(0, 0, 1000, 600))
    assert large.text_px > small.text_px and large.title_px > small.title_px


# ---------------------------------------------------------------------- epsilon gauge


def test_random_share_is_measured_over_the_window():
    gauge = EpsilonGauge(window=10)
    assert gauge.random_share == 0.0 and gauge.moves == 0
    for i in range(15):
        gauge.update(0.3, explored=i < 8, step=i)  # 8 random moves, then 7 greedy ones
    assert gauge.moves == 10
    assert gauge.random_share == pytest.approx(3 / 10)  # moves 5..14: 5, 6, 7 were random
    gauge.update(0.3, explored=None, step=15)  # a person's move is no agent move
    assert gauge.moves == 10 and gauge.random_share == pytest.approx(3 / 10)


def test_linear_schedule_table():
    assert linear_epsilon(0, 1.0, 0.1, 100) == 1.0
    assert linear_epsilon(50, 1.0, 0.1, 100) == pytest.approx(0.55)
    assert linear_epsilon(100, 1.0, 0.1, 100) == pytest.approx(0.1)
    assert linear_epsilon(10_000, 1.0, 0.1, 100) == pytest.approx(0.1)
    assert linear_epsilon(5, 1.0, 0.1, 0) == 0.1
    gauge = EpsilonGauge()
    gauge.update(0.5, False, 25, schedule=(1.0, 0.0, 100), override=True)
    assert gauge.scheduled() == pytest.approx(0.75) and gauge.override


# ---------------------------------------------------------------------- line plot


def test_moving_average_exact_values():
    plot = LinePlot("return", average_window=3)
    plot.extend([1.0, 2.0, 3.0, 4.0, 5.0, 9.0])
    assert plot.moving_average().tolist() == pytest.approx([1.0, 1.5, 2.0, 3.0, 4.0, 6.0])
    assert plot.xs.tolist() == [1, 2, 3, 4, 5, 6]
    assert LinePlot("empty").moving_average().size == 0


def test_plot_memory_is_bounded():
    plot = LinePlot("loss", maxlen=50)
    for step in range(1000):
        plot.append(step, float(step))
    assert len(plot) == 50
    assert plot.xs[0] == 950 and plot.ys[-1] == 999
    plot.append(1000, float("nan"))  # a NaN loss is skipped, not plotted
    assert len(plot) == 50 and plot.ys[-1] == 999


def test_robust_range_ignores_a_spike():
    values = [*np.random.default_rng(0).normal(1.0, 0.1, 200), 1000.0]
    robust, plain = LinePlot("loss"), LinePlot("loss", robust=False)
    robust.extend(values)
    plain.extend(values)
    assert robust.y_range()[1] < 5 and plain.y_range()[1] >= 1000
    log = LinePlot("loss", log_scale=True)
    log.extend([0.001, 0.01, 0.1])
    assert 10 ** np.array(log.y_range()) == pytest.approx([0.0005, 0.2])  # padded, then 1-2-5 rounded


def test_axis_limits_are_round_numbers():
    assert nice_bounds(-23.4, 22.0) == (-25.0, 25.0)
    assert nice_bounds(0.013, 0.087) == pytest.approx((0.01, 0.09))
    assert 10 ** np.array(log_bounds(np.log10(0.003), np.log10(0.07))) == pytest.approx([0.002, 0.1])


def test_plot_redraws_when_data_changes():
    plot = LinePlot("episode return")
    rect = pygame.Rect(0, 0, 300, 150)
    first = canvas(*rect.size)
    plot.draw(first, rect)
    plot.extend([-21.0, -20.0, -15.0, -18.0, -10.0])
    second = canvas(*rect.size)
    plot.draw(second, rect)
    assert pygame.surfarray.array3d(first).tolist() != pygame.surfarray.array3d(second).tolist()


# ---------------------------------------------------------------------- every widget draws


def _widgets() -> dict[str, object]:
    rng = np.random.default_rng(1)
    pong, seaquest = QBars(6, PONG), QBars(18, SEAQUEST)
    for t in range(150):
        q = rng.normal(0, 1, 18)
        pong.update(q[:6], t % 6, int(np.argmax(q[:6])), t % 3 == 0, human=t > 140)
        seaquest.update(q, t % 18, int(np.argmax(q)), t % 4 == 0, value=float(q.mean()))
    gauge, override = EpsilonGauge(), EpsilonGauge()
    for t in range(300):
        gauge.update(
            linear_epsilon(t * 100, 1.0, 0.05, 50_000), bool(rng.random() < 0.6), t * 100, (1.0, 0.05, 50_000)
        )
        override.update(0.3, bool(rng.random() < 0.3), t * 100, (1.0, 0.05, 50_000), override=True)
    returns, loss = LinePlot("episode return"), LinePlot("loss", maxlen=5000, x_label="step", log_scale=True)
    for episode in range(400):
        returns.append(episode, -21 + 36 * episode / 400 + rng.normal(0, 3))
    for step in range(5000):  # more points than pixels: drawn as one stroke per column
        loss.append(step * 4, float(rng.lognormal(-3, 1)))
    return {
        "pong": pong,
        "seaquest": seaquest,
        "empty bars": QBars(3, ["NOOP", "JUMP", "DUCK"]),
        "gauge": gauge,
        "override": override,
        "empty gauge": EpsilonGauge(),
        "returns": returns,
        "loss": loss,
        "empty plot": LinePlot("episode return"),
    }


@pytest.mark.parametrize("size", SIZES)
def test_every_widget_draws_at_every_size(size):
    for name, widget in _widgets().items():
        surface = canvas(size[0] + 20, size[1] + 20)
        widget.draw(surface, pygame.Rect(10, 10, *size))
        assert is_picture(surface), (name, size)
        outside = pygame.surfarray.array3d(surface)[:, :9]
        assert np.all(outside == theme.BACKGROUND), (name, size)  # nothing drawn outside its rect
