"""Where a Q-network looks: perturbation saliency over an image observation.

Greydanus et al. (2018), "Visualizing and Understanding Atari Agents": blur a small Gaussian patch
of the picture around a point and measure how much the network's output changes; a point whose
blurring moves Q(s, a) a lot is one the network uses for that action. Points lie on a grid of
``stride`` pixels; the map between them is interpolated.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
from torch.nn import functional

BLUR_SHARE = 1 / 28  # sigma of the blurred copy as a share of the picture's height (3 px of 84)
PATCH_SHARE = 5 / 84  # sigma of each perturbed patch as a share of the height (5 px of 84)
CHUNK = 64  # perturbed pictures per forward pass


def _gaussian_blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """(C, H, W) blurred by a separable Gaussian of ``sigma`` pixels (edges replicated)."""
    radius = max(1, int(3 * sigma))
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    x = image[:, None]  # (C, 1, H, W): each channel blurred on its own
    x = functional.pad(x, (radius, radius, radius, radius), mode="replicate")
    x = functional.conv2d(x, kernel.view(1, 1, 1, -1))
    x = functional.conv2d(x, kernel.view(1, 1, -1, 1))
    return x[:, 0]


class PerturbationSaliency:
    """One saliency map, computed a chunk of perturbed pictures at a time (``advance``), so a caller can
    spread the work between other work instead of stalling for all of it at once.

    Args:
        q_values: the network: a float (N, C, H, W) batch -> (N, A) Q-values.
        obs: one (C, H, W) observation (uint8 frames or floats; passed on as floats of the same scale).
        action: the action whose Q-value is explained.
        stride: pixels between perturbed points (None: about 12 points a side).
    """

    def __init__(
        self,
        q_values: Callable[[torch.Tensor], torch.Tensor],
        obs: np.ndarray,
        action: int,
        stride: int | None = None,
    ) -> None:
        image = torch.as_tensor(np.asarray(obs), dtype=torch.float32)
        if image.ndim != 3:
            shape = tuple(image.shape)
            raise ValueError(f"saliency needs a (channels, height, width) observation, not {shape}")
        self.q_values = q_values
        self.image = image
        self.action = action
        _, self.height, self.width = image.shape
        stride = stride or max(1, round(self.height / 12))
        self.blurred = _gaussian_blur(image, max(0.5, self.height * BLUR_SHARE))
        self.rows = torch.arange(0, self.height, stride, dtype=torch.float32)
        self.cols = torch.arange(0, self.width, stride, dtype=torch.float32)
        self.centres = [(r, c) for r in self.rows for c in self.cols]
        self.sigma = max(0.5, self.height * PATCH_SHARE)
        self.scores = torch.empty(len(self.centres))
        self.done = 0
        """perturbed points measured so far"""
        with torch.inference_mode():
            self.base = q_values(image[None]).float()[0, action]

    @property
    def finished(self) -> bool:
        return self.done == len(self.centres)

    def advance(self, count: int = CHUNK) -> np.ndarray | None:
        """Measure the next ``count`` perturbed points; returns the map once every point is measured."""
        chunk = self.centres[self.done : self.done + count]
        if chunk:
            ys = torch.arange(self.height, dtype=torch.float32)[:, None]
            xs = torch.arange(self.width, dtype=torch.float32)[None, :]
            masks = torch.stack(
                [torch.exp(-((ys - r) ** 2 + (xs - c) ** 2) / (2 * self.sigma**2)) for r, c in chunk]
            )[:, None]  # (N, 1, H, W)
            perturbed = self.image[None] * (1 - masks) + self.blurred[None] * masks
            with torch.inference_mode():
                q = self.q_values(perturbed).float()[:, self.action]
            self.scores[self.done : self.done + len(chunk)] = 0.5 * (q - self.base) ** 2
            self.done += len(chunk)
        return self.heat() if self.finished else None

    def heat(self) -> np.ndarray:
        """(H, W) float32 in [0, 1], 1 where blurring moves Q(s, a) most; all 0 when nothing moves it."""
        grid = self.scores.view(1, 1, len(self.rows), len(self.cols))
        size = (self.height, self.width)
        heat = functional.interpolate(grid, size=size, mode="bilinear", align_corners=False)
        top = float(heat.max())
        if top <= 0:
            return np.zeros((self.height, self.width), np.float32)
        return (heat[0, 0] / top).numpy().astype(np.float32)


def perturbation_saliency(
    q_values: Callable[[torch.Tensor], torch.Tensor],
    obs: np.ndarray,
    action: int,
    stride: int | None = None,
) -> np.ndarray:
    """How much blurring each part of ``obs`` changes Q(obs, action), as an (H, W) map in [0, 1]
    (all of :class:`PerturbationSaliency` at once)."""
    job = PerturbationSaliency(q_values, obs, action, stride)
    heat = None
    while heat is None:
        heat = job.advance()
    return heat


class SaliencyScheduler:
    """Saliency maps of a network's decisions at a bounded cost, for a loop that must not stall.

    ``offer`` starts a map of a decision when none is under way and one is due: at most one every
    ``min_period_s``, and no sooner than the last map's own cost allows within ``budget`` (a share of
    the time). ``work`` computes ``chunk`` perturbed pictures of it and returns (map, action) when
    the map is done.
    """

    def __init__(
        self,
        q_values: Callable[[torch.Tensor], torch.Tensor],
        budget: float = 0.03,
        min_period_s: float = 1.0,
        chunk: int = 16,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.q_values = q_values
        self.budget = budget
        self.min_period_s = min_period_s
        self.chunk = chunk
        self.clock = clock
        self.job: PerturbationSaliency | None = None
        self.spent_s = 0.0  # what the map under way has cost so far
        self.next_start = clock()

    def offer(self, obs: np.ndarray, action: int) -> None:
        """A decision the network just made on ``obs``: map it if a map is due."""
        if self.job is None and self.clock() >= self.next_start:
            started = time.perf_counter()
            self.job = PerturbationSaliency(self.q_values, obs, int(action))
            self.spent_s = time.perf_counter() - started

    def work(self) -> tuple[np.ndarray, int] | None:
        """A piece of the map under way; (map, action) when it is finished, else None."""
        if self.job is None:
            return None
        started = time.perf_counter()
        heat = self.job.advance(self.chunk)
        self.spent_s += time.perf_counter() - started
        if heat is None:
            return None
        action, self.job = self.job.action, None
        self.next_start = self.clock() + max(self.min_period_s, self.spent_s / self.budget)
        return heat, action
