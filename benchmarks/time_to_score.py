"""Time to score: how many minutes and agent steps a training run took to reach each score.

Reads run directories written by ``main.py train`` (``eval.csv``: evaluation mean per step;
``episodes.csv``: every training episode with its wall-clock second, summed across resumes), prints
when each run's evaluation first reached each threshold, and draws the learning curves (evaluation
mean and the training episodes' running mean, against minutes and against agent steps) into one PNG.

    python -m benchmarks.time_to_score runs/pong-s0 runs/pong-s1 --out docs/pong-curves.png
    python -m benchmarks.time_to_score runs/pong-s0 --thresholds -15 0 10 18
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

if not __package__:  # run as `python benchmarks/time_to_score.py`: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from benchmarks._common import save_png
from game.errors import UserError
from game.modes.runs import RunCurves, read_run

THRESHOLDS = (-15.0, 0.0, 10.0, 18.0)  # Pong: from losing every point to winning nearly all of them
SIZE = (1400, 560)  # PNG size, pixels
COLOURS = ((96, 204, 255), (255, 138, 92), (116, 232, 168), (255, 214, 90))  # one per run


def first_reach(run: RunCurves, threshold: float) -> tuple[float, float] | None:
    """(minutes, steps) of the first evaluation whose mean reached ``threshold``, None if none did."""
    hits = np.flatnonzero(run.eval_means >= threshold)
    if not len(hits):
        return None
    i = int(hits[0])
    return float(run.eval_minutes[i]), float(run.eval_steps[i])


def report(runs: list[RunCurves], thresholds: list[float]) -> None:
    header = "run".ljust(16) + "".join(f"{f'eval >= {t:+g}':>22}" for t in thresholds) + f"{'best eval':>12}"
    print(header)
    print("-" * len(header))
    for run in runs:
        cells = []
        for threshold in thresholds:
            hit = first_reach(run, threshold)
            cells.append("not reached" if hit is None else f"{hit[0]:.1f} min / {hit[1] / 1e3:.0f}k")
        best = f"{run.eval_means.max():+.2f}"
        print(run.name.ljust(16) + "".join(f"{c:>22}" for c in cells) + f"{best:>12}")


def draw(runs: list[RunCurves], thresholds: list[float], out: Path) -> None:
    """Two panels: score against minutes, and against agent steps; evaluations as dots and lines."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    pygame.font.init()  # fonts only: no window, no sound
    try:
        surface = pygame.Surface(SIZE)
        surface.fill((16, 18, 28))
        font = pygame.font.Font(None, 24)
        half = SIZE[0] // 2
        panels = (
            (pygame.Rect(70, 50, half - 110, SIZE[1] - 120), "minutes", "eval_minutes", "episode_minutes"),
            (
                pygame.Rect(half + 70, 50, half - 110, SIZE[1] - 120),
                "agent steps (millions)",
                "eval_steps",
                "episode_steps",
            ),
        )
        lo = min(-21.0, *(float(r.episode_means.min()) for r in runs))
        hi = 21.0
        for rect, label, eval_x, episode_x in panels:
            scale = 1e6 if "steps" in eval_x else 1.0
            x_max = max(float(getattr(r, eval_x).max()) for r in runs) / scale
            x_max = max(x_max, 1e-9)

            def point(x: float, y: float, rect=rect, scale=scale, x_max=x_max) -> tuple[int, int]:
                return (
                    int(rect.x + x / scale / x_max * rect.width),
                    int(rect.bottom - (y - lo) / (hi - lo) * rect.height),
                )

            pygame.draw.rect(surface, (60, 64, 90), rect, width=1)
            for threshold in thresholds:
                y = point(0, threshold)[1]
                pygame.draw.line(surface, (50, 54, 76), (rect.x, y), (rect.right, y))
                surface.blit(font.render(f"{threshold:+g}", True, (150, 156, 190)), (rect.x - 40, y - 8))
            for i, run in enumerate(runs):
                colour = COLOURS[i % len(COLOURS)]
                dim = tuple(c // 2 for c in colour)
                xs, ys = getattr(run, episode_x), run.episode_means
                if len(xs) > 1:
                    pygame.draw.lines(
                        surface, dim, False, [point(x, y) for x, y in zip(xs, ys, strict=True)], 1
                    )
                evals = [point(x, y) for x, y in zip(getattr(run, eval_x), run.eval_means, strict=True)]
                if len(evals) > 1:
                    pygame.draw.lines(surface, colour, False, evals, 3)
                for p in evals:
                    pygame.draw.circle(surface, colour, p, 4)
            ticks = f"0 ... {x_max:.2f}" if scale > 1 else f"0 ... {x_max:.0f}"
            surface.blit(font.render(f"{label}: {ticks}", True, (220, 222, 240)), (rect.x, rect.bottom + 12))
        title = "Pong: evaluation mean (bold, dots) and running mean of 20 training games (thin)"
        surface.blit(font.render(title, True, (236, 236, 250)), (70, 16))
        for i, run in enumerate(runs):
            text = font.render(run.name, True, COLOURS[i % len(COLOURS)])
            surface.blit(text, (70 + i * 180, SIZE[1] - 34))
        save_png(surface, out)
    finally:
        pygame.font.quit()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run directories of main.py train")
    parser.add_argument("--thresholds", nargs="+", type=float, default=list(THRESHOLDS))
    parser.add_argument("--out", type=Path, help="PNG of the learning curves")
    args = parser.parse_args(argv)
    try:
        runs = [read_run(folder) for folder in args.runs]
    except UserError as error:
        raise SystemExit(str(error)) from error
    report(runs, args.thresholds)
    if args.out:
        draw(runs, args.thresholds, args.out)
        print(f"\ncurves: {args.out}")


if __name__ == "__main__":
    main()
