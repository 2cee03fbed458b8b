"""``main.py train``: from what the user typed to a Trainer running with a progress bar.

The preset of the game comes first, then a TOML file (``--config``), then ``--set`` flags, then
``--steps``/``--seed``/``--device``. A run directory holds everything; ``--resume`` continues it.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import signal
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import torch

from agents.checkpoint import CheckpointError
from agents.progress import ProgressBar
from agents.resources import NotEnoughMemoryError
from agents.threads import ThreadGovernor
from agents.train_config import TrainConfig
from agents.trainer import Trainer
from game.catalog import GameSpec, find_game
from game.errors import UserError
from game.gym_games import with_obs_layout
from game.modes.provenance import PROVENANCE, import_run_games, record_session
from game.modes.runs import game_slug
from game.places import made, runs_dir
from game.presets import preset, with_overrides

EXIT_LEARNING_STOPPED = 1  # updates kept going non-finite: the run ended early with its last good weights
EXIT_NOT_SAVED = 1  # the run trained to the end, but its final checkpoint could not be written
FIXED_ON_RESUME = (
    "num_envs",
    "dqn.network",
    "dqn.hidden",
    "dqn.dueling",
    "dqn.replay_capacity",
    "dqn.n_step",
    "dqn.gamma",
    "dqn.demo_capacity",
    "dqn.prioritized",
    "dqn.priority_alpha",
    "obs_layout",
    "actors",
)
"""settings the saved network and replay memory are built for: a resumed run keeps them"""


@dataclass(frozen=True)
class TrainRequest:
    """The train command's arguments, as parsed."""

    game: str | None
    steps: int | None = None
    out: str | None = None
    resume: str | None = None
    config_file: str | None = None
    overrides: tuple[str, ...] = ()
    seed: int | None = None
    device: str | None = None
    threads: int | None = None
    """torch threads (None: ``default_threads()``)"""
    self_play: bool = False
    games: int | None = None
    """self-play games (``--games``); older command lines gave them as ``--steps``"""
    actors: int | None = None
    """Ape-X actors on Ray (``--actors``; None: as the preset or the resumed run says)"""
    ray_address: str | None = None
    """an existing Ray cluster (HOST:PORT); None starts a local Ray"""


def build_config(base: TrainConfig, request: TrainRequest) -> TrainConfig:
    """``base`` with the TOML file, the --set flags and the dedicated flags applied, in that order."""
    config = base
    if request.config_file:
        path = Path(request.config_file)
        try:
            table = tomllib.loads(path.read_text())
        except FileNotFoundError as error:
            raise UserError(f"There is no settings file {path}; check the --config path.") from error
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise UserError(f"The settings file {path} is not valid TOML ({error}).") from error
        config = with_overrides(config, table, str(path))
    for item in request.overrides:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UserError(f"--set takes NAME=VALUE, not {item!r} (e.g. --set dqn.learning_rate=3e-4).")
        config = with_overrides(config, {name.strip(): value.strip()}, "--set")
    if request.steps is not None:
        if request.steps <= 0:
            raise UserError(f"--steps must be a positive number of agent steps, not {request.steps}.")
        config = dataclasses.replace(config, total_steps=request.steps)
    if request.seed is not None:
        if request.seed < 0:
            raise UserError(f"--seed must be 0 or more, not {request.seed}.")
        config = dataclasses.replace(
            config, seed=request.seed, dqn=dataclasses.replace(config.dqn, seed=request.seed)
        )
    if request.actors is not None:
        if request.actors < 1:
            raise UserError(f"--actors must be at least 1, not {request.actors}.")
        config = dataclasses.replace(config, actors=request.actors)
    if request.device is not None:
        if request.device == "cuda" and not torch.cuda.is_available():
            raise UserError(
                "--device cuda was asked for, but torch sees no CUDA device here; use --device cpu."
            )
        config = dataclasses.replace(config, dqn=dataclasses.replace(config.dqn, device=request.device))
    return config


