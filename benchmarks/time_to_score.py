"""Time to score: how many minutes and agent steps a training run took to reach each score.

Reads run directories written by ``main.py train`` (``eval.csv``: evaluation mean per step;
``episodes.csv``: every training episode with its wall-clock second, summed across resumes), prints
when each run's evaluation first reached each threshold, and draws the learning curves (evaluation
mean and the training episodes' running mean, against minutes and against agent steps) into one PNG
with ``game.modes.plots`` (matplotlib, the ``plot`` extra), as ``main.py plot`` does, thresholds dotted.

    python -m benchmarks.time_to_score runs/pong-s0 runs/pong-s1 --out docs/pong-curves.png
    python -m benchmarks.time_to_score runs/pong-s0 --thresholds -15 0 10 18
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if not __package__:  # run as `python benchmarks/time_to_score.py`: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from game.errors import UserError
from game.modes.plots import draw_curves
from game.modes.runs import RunCurves, read_run

THRESHOLDS = (-15.0, 0.0, 10.0, 18.0)  # Pong: from losing every point to winning nearly all of them


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
        best = f"{run.eval_means.max():+.2f}" if len(run.eval_means) else "-"
        print(run.name.ljust(16) + "".join(f"{c:>22}" for c in cells) + f"{best:>12}")


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
        try:
            draw_curves(runs, args.out, thresholds=args.thresholds)  # the curves of `main.py plot`
        except UserError as error:
            raise SystemExit(str(error)) from error
        print(f"\ncurves: {args.out}")


if __name__ == "__main__":
    main()
