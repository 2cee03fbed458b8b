"""Kiosk soak: the booth in a real (virtual) window for an hour, with scripted visitors, its memory,
CPU, open files and child processes sampled all along.

Starts a private X server (Xvfb, 1280x800) and ``python main.py kiosk --windowed --leaderboard
TMP/soak.sqlite3`` from ``--code`` (a snapshot, so edits made while it runs do not change what runs)
in a fresh temporary folder. Visitors arrive at random: a key press joins, random arrow and space
presses play for a random while, some walk away idle, the others type a name and ENTER; now and then
the operator skips to the next game (Ctrl+Shift+N). Every ``--sample-seconds`` it writes one CSV row:
the app's and its descendants' RSS, CPU, open file descriptors, threads and child processes. At the
end it quits the booth with Ctrl+Shift+Q, kills whatever is left (the app's process group and the X
server, also on Ctrl+C), draws the samples into a PNG and prints a summary.

    git archive HEAD | tar -x -C /tmp/soak-code
    python -m benchmarks.kiosk_soak --code /tmp/soak-code --out docs/kiosk-soak      # 60 minutes
    python -m benchmarks.kiosk_soak --minutes 3 --sample-seconds 10 --out /tmp/soak  # a quick trial
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import select
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path

if not __package__:  # run as `python benchmarks/kiosk_soak.py`: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from benchmarks._common import print_footer, print_header, save_png

ROOT = Path(__file__).resolve().parents[1]
SCREEN = "1280x800x24"  # the virtual screen: width x height x depth
WINDOW_WAIT_S = 180  # the booth's window must appear within this (imports and first load on a busy CPU)
QUIT_WAIT_S = 60  # after Ctrl+Shift+Q the booth saves its learners' weights and exits within this
KILL_WAIT_S = 10  # after SIGTERM, before SIGKILL
XDOTOOL_TIMEOUT_S = 30  # one xdotool call
WINDOW_MINUTES = 10.0  # "first" and "last" stretch compared in the summary (a third of a short run)
PLAY_KEYS = ("Left", "Right", "Up", "Down", "space")  # what a visitor mashes
NAMES = ("ADA", "Bob", "zoe", "Mo-7", "LEE", "Kim!", "Robert DROP", "x" * 20)  # typed at the name screen
PLOT_SIZE = (1400, 900)  # PNG size, pixels
COLOURS = ((96, 204, 255), (255, 138, 92), (116, 232, 168), (255, 214, 90))  # one per series in a panel
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")  # /proc/PID/stat counts CPU time in these per second
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")  # /proc/PID/stat counts RSS in pages


@dataclass(frozen=True)
class Sample:
    """One row of the CSV: the booth's process tree at one moment."""

    seconds: float  # since the booth was started
    app_alive: int  # 1 while the booth's own process runs
    app_rss_mb: float  # the booth's process alone
    tree_rss_mb: float  # the booth and every descendant (shared pages counted in each)
    cpu_percent: float  # of one core, the tree (and its reaped children) since the previous sample
    app_fds: int  # open file descriptors of the booth's process
    tree_fds: int  # ... of the booth and every descendant
    app_threads: int
    children: int  # descendant processes (learner workers, resource trackers...)
    zombies: int  # descendants that exited and were not reaped
    visitors: int  # scripted visitors so far
    board_entries: int  # rows in the leaderboard file (-1: unreadable at that moment)


@dataclass(frozen=True)
class Proc:
    """What /proc/PID/stat says about one process."""

    pid: int
    ppid: int
    pgrp: int
    state: str
    cpu_ticks: int  # utime + stime
    reaped_ticks: int  # cutime + cstime: children it has waited for
    threads: int
    rss_bytes: int