def make_trainer(request: TrainRequest) -> tuple[Trainer, GameSpec, bool]:
    """The Trainer the request asks for, its game, and whether it resumes a run."""
    if request.resume:
        run_dir = Path(request.resume)
        game_id, saved = Trainer.read_run(run_dir)
        saved_config = (run_dir / "config.json").read_text()  # the Trainer rewrites it
        import_run_games(run_dir)  # the --import entries the run was started with, again
        spec = find_game(game_id)
        if request.game and find_game(request.game).id != spec.id:
            raise UserError(
                f"{run_dir} trains '{spec.id}', not '{request.game}'; leave out the game or pick its run."
            )
        config = build_config(saved, dataclasses.replace(request, config_file=request.config_file))
        changed = [name for name in FIXED_ON_RESUME if _setting(config, name) != _setting(saved, name)]
        if changed:
            raise UserError(
                f"{', '.join(changed)} cannot change when a run resumes (its saved network and replay "
                "memory are built for them); leave them out, or start a new run with --out."
            )
    else:
        if not request.game:
            raise UserError(
                "Name a game to train (e.g. 'python main.py train catch'), or give --resume RUN_DIR."
            )
        spec = find_game(request.game)
        config = build_config(preset(spec.preset), request)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        run_dir = Path(request.out) if request.out else made(runs_dir()) / f"{game_slug(spec.id)}-{stamp}"
        if (run_dir / "checkpoints" / "latest.pt").exists():  # a run stopped before saving may start over
            raise UserError(
                f"{run_dir} already holds a run; continue it with --resume {run_dir}, "
                "or choose another --out."
            )
    spec = with_obs_layout(spec, config.obs_layout)
    if config.actors:
        from game.modes.apex import make_ray_learner

        trainer: Trainer = make_ray_learner(spec, config, run_dir, request.ray_address)
    else:
        trainer = Trainer(
            spec.id,
            lambda: spec.make_env("train"),
            config,
            run_dir,
            make_eval_env=lambda: spec.make_env("show"),
            make_pool=spec.pool_factory,
            make_eval_pool=spec.eval_pool_factory,
        )
    if request.resume:
        try:
            trainer.restore()
            if trainer.steps >= config.total_steps:
                raise UserError(
                    f"{run_dir} has already trained {trainer.steps:,} steps; "
                    "give --steps above that to go on."
                )
        except (CheckpointError, UserError):
            (run_dir / "config.json").write_text(saved_config)  # a refused resume leaves the run as it was
            trainer.close()
            raise
    return trainer, spec, bool(request.resume)


def _setting(config: TrainConfig, name: str) -> object:
    """The value of a setting named as in --set ('num_envs', 'dqn.hidden')."""
    value: object = config
    for part in name.split("."):
        value = getattr(value, part)
    return value


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def default_threads() -> int:
    """Torch threads for training without a window: two where there are two cores to use.

    With no UI to keep smooth, the second thread pays (Pong, bfloat16: 448 against 303 agent steps/s
    on two cores, ``benchmarks/atari_speed.py``); more than two buys little for batches of 32 and
    crowds the emulator threads.
    """
    return max(
        1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    )


def local_learner_threads(actors: int) -> int:
    """Torch threads for a learner whose ``actors`` play on the same machine.

    Where the actors leave a core free, the learner takes the default (a Pong actor keeps less than a
    core busy: with two threads beside one actor the learner makes 0.98 of a local run's steps, with
    one 0.89; ``benchmarks/ray_scaling.py``). Where they take every core, one: a second thread with
    no core of its own spins in its wait and starves the actors (a restarted actor took 14 s to come
    back instead of 2). The thread governor still falls back to one on a machine that turns busy.
    """
    cores = os.cpu_count() or 1
    return default_threads() if actors < cores else 1


