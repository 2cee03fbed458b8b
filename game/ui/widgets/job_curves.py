"""A watched job's learning curves, read from its run directory: training returns above, evaluations
below (or, on F7, the learner's loss), all against agent steps. The arena's plots, fed from files."""

from __future__ import annotations

import pygame

from game.modes.attach import NewPoints, RunNews
from game.ui.widgets.plot import LinePlot

RETURN_AVERAGE = 20  # training episodes in the returns' moving average
EPISODES_KEPT = 5000  # training episodes drawn (a long job's newest; more than the window has pixels)
LOSS_AVERAGE = 10  # the learner's reports in the loss's moving average


class JobCurves:
    """Two plots fed from :class:`game.modes.attach.RunNews`, each point taken once."""

    def __init__(self) -> None:
        self.episodes = LinePlot(
            "training return",
            maxlen=EPISODES_KEPT,
            average_window=RETURN_AVERAGE,
            x_label="step",
            robust=False,  # a return is bounded by its game: a rare one is news, not a spike to clip
            empty_text="waiting for the job's first episodes…",
        )
        self.evaluations = LinePlot(
            "evaluation return",
            average_window=1,
            x_label="step",
            robust=False,
            empty_text="waiting for the job's first evaluation…",
        )
        self.losses = LinePlot(
            "loss",
            average_window=LOSS_AVERAGE,
            x_label="step",
            log_scale=True,
            empty_text="waiting for the job's first update…",
        )
        self.show_loss = False
        """F7: the lower plot shows the learner's loss instead of the evaluations"""

    def take(self, news: RunNews) -> None:
        """Add what the job wrote since the last look (a rewritten file starts its curve over)."""
        for plot, new in (
            (self.episodes, news.episodes),
            (self.evaluations, news.evaluations),
            (self.losses, news.losses),
        ):
            _feed(plot, new)

    def draw(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        """Training returns in the upper half of ``rect``, evaluations (or the loss) in the lower."""
        half = rect.height // 2
        self.episodes.draw(surface, pygame.Rect(rect.x, rect.y, rect.width, half))
        lower = self.losses if self.show_loss else self.evaluations
        lower.draw(surface, pygame.Rect(rect.x, rect.y + half, rect.width, rect.height - half))


def _feed(plot: LinePlot, new: NewPoints) -> None:
    if new.from_start:
        plot.clear()
    for x, y in new.points:
        plot.append(x, y)