def read_procs() -> dict[int, Proc]:
    """Every process on the machine (those that vanish while being read are left out)."""
    procs = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        f = text[text.rindex(")") + 2 :].split()  # the command name may hold spaces and parentheses
        procs[int(entry)] = Proc(
            int(entry), int(f[1]), int(f[2]), f[0], int(f[11]) + int(f[12]), int(f[13]) + int(f[14]),
            int(f[17]), int(f[21]) * PAGE_BYTES,
        )  # fmt: skip
    return procs


def descendants(procs: dict[int, Proc], root: int) -> list[Proc]:
    """The processes below ``root``, at any depth."""
    below: dict[int, list[Proc]] = {}
    for proc in procs.values():
        below.setdefault(proc.ppid, []).append(proc)
    found, todo = [], [root]
    while todo:
        for child in below.get(todo.pop(), []):
            found.append(child)
            todo.append(child.pid)
    return found


def count_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:  # gone, or not ours
        return 0


def count_entries(board: Path) -> int:
    """Rows in the leaderboard, read-only (the booth may be writing): -1 when it cannot be read now."""
    try:
        db = sqlite3.connect(f"file:{board}?mode=ro", uri=True, timeout=1.0)
        try:
            return int(db.execute("SELECT COUNT(*) FROM scores").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return -1


class Sampler:
    """Samples the booth's process tree; CPU is the change in CPU time between two samples."""

    def __init__(self, app: subprocess.Popen, board: Path, started: float):
        self.app = app
        self.board = board
        self.started = started
        self._last: tuple[float, int] | None = None  # (time, tree CPU ticks)

    def sample(self, visitors: int) -> Sample:
        now = time.monotonic()
        procs = read_procs()
        alive = self.app.poll() is None and self.app.pid in procs
        own = procs.get(self.app.pid) if alive else None
        tree = ([own] if own else []) + descendants(procs, self.app.pid)
        ticks = sum(p.cpu_ticks for p in tree) + (own.reaped_ticks if own else 0)
        cpu = float("nan")
        if self._last is not None and now > self._last[0]:
            cpu = max(0.0, 100.0 * (ticks - self._last[1]) / CLOCK_TICKS / (now - self._last[0]))
        self._last = (now, ticks)
        return Sample(
            seconds=round(now - self.started, 1),
            app_alive=int(alive),
            app_rss_mb=round(own.rss_bytes / 2**20, 1) if own else 0.0,
            tree_rss_mb=round(sum(p.rss_bytes for p in tree) / 2**20, 1),
            cpu_percent=round(cpu, 1),
            app_fds=count_fds(self.app.pid) if alive else 0,
            tree_fds=sum(count_fds(p.pid) for p in tree),
            app_threads=own.threads if own else 0,
            children=len(tree) - (1 if own else 0),
            zombies=sum(p.state == "Z" for p in tree if p is not own),
            visitors=visitors,
            board_entries=count_entries(self.board),
        )


# ---------------------------------------------------------------------- the X server and the keys


def start_xvfb(log: Path) -> tuple[subprocess.Popen, str]:
    """A private X server on a free display (Xvfb picks it and writes its number to a pipe)."""
    read_end, write_end = os.pipe()
    with open(log, "wb") as file:
        server = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), "-screen", "0", SCREEN, "-nolisten", "tcp"],
            pass_fds=(write_end,),
            stdout=file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 30)
        number = os.read(read_end, 64).decode().strip() if ready else ""
    finally:
        os.close(read_end)
    if not number.isdigit():
        stop_process(server)
        raise RuntimeError("Xvfb did not start (is it installed? apt-get install xvfb xdotool)")
    return server, f":{number}"


