"""What every benchmark prints around its numbers: the command, the date and the machine's load."""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")  # shown with the command


def command_line() -> str:
    """The command that started this process, as a person would type it from the repository root."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    head = (
        f"python -m {spec.name}"
        if spec is not None and spec.name
        else f"python {os.path.relpath(sys.argv[0])}"
    )
    settings = [f"{name}={os.environ[name]}" for name in THREAD_VARIABLES if name in os.environ]
    return " ".join([*settings, head, *(shlex.quote(arg) for arg in sys.argv[1:])])


def machine_load() -> str:
    """``uptime``'s line (load averages over 1, 5 and 15 minutes), or the load averages alone."""
    try:
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, check=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        one, five, fifteen = os.getloadavg()
        return f"load average: {one:.2f}, {five:.2f}, {fifteen:.2f}"


def print_header(title: str) -> None:
    """Title, command, date, machine and load: what a reader needs to trust or redo the numbers."""
    print(f"# {title}")
    print(f"command: {command_line()}")
    print(f"date:    {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}")
    print(f"load:    {machine_load()}")
    print(flush=True)


def print_footer() -> None:
    """The load again at the end: a benchmark that shared the CPU says so."""
    print(f"\nload at the end: {machine_load()}", flush=True)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table, padded so that it also reads as plain text."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        padded = [row[0].ljust(widths[0])] + [
            value.rjust(w) for value, w in zip(row[1:], widths[1:], strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    print(line(cells[0]))  # the first column names the row: left-aligned; the numbers right-aligned
    print(
        "|"
        + "|".join([":" + "-" * (widths[0] + 1)] + ["-" * (width + 1) + ":" for width in widths[1:]])
        + "|"
    )
    for row in cells[1:]:
        print(line(row))
    sys.stdout.flush()


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def save_png(surface, out: Path) -> None:
    """Write a pygame surface as a PNG, atomically: a temporary file, then ``os.replace``."""
    import pygame  # only the benchmarks that draw need it

    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp.png")
    pygame.image.save(surface, str(temporary))
    os.replace(temporary, out)
