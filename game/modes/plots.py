"""``main.py plot``: learning curves of runs as one PNG, drawn with matplotlib (an optional extra).

Two panels side by side: return against agent steps, and against training minutes (summed across
resumes). Each run has one colour: its evaluations as a bold line with dots, the running mean of its
training episodes as a thin line. The axes scale to the runs' scores, whatever the game. matplotlib
is imported when a plot is drawn (the Agg backend: no window), never when the program starts.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from game.errors import UserError
from game.modes.runs import RUNNING_MEAN, RunCurves, read_run

INSTALL_HINT = 'pip install -e ".[plot]"'  # the extra that brings matplotlib
FIGURE_INCHES = (14.0, 5.6)  # width, height
DPI = 100  # 1400 x 560 pixels, the size benchmarks/time_to_score.py always drew
THRESHOLD_STYLE = {"color": "0.6", "linewidth": 0.8, "linestyle": ":"}  # a score to reach
TITLE_NAMES_MAX = 80  # characters of run names the title holds beside its legend text


def load_matplotlib():
    """matplotlib.pyplot on the Agg backend; UserError (one sentence) when matplotlib is missing."""
    try:
        import matplotlib
    except ImportError as error:
        raise UserError(f"Plotting needs matplotlib, an optional extra: run {INSTALL_HINT}.") from error
    matplotlib.use("Agg")  # files only: never a window, whatever the machine has
    import matplotlib.pyplot as plt

    return plt


def plot_runs(folders: Sequence[str | os.PathLike], out: str | os.PathLike, title: str | None = None) -> Path:
    """Read the run directories and draw their curves into ``out``; returns the PNG's path.

    Raises:
        UserError: matplotlib missing, a folder that is not a run (yet), or a file that cannot be written.
    """
    load_matplotlib()  # first: a missing extra is said before any run is read
    runs = [read_run(Path(folder)) for folder in folders]
    return draw_curves(runs, Path(out), title)


def draw_curves(
    runs: Sequence[RunCurves], out: Path, title: str | None = None, thresholds: Sequence[float] = ()
) -> Path:
    """Draw ``runs`` into the PNG ``out``, atomically (a temporary file, then os.replace).

    Args:
        runs: the curves, one colour each, in the legend's order.
        out: the PNG to write.
        title: above both panels (None: the runs' names).
        thresholds: scores drawn as dotted horizontal lines (time_to_score's targets).
    """
    if not out.parent.is_dir():
        raise UserError(f"There is no folder {out.parent} to write {out.name} into; make it first.")
    plt = load_matplotlib()
    figure, (by_steps, by_minutes) = plt.subplots(1, 2, figsize=FIGURE_INCHES, dpi=DPI, sharey=True)
    try:
        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for i, run in enumerate(runs):
            colour = colours[i % len(colours)]
            for axes, eval_x, episode_x in (
                (by_steps, run.eval_steps, run.episode_steps),
                (by_minutes, run.eval_minutes, run.episode_minutes),
            ):
                axes.plot(episode_x, run.episode_means, color=colour, linewidth=1, alpha=0.45)
                axes.plot(eval_x, run.eval_means, color=colour, linewidth=2, marker="o", markersize=3.5)
            by_steps.plot([], [], color=colour, linewidth=2, marker="o", label=run.name)  # one legend entry
        for axes, label in ((by_steps, "agent steps"), (by_minutes, "training minutes")):
            for threshold in thresholds:
                axes.axhline(threshold, **THRESHOLD_STYLE)
            axes.set_xlabel(label)
            axes.grid(alpha=0.3)
            axes.ticklabel_format(axis="x", style="sci", scilimits=(-3, 5), useMathText=True)
        by_steps.set_ylabel("return")
        by_steps.legend(loc="best", fontsize="small")
        names = ", ".join(run.name for run in runs)
        if len(names) > TITLE_NAMES_MAX:  # the legend names them; a long list would run off the figure
            names = f"{len(runs)} runs"
        figure.suptitle(
            title
            or f"{names}: evaluation mean (bold, dots), "
            f"running mean of {RUNNING_MEAN} training episodes (thin)"
        )
        figure.tight_layout()
        temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        try:
            figure.savefig(temporary, format="png")
            os.replace(temporary, out)
        except OSError as error:
            reason = error.strerror or str(error)
            raise UserError(f"Could not write {out} ({reason}); choose another --out.") from error
        finally:
            temporary.unlink(missing_ok=True)
    finally:
        plt.close(figure)
    return out