class Keys:
    """Key presses into the booth's window through xdotool (XTEST: SDL ignores sent events)."""

    def __init__(self, display: str):
        self.env = {**os.environ, "DISPLAY": display}
        self.window: str | None = None

    def xdotool(self, *args: str) -> bool:
        try:
            result = subprocess.run(
                ["xdotool", *args], env=self.env, capture_output=True, text=True, timeout=XDOTOOL_TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            return False
        return result.returncode == 0

    def find_window(self, timeout_s: float) -> bool:
        """Wait for the booth's window and focus it; False if it never came."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = subprocess.run(
                ["xdotool", "search", "--limit", "1", "--class", "q-arcade"],
                env=self.env, capture_output=True, text=True, timeout=XDOTOOL_TIMEOUT_S,
            )  # fmt: skip
            if found.returncode == 0 and found.stdout.split():
                self.window = found.stdout.split()[0]
                return self.focus()
            time.sleep(1.0)
        return False

    def focus(self) -> bool:
        return self.window is not None and self.xdotool("windowfocus", "--sync", self.window)

    def hold(self, key: str, seconds: float) -> None:
        self.xdotool("keydown", key, "sleep", f"{seconds:.2f}", "keyup", key)

    def press(self, combo: str) -> None:
        self.xdotool("key", "--delay", "80", combo)

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "120", text)


def visitors(
    keys: Keys,
    rng: random.Random,
    gap_s: float,
    stop: threading.Event,
    count: list[int],
    facts: dict[str, object],
) -> None:
    """Scripted visitors until ``stop``, once the booth's window is up: arrive after a random gap, join,
    play, leave idle or type a name."""
    started = time.monotonic()
    facts["window"] = keys.find_window(WINDOW_WAIT_S)
    facts["window_seconds"] = round(time.monotonic() - started, 1)
    if not facts["window"]:
        return
    while not stop.wait(rng.expovariate(1.0 / gap_s)):
        keys.focus()
        if rng.random() < 0.15:  # the operator skips to the next game between visitors
            keys.press("ctrl+shift+n")
            if stop.wait(rng.uniform(5, 20)):
                return
        count[0] += 1
        keys.hold(rng.choice(PLAY_KEYS), 0.2)  # any key joins
        walks_away = rng.random() < 0.25
        play_until = time.monotonic() + (rng.uniform(5, 40) if walks_away else rng.uniform(30, 240))
        while time.monotonic() < play_until and not stop.is_set():
            keys.hold(rng.choice(PLAY_KEYS), rng.uniform(0.05, 0.6))
            stop.wait(rng.uniform(0.05, 0.8))
        if walks_away:  # nothing more: the booth lets an idle visitor go
            continue
        # Whether the name screen is up depends on the games finished: typing into a game is harmless.
        keys.type(rng.choice(NAMES))
        keys.press("Return")
        stop.wait(rng.uniform(3, 15))  # the top ten; a key may skip it after a few seconds
        if rng.random() < 0.5:
            keys.hold("space", 0.1)


def stop_process(process: subprocess.Popen, group: bool = True) -> None:
    """SIGTERM to the process (and its group), SIGKILL after KILL_WAIT_S; reaps it."""
    send: Callable[[int], None] = (
        (lambda sig: os.killpg(process.pid, sig)) if group else (lambda sig: process.send_signal(sig))
    )
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            send(sig)
        try:
            process.wait(KILL_WAIT_S)
            if sig == signal.SIGTERM and group and not group_members(process.pid):
                return
        except subprocess.TimeoutExpired:
            continue
    process.wait()


def group_members(pgid: int) -> list[int]:
    """Live processes (not zombies) in process group ``pgid``."""
    return [p.pid for p in read_procs().values() if p.pgrp == pgid and p.state != "Z"]


# ---------------------------------------------------------------------- the soak


def soak(args: argparse.Namespace, samples: list[Sample], facts: dict[str, object]) -> None:
    """Run the booth with visitors for ``args.minutes``, adding to ``samples`` and ``facts`` and writing
    each sample to the CSV as it comes (so an interrupted soak keeps what it measured)."""
    code = args.code.resolve()
    if not (code / "main.py").is_file():
        raise SystemExit(f"--code {code} has no main.py: pass the repository root or a `git archive` copy.")
    csv_path = args.out.with_suffix(".csv")
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="kiosk-soak-"))
    board = work / "soak.sqlite3"
    facts.update(code=str(code), work=str(work))
    stop = threading.Event()
    count = [0]
    server = app = thread = None
    log = open(work / "app.log", "wb")  # noqa: SIM115 - closed in finally, after the app
    try:
        server, display = start_xvfb(work / "xvfb.log")
        env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "WAYLAND_DISPLAY")}
        env.update(DISPLAY=display, SDL_AUDIODRIVER="dummy", PYTHONUNBUFFERED="1")
        command = [sys.executable, str(code / "main.py"), "kiosk", "--windowed", "--leaderboard", str(board)]
        command += shlex.split(args.kiosk_args)
        facts["command"] = shlex.join(command)
        print(f"booth:   {facts['command']}\n         in {work}, DISPLAY={display}", flush=True)
        started = time.monotonic()
        app = subprocess.Popen(
            command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        sampler = Sampler(app, board, started)
        thread = threading.Thread(
            target=visitors,
            args=(Keys(display), random.Random(args.seed), args.visitor_gap_seconds, stop, count, facts),
            name="visitors",
            daemon=True,
        )
        thread.start()  # it waits for the window while the samples start
        end = started + args.minutes * 60
        with open(csv_path, "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow([f.name for f in fields(Sample)])
            k = 0
            while True:
                samples.append(sampler.sample(count[0]))
                writer.writerow(astuple(samples[-1]))
                file.flush()
                row = samples[-1]
                print(
                    f"{row.seconds / 60:6.1f} min  rss {row.tree_rss_mb:7.1f} MB  cpu {row.cpu_percent:5.1f}%"
                    f"  fds {row.tree_fds:4d}  children {row.children}  visitors {row.visitors}"
                    f"  entries {row.board_entries}",
                    flush=True,
                )
                k += 1
                if time.monotonic() >= end:
                    break
                time.sleep(max(0.0, min(started + k * args.sample_seconds, end) - time.monotonic()))
        facts["alive_at_end"] = app.poll() is None
        facts["x_alive_at_end"] = server.poll() is None
        facts["exit_code_during"] = app.returncode
    finally:
        stop.set()
        if thread is not None:
            thread.join(XDOTOOL_TIMEOUT_S * 2)
        if app is not None:
            facts.update(quit_app(app, Keys(display) if server else None))
        if server is not None:
            if server.poll() is not None:  # the X server died under the booth: say why
                facts["x_log"] = (work / "xvfb.log").read_text(errors="replace")[-1500:]
            stop_process(server)
        log.close()
        shutil.copyfile(work / "app.log", args.out.with_suffix(".log"))
        facts["visitors"] = count[0]
        if args.keep:
            print(f"kept:    {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def quit_app(app: subprocess.Popen, keys: Keys | None) -> dict[str, object]:
    """Ctrl+Shift+Q (the operator's way out), then SIGTERM/SIGKILL to the app's process group."""
    facts: dict[str, object] = {}
    if app.poll() is None and keys is not None and keys.find_window(5):
        keys.press("ctrl+shift+q")
        with contextlib.suppress(subprocess.TimeoutExpired):
            app.wait(QUIT_WAIT_S)
    facts["quit_code"] = app.poll()  # 0: the booth quit cleanly on the operator's keys
    facts["left_behind"] = len(group_members(app.pid))  # its processes still running after it quit
    stop_process(app)
    return facts


# ---------------------------------------------------------------------- the summary and the plot


def stretch(samples: Sequence[Sample], first: bool) -> list[Sample]:
    """The first (or last) WINDOW_MINUTES of samples, or a third of a shorter run."""
    total = samples[-1].seconds
    span = min(WINDOW_MINUTES * 60, total / 3)
    if first:
        return [s for s in samples if s.seconds <= span]
    return [s for s in samples if s.seconds >= total - span]


def trend_per_hour(samples: Sequence[Sample], value: Callable[[Sample], float]) -> float:
    """Slope of a least-squares line through the samples, per hour (nan with fewer than 3)."""
    if len(samples) < 3:
        return float("nan")
    hours = np.array([s.seconds / 3600 for s in samples])
    return float(np.polyfit(hours, np.array([value(s) for s in samples]), 1)[0])


def summarise(samples: list[Sample], facts: dict[str, object]) -> None:
    live = [s for s in samples if s.app_alive]
    print()
    print(
        f"samples: {len(samples)} over {samples[-1].seconds / 60:.1f} min;"
        f" the window appeared after {facts.get('window_seconds')} s"
    )
    if len(live) >= 3:
        first, last = stretch(live, True), stretch(live, False)
        span = min(WINDOW_MINUTES, live[-1].seconds / 180)
        after_warmup = [s for s in live if s.seconds > first[-1].seconds]
        for label, value in (
            ("tree RSS MB", lambda s: s.tree_rss_mb),
            ("app RSS MB", lambda s: s.app_rss_mb),
            ("tree fds", lambda s: s.tree_fds),
            ("app fds", lambda s: s.app_fds),
        ):
            a, b = statistics.median(map(value, first)), statistics.median(map(value, last))
            print(
                f"{label:12s} median first {span:.1f} min {a:8.1f}  last {span:.1f} min {b:8.1f}"
                f"  trend {trend_per_hour(live, value):+8.1f}/h"
                f" (after the first {span:.1f} min: {trend_per_hour(after_warmup, value):+8.1f}/h)"
            )
        cpu = [s.cpu_percent for s in live if s.cpu_percent == s.cpu_percent]
        print(f"CPU % of one core: median {statistics.median(cpu):.0f}, max {max(cpu):.0f}")
    print(f"children: max {max(s.children for s in samples)}, zombies max {max(s.zombies for s in samples)}")
    print(f"visitors: {facts.get('visitors')}, leaderboard entries at the end: {samples[-1].board_entries}")
    died = next((s.seconds for s in samples if not s.app_alive), None)
    print(f"app alive at the end: {'yes' if facts.get('alive_at_end') else f'NO (gone by {died} s)'}")
    print(f"X server alive at the end: {'yes' if facts.get('x_alive_at_end') else 'NO'}")
    if facts.get("x_log"):
        print(f"X server's last words:\n{facts['x_log']}")
    print(
        f"quit with Ctrl+Shift+Q: exit code {facts.get('quit_code')}; "
        f"its processes still running after that: {facts.get('left_behind')}"
    )


def draw(samples: list[Sample], out: Path, title: str) -> None:
    """Four panels against minutes: RSS, CPU, file descriptors, child processes."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    pygame.font.init()  # fonts only: no window, no sound
    try:
        surface = pygame.Surface(PLOT_SIZE)
        surface.fill((24, 26, 38))
        font = pygame.font.Font(None, 24)
        surface.blit(font.render(title, True, (236, 236, 250)), (70, 14))
        w, h = PLOT_SIZE
        boxes = [
            pygame.Rect(x, y, w // 2 - 130, h // 2 - 110)
            for y in (60, h // 2 + 40)
            for x in (80, w // 2 + 80)
        ]
        panels = (
            (
                "RSS, MB",
                (("booth + descendants", lambda s: s.tree_rss_mb), ("booth", lambda s: s.app_rss_mb)),
            ),
            ("CPU, % of one core", (("booth + descendants", lambda s: s.cpu_percent),)),
            (
                "open file descriptors",
                (("booth + descendants", lambda s: s.tree_fds), ("booth", lambda s: s.app_fds)),
            ),
            (
                "processes",
                (("descendants", lambda s: s.children), ("booth's threads", lambda s: s.app_threads)),
            ),
        )
        minutes = [s.seconds / 60 for s in samples]
        x_max = max(minutes[-1], 1e-6)
        for rect, (name, series) in zip(boxes, panels, strict=True):
            values = [[value(s) for s in samples] for _, value in series]
            finite = [v for vs in values for v in vs if v == v]
            y_max = max(finite, default=1.0) * 1.1 or 1.0
            pygame.draw.rect(surface, (60, 64, 90), rect, width=1)
            for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
                y = rect.bottom - frac * rect.height
                pygame.draw.line(surface, (44, 48, 68), (rect.x, y), (rect.right, y))
                label = font.render(f"{frac * y_max:.0f}", True, (150, 156, 190))
                surface.blit(label, (rect.x - label.get_width() - 6, y - 8))
            for frac in (0.0, 0.5, 1.0):
                label = font.render(f"{frac * x_max:.1f} min", True, (150, 156, 190))
                surface.blit(label, (rect.x + frac * rect.width - label.get_width() * frac, rect.bottom + 6))
            for i, ((label, _), vs) in enumerate(zip(series, values, strict=True)):
                colour = COLOURS[i]
                points = [
                    (rect.x + m / x_max * rect.width, rect.bottom - v / y_max * rect.height)
                    for m, v in zip(minutes, vs, strict=True)
                    if v == v
                ]
                if len(points) > 1:
                    pygame.draw.lines(surface, colour, False, points, 2)
                for p in points:
                    pygame.draw.circle(surface, colour, p, 3)
                surface.blit(font.render(label, True, colour), (rect.x + 10 + i * 230, rect.y + 8))
            surface.blit(font.render(name, True, (220, 222, 240)), (rect.x, rect.y - 24))
            for m, s in zip(minutes, samples, strict=True):
                if not s.app_alive:  # the booth was gone from here on
                    x = rect.x + m / x_max * rect.width
                    pygame.draw.line(surface, (240, 70, 70), (x, rect.y), (x, rect.bottom), 2)
                    break
        save_png(surface, out)
    finally:
        pygame.font.quit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="real minutes the booth runs")
    parser.add_argument("--sample-seconds", type=float, default=30.0, help="seconds between samples")
    parser.add_argument(
        "--code", type=Path, default=ROOT, help="the code to run: a repository root or a copy"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("docs/kiosk-soak"), help="writes OUT.csv, .png, .log"
    )
    parser.add_argument("--visitor-gap-seconds", type=float, default=60.0, help="mean wait between visitors")
    parser.add_argument("--kiosk-args", default="", help="more flags for main.py kiosk, e.g. '--games catch'")
    parser.add_argument("--seed", type=int, default=0, help="seeds the visitors' arrivals and keys")
    parser.add_argument("--keep", action="store_true", help="keep the booth's temporary folder (runs, log)")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.sample_seconds <= 0 or args.visitor_gap_seconds <= 0:
        parser.error("--minutes, --sample-seconds and --visitor-gap-seconds must be positive")
    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        parser.error("needs Xvfb and xdotool (apt-get install xvfb xdotool)")

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # so the finally blocks end the booth and the X server

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    print_header(f"Kiosk soak: {args.minutes:g} min, a sample every {args.sample_seconds:g} s")
    samples: list[Sample] = []
    facts: dict[str, object] = {}
    try:
        soak(args, samples, facts)
    except KeyboardInterrupt:
        print("interrupted: the booth and the X server were stopped", flush=True)
        facts["interrupted"] = True
    if samples:
        draw(
            samples,
            args.out.with_suffix(".png"),
            f"Kiosk soak, {samples[-1].seconds / 60:.1f} min: {args.code}",
        )
        summarise(samples, facts)
        print(
            "\nwrote " + ", ".join(str(args.out.with_suffix(suffix)) for suffix in (".csv", ".png", ".log"))
        )
    print_footer()
    return 130 if facts.get("interrupted") else 0


if __name__ == "__main__":
    sys.exit(main())
