"""The arena's learning curves: episode returns above, the loss (or, on F7, the mean Q) below."""

from __future__ import annotations

import pygame

from game.modes.protocol import Snapshot
from game.ui.widgets.plot import LinePlot

RETURN_AVERAGE = 20  # episodes in the returns' moving average
UPDATE_AVERAGE = 10  # readings in the loss's and mean Q's moving average


class LearningCurves:
    """Two plots fed from the worker's snapshots, each reading taken once."""

    def __init__(self) -> None:
        self.returns = LinePlot("episode return", average_window=RETURN_AVERAGE)
        waiting = "waiting for the first update…"
        self.losses = LinePlot(
            "loss", average_window=UPDATE_AVERAGE, x_label="step", log_scale=True, empty_text=waiting
        )
        self.mean_q = LinePlot(
            "mean Q of the batch", average_window=UPDATE_AVERAGE, x_label="step", empty_text=waiting
        )
        self.show_mean_q = False
        """F7: the lower plot shows the mean Q-value instead of the loss"""
        self.episodes_seen = 0
        self.last_loss_step = -1

    def take(self, snapshot: Snapshot) -> None:
        """The returns of episodes finished since the last snapshot, and the newest loss and mean Q."""
        new = snapshot.episodes - self.episodes_seen
        if new > 0 and snapshot.recent_returns:
            for ret in snapshot.recent_returns[-min(new, len(snapshot.recent_returns)) :]:
                self.returns.append(snapshot.episodes, ret)
        self.episodes_seen = snapshot.episodes
        if snapshot.loss is not None and snapshot.steps != self.last_loss_step:
            self.losses.append(snapshot.steps, snapshot.loss)
            if snapshot.mean_q is not None:
                self.mean_q.append(snapshot.steps, snapshot.mean_q)
            self.last_loss_step = snapshot.steps

    def draw(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        """The returns in the upper half of ``rect``, the loss or the mean Q in the lower."""
        half = rect.height // 2
        self.returns.draw(surface, pygame.Rect(rect.x, rect.y, rect.width, half))
        lower = self.mean_q if self.show_mean_q else self.losses
        lower.draw(surface, pygame.Rect(rect.x, rect.y + half, rect.width, half))