def run_training(request: TrainRequest) -> int:
    """Train as the request says; returns the exit status: 0, 130 after Ctrl-C (with a checkpoint saved),
    1 when learning stopped on non-finite updates or the final checkpoint could not be written."""
    threads = request.threads if request.threads is not None else default_threads()
    if threads < 1:
        raise UserError(f"--threads must be at least 1, not {threads}.")
    torch.set_num_threads(threads)
    if request.games is not None and not request.self_play:
        raise UserError("--games counts self-play games: add --self-play, or give agent steps with --steps.")
    if request.self_play:
        from game.modes.self_play import train_by_self_play

        if request.resume or not request.game:
            raise UserError("--self-play trains a new table for a named game; it does not resume.")
        spec = find_game(request.game)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        name = f"{game_slug(spec.id)}-selfplay-{stamp}"
        run_dir = Path(request.out) if request.out else made(runs_dir()) / name
        games = request.games if request.games is not None else request.steps
        train_by_self_play(spec, games, run_dir, request.seed or 0)
        return 0
    try:
        trainer, spec, resumed = make_trainer(request)
    except (CheckpointError, NotEnoughMemoryError) as error:
        raise UserError(str(error)) from error
    for notice in trainer.take_notices():  # a checkpoint or metrics file that was damaged, a tight fit
        print(notice, file=sys.stderr, flush=True)
    try:  # versions, commit and command line of this session (a resume adds its own)
        record_session(trainer.run_dir, trainer.steps)
    except OSError as error:
        print(
            f"Could not write {trainer.run_dir / PROVENANCE} ({error.strerror or error}); training goes on "
            "without it, so check the folder's permissions.",
            file=sys.stderr,
            flush=True,
        )
    config = trainer.config
    if config.actors and request.threads is None and request.ray_address is None:
        threads = local_learner_threads(config.actors)  # the actors play on this machine's cores too
        torch.set_num_threads(threads)
    verb = f"Resuming at step {trainer.steps:,}" if resumed else "Training"
    players = f"{config.num_envs} env(s)"
    if config.actors:
        where = request.ray_address or "a local Ray"
        players = f"{config.actors} actors x {config.num_envs} env(s) on {where}, the learner here with"
    print(
        f"{verb}: {spec.title} ({spec.id}) to {config.total_steps:,} steps, {players} "
        f"{type(trainer.agent.network).__name__} on {trainer.agent.device} -> {trainer.run_dir}",
        flush=True,
    )
    if spec.observations:  # a game from elsewhere: how its observations were read, and how to say otherwise
        print(
            f"Observations: {spec.observations} (override with --set obs_layout=chw|hwc|vector)", flush=True
        )
    for notice in spec.notices:
        print(notice, file=sys.stderr, flush=True)
    trainer.governor = ThreadGovernor(threads)
    bar = ProgressBar(config.total_steps)

    def progress(trainer: Trainer) -> None:
        for notice in trainer.take_notices():  # a failed save, a rollback of non-finite weights
            bar.note(notice)
        bar(trainer)

    # A run started in the background ignores SIGINT, and `kill` sends SIGTERM: both stop it the way
    # Ctrl-C does, with a checkpoint saved.
    previous = {number: signal.signal(number, _stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        trainer.train(progress=progress)
    except KeyboardInterrupt:
        for notice in trainer.take_notices():  # the last save's, if it failed
            bar.note(notice)
        bar.close()
        latest = trainer.run_dir / "checkpoints" / "latest.pt" if trainer.run_dir else None
        if trainer.saved_at is None:
            print(
                f"Stopped at step {trainer.steps:,}; no checkpoint could be saved (see above), so free some "
                "disk space and start again.",
                file=sys.stderr,
            )
            return 130
        saved = (
            f"checkpoint saved to {latest}"
            if trainer.saved_at == trainer.steps
            else f"the checkpoint could not be saved, so a resume starts at step {trainer.saved_at:,}"
        )
        print(
            f"Stopped at step {trainer.steps:,}; {saved}; "
            f"continue with: python main.py train --resume {trainer.run_dir}.",
            file=sys.stderr,
        )
        return 130
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        trainer.close()
    for notice in trainer.take_notices():
        bar.note(notice)
    bar.close()
    if trainer.learning_stopped:
        print(
            f"Stopped early: {trainer.steps:,} steps, with the last good weights in "
            f"{trainer.run_dir}/checkpoints/latest.pt; see the sentence above for what to change.",
            file=sys.stderr,
        )
        return EXIT_LEARNING_STOPPED
    returns = trainer.recent_returns
    recent = (
        f"mean return of the last {len(returns)} {sum(returns) / len(returns):.2f}"
        if returns
        else "no game finished in this session"
    )
    evaluation = "-" if trainer.last_eval is None else f"{trainer.last_eval:g}"
    saved = trainer.saved_at == trainer.steps
    if saved:
        checkpoint = f"{trainer.run_dir}/checkpoints/latest.pt"
    elif trainer.saved_at is None:
        checkpoint = "none could be saved (see above)"
    else:
        checkpoint = f"not saved at the end (see above); latest.pt holds step {trainer.saved_at:,}"
    print(
        f"Done: {trainer.steps:,} steps, {trainer.episodes:,} episodes, {recent}, evaluation {evaluation}. "
        f"Checkpoint: {checkpoint}"
    )
    if trainer.saved_at is not None:
        print(next_commands(spec, trainer.run_dir))
    return 0 if saved else EXIT_NOT_SAVED


def next_commands(spec: GameSpec, run_dir: Path) -> str:
    """What to do with a trained run: watch it, play it (versus or race, where the game has one), score it."""
    from game.modes.matches import match_kind  # the match modes' modules only when a run ends

    game, run = shlex.quote(spec.id), shlex.quote(str(run_dir))
    checkpoint = shlex.quote(str(run_dir / "checkpoints" / "latest.pt"))
    steps = [("watch it play", f"python main.py arena {game} --checkpoint {checkpoint}")]
    kind = match_kind(spec)
    if kind is not None:
        verb = "play against it" if kind == "versus" else "race it"
        steps.append((verb, f"python main.py {kind} {game} --checkpoint {checkpoint}"))
    steps.append(("score it", f"python main.py evaluate {run}"))
    steps.append(("draw its curves", f"python main.py plot {run} --out curves.png"))
    width = max(len(label) for label, _ in steps) + 1
    return "\n".join(["Next:", *(f"  {label + ':':<{width}} {command}" for label, command in steps)])
