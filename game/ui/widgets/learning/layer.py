"""The "how it learns" layer as a whole: where its panels go around the game picture and the Q-bars,
and how each snapshot's new views reach them (a view that is None keeps the last one shown).

Top row: the game picture (with the saliency glow) over a one-line epsilon, the Bellman readout, the
Q-bars over the target network. Bottom row: surprise, replay memory, predicted against received.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygame

from game.modes.insight import BellmanReadout
from game.modes.protocol import Snapshot
from game.ui import theme
from game.ui.widgets.draw import elide
from game.ui.widgets.frame import fit_rect
from game.ui.widgets.gauge import EpsilonGauge
from game.ui.widgets.learning.panel import Sizes
from game.ui.widgets.learning.predicted import PredictedPanel
from game.ui.widgets.learning.readout import ReadoutPanel
from game.ui.widgets.learning.replay_strip import ReplayPanel
from game.ui.widgets.learning.saliency import SaliencyOverlay
from game.ui.widgets.learning.surprise import SurprisePanel
from game.ui.widgets.learning.target_panel import TargetPanel

TOP_SHARE = 0.6  # the top row's share of the height (picture, readout, Q-bars and target network)
PICTURE_MIN_SHARE = 0.26  # the picture's column takes at least this share of the width ...
PICTURE_MAX_SHARE = 0.36  # ... and at most this, as wide as the frame's aspect asks in between
PICTURE_SHARE = 0.34  # ... before the first frame
RIGHT_SHARE = 0.29  # the Q-bars' and target network's column, share of the width
BARS_SHARE = 0.56  # the Q-bars' share of that column's height
RENDERS_PER_FRAME = 1  # panels that may render a new view in one frame (the others show the last till then)


@dataclass(frozen=True)
class LayerLayout:
    """Where everything goes while the layer shows."""

    picture: pygame.Rect
    """the area the game picture is fitted into"""
    epsilon: pygame.Rect
    """the one line about epsilon, under the picture"""
    bars: pygame.Rect
    readout: pygame.Rect
    target: pygame.Rect
    surprise: pygame.Rect
    replay: pygame.Rect
    predicted: pygame.Rect

    def panels(self) -> dict[str, pygame.Rect]:
        """The rects by the names the arena's ``panels`` uses (the kiosk's captions point at them)."""
        names = ("bars", "epsilon", "readout", "target", "surprise", "replay", "predicted")
        return {name: getattr(self, name) for name in names}


def layer_layout(
    body: pygame.Rect,
    frame_size: tuple[int, int] | None,
    pixel_aspect: float,
    sizes: Sizes,
    bottom_reserve: int = 0,
) -> LayerLayout:
    """The layer's rects inside ``body`` (the window between its top and bottom bars), its lowest
    ``bottom_reserve`` pixels left free; ``frame_size`` (width, height) sets the picture's width."""
    gap = max(6, sizes.pad)
    inner = pygame.Rect(
        body.x + gap, body.y + gap, body.width - 2 * gap, body.height - 2 * gap - bottom_reserve
    )
    top_h = int((inner.height - gap) * TOP_SHARE)
    bottom_h = inner.height - gap - top_h
    picture_h = top_h - sizes.line_h - gap // 2
    share, known = PICTURE_SHARE, frame_size is not None and min(frame_size) > 0
    if known:
        wanted = frame_size[0] * pixel_aspect / frame_size[1] * picture_h / inner.width
        share = float(np.clip(wanted, PICTURE_MIN_SHARE, PICTURE_MAX_SHARE))
    picture_w, right_w = int(inner.width * share), int(inner.width * RIGHT_SHARE)
    x0 = inner.x
    picture = pygame.Rect(x0, inner.y, picture_w, picture_h)
    if known:  # as tall as the frame, so that epsilon's line sits right under it
        picture.height = fit_rect(*frame_size, picture, pixel_aspect).height
    middle_w = inner.width - picture_w - right_w - 2 * gap
    x1 = inner.x + picture_w + gap
    x2 = x1 + middle_w + gap
    bars_h = int((top_h - gap) * BARS_SHARE)
    y = inner.y + top_h + gap
    return LayerLayout(
        picture=picture,
        epsilon=pygame.Rect(x0, picture.bottom + gap // 2, picture_w, sizes.line_h),
        bars=pygame.Rect(x2, inner.y, right_w, bars_h),
        readout=pygame.Rect(x1, inner.y, middle_w, top_h),
        target=pygame.Rect(x2, inner.y + bars_h + gap, right_w, top_h - bars_h - gap),
        surprise=pygame.Rect(x0, y, picture_w, bottom_h),
        replay=pygame.Rect(x1, y, middle_w, bottom_h),
        predicted=pygame.Rect(x2, y, right_w, bottom_h),
    )


def epsilon_lines(gauge: EpsilonGauge) -> list[str]:
    """Epsilon in one line, where the layer has no room for its gauge: the longest way first, then
    shorter ones for a narrow column."""
    if gauge.epsilon is None:
        return ["ε: waiting for the agent…"]
    source = "set by hand" if gauge.override else "its schedule"
    short = f"ε = {gauge.epsilon:.3f} ({source})"
    if not gauge.moves:
        return [short]
    share = f"{gauge.random_share:.0%}"
    return [
        f"{short}  ·  {share} of its last {gauge.moves} moves random",
        f"{short}  ·  {share} random",
        short,
    ]


class LearningLayer:
    """The layer's panels, each keeping the last view it got."""

    def __init__(self, labels: list[str], pixel_aspect: float = 1.0):
        self.readout = ReadoutPanel(labels)
        self.surprise = SurprisePanel(pixel_aspect)
        self.replay = ReplayPanel()
        self.target = TargetPanel(labels)
        self.predicted = PredictedPanel()
        self.saliency = SaliencyOverlay(labels)
        self._epsilon: tuple[tuple, pygame.Surface] | None = None
        self._rendered = 0  # renders of new views this frame so far (the saliency map's)

    def take(self, snapshot: Snapshot) -> BellmanReadout | None:
        """The snapshot's new views to their panels; returns its new readout (None when it brings none)."""
        pairs = (
            (self.readout, snapshot.readout),
            (self.surprise, snapshot.surprise),
            (self.replay, snapshot.replay),
            (self.target, snapshot.target),
            (self.predicted, snapshot.predicted),
            (self.saliency, snapshot.saliency),
        )
        for panel, view in pairs:
            if view is not None:
                panel.set(view)
        return snapshot.readout

    def clear(self) -> None:
        """Forget every view (the layer was switched on again, or the learner restarted)."""
        for panel in (self.readout, self.surprise, self.replay, self.target, self.predicted, self.saliency):
            panel.set(None)

    def draw_saliency(self, surface: pygame.Surface, frame_rect: pygame.Rect, sizes: Sizes) -> bool:
        """The glow over the game picture at ``frame_rect`` (before :meth:`draw`, in the same frame);
        False where there is no map."""
        drawn, self._rendered = self.saliency.draw(surface, frame_rect, sizes)
        return drawn

    def draw(self, surface: pygame.Surface, lay: LayerLayout, sizes: Sizes, epsilon: list[str]) -> None:
        """Every panel but the Q-bars and the picture (the arena draws those), and the epsilon line.

        At most RENDERS_PER_FRAME panels render a new view in one frame (views that came together are
        spread over the next frames), so a frame never pays for all of them at once."""
        budget = RENDERS_PER_FRAME - self._rendered
        for panel, rect in (
            (self.readout, lay.readout),
            (self.target, lay.target),
            (self.surprise, lay.surprise),
            (self.replay, lay.replay),
            (self.predicted, lay.predicted),
        ):
            budget -= panel.draw(surface, rect, sizes, may_render=budget > 0)
        self._rendered = 0
        key = (tuple(epsilon), sizes.small_px, lay.epsilon.width)
        if self._epsilon is None or self._epsilon[0] != key:
            font, width = theme.font(sizes.small_px), lay.epsilon.width
            line = next((t for t in epsilon if font.size(t)[0] <= width), elide(epsilon[-1], font, width))
            self._epsilon = (key, font.render(line, True, theme.TEXT_DIM))
        image = self._epsilon[1]
        surface.blit(image, image.get_rect(midleft=lay.epsilon.midleft))
