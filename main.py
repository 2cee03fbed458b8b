"""Q-Arcade's command line: parse, then hand over to the game catalog, the trainer and the Pygame front end.

python main.py              the arcade: an agent learning Catch live, the menu behind ESC
python main.py arena GAME   watch an agent learn GAME, take over at any time
python main.py arena --attach RUN   watch a 'train --actors' job from its run directory (never a Ray driver)
python main.py play GAME    a person plays GAME alone
python main.py versus GAME  a person against a trained agent (pong, ALE/Pong-v5, ALE/Boxing-v5, tictactoe)
python main.py race GAME    a person and the agent side by side on the same game, from the same seed
python main.py lab [GRID]   the Q-learning lab: planning against learning on one grid
python main.py kiosk        the unattended booth: attract loop, visitors, leaderboard
python main.py train GAME   headless training with a progress bar (--steps, --out, --resume)
python main.py train GAME --offline DATASET   learn from recorded play alone (fitted Q-iteration, offline DQN)
python main.py train GAME --actors N   Ape-X: N actors on Ray play for one learner (--ray-address HOST:PORT)
python main.py games        list every game
python main.py datasets     list the recorded play in the data folder (Minari datasets)
python main.py evaluate RUN score a trained agent headless over N games (--episodes, --epsilon, --out)
python main.py plot RUN...  learning curves of runs as a PNG (--out; needs the 'plot' extra)
python main.py record RUN   a video of a trained agent playing, its Q-values beside (--seconds, --out)

GAME is a catalog id, a registered gymnasium id, or gymnasium's my_pkg.envs:MyGame-v0 (the module is
imported first); --import MODULE[:FUNCTION], before the command, imports a module (and calls FUNCTION)
that registers games. --data-dir DIR, before the command too, keeps runs, recorded play, recordings,
screenshots and the kiosk's leaderboard in DIR (``--help`` says where they go by default).
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
from collections.abc import Sequence

# numpy's BLAS splits the Atari screen's tiny matrix products over both cores and then waits for a
# busy core: one thread makes the env step 3.5-9x faster here (benchmarks/atari_speed.py). It must
# be set before numpy loads; spawned worker processes inherit it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

EXIT_USAGE = 2  # bad input: an unknown game, a bad flag, no display
DEFAULT_GAME = "catch"  # what the arcade shows learning when it opens
DATASETS_HELP = "the folder of recorded play, Minari datasets (default datasets/ in the data folder)"
OFFLINE_FLAGS = ("method", "iterations", "updates", "data", "eval_episodes", "compare_online", "conservative")


def _version() -> str:
    """The installed package's version (the checkout's pyproject.toml when it is not installed)."""
    from importlib import metadata

    try:
        return metadata.version("q-arcade")
    except metadata.PackageNotFoundError:
        return "0.1.0 (not installed)"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one sentence instead of a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{message[0].upper()}{message[1:]}; run 'python main.py --help' for the options.\n")
        sys.exit(EXIT_USAGE)


def data_epilog() -> str:
    """Where runs, recorded play, recordings, screenshots and the leaderboard go, for ``--help``."""
    from game.places import ENV_VAR, data_dir, data_dir_origin

    return (
        f"Your data (runs/, datasets/, recordings/, screenshots/, kiosk.sqlite3) goes into the data folder "
        f"{data_dir()} ({data_dir_origin()}); choose another with --data-dir DIR or {ENV_VAR}."
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python main.py",
        description="Q-Arcade: watch a Deep Q-Network learn, and play.",
        epilog=data_epilog(),
    )
    parser.add_argument("--fullscreen", action="store_true", help="open the window fullscreen")
    parser.add_argument("--version", action="version", version=f"q-arcade {_version()}")
    parser.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="MODULE[:FUNCTION]",
        help="import a module that registers gymnasium games (and call FUNCTION), before the command",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="keep runs, recorded play, recordings, screenshots and the leaderboard in DIR (see below)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    listing = commands.add_parser("games", help="list every game in the catalog")
    listing.add_argument("--kind", choices=["arcade", "atari", "classic"], help="only games of this kind")
    play = commands.add_parser("play", help="play a game yourself, with keyboard or gamepad")
    play.add_argument("game", help="a game id from 'python main.py games' (e.g. catch, ALE/Pong-v5)")
    play.add_argument("--seed", type=int, default=None, help="seed of the first game (default: random)")
    play.add_argument("--fullscreen", action="store_true", default=argparse.SUPPRESS, help="open fullscreen")
    arena = commands.add_parser("arena", help="watch an agent learn GAME live, and take over at any time")
    arena.add_argument("game", nargs="?", help=f"a game id (default {DEFAULT_GAME})")
    arena.add_argument("--checkpoint", help="start from a trained checkpoint's weights")
    arena.add_argument("--new", action="store_true", help="a new agent, even if this game has a saved one")
    arena.add_argument(
        "--run", metavar="RUN_DIR", help="where the agent is kept (default: runs/arena-GAME, data folder)"
    )
    arena.add_argument(
        "--learning", action="store_true", help="open with the 'how it learns' layer on (F8 toggles it)"
    )
    arena.add_argument(
        "--attach",
        metavar="RUN",
        help="watch a running 'train --actors' job from its run directory: its newest weights play here",
    )
    arena.add_argument("--fullscreen", action="store_true", default=argparse.SUPPRESS, help="open fullscreen")
    for name, text in (
        ("versus", "play against a trained agent (pong, ALE/Pong-v5, ALE/Boxing-v5, tictactoe)"),
        ("race", "race a trained agent on the same game from the same start, split screen"),
    ):
        match = commands.add_parser(name, help=text)
        match.add_argument("game", help="a game id (e.g. pong, ALE/Pong-v5, catch)")
        match.add_argument("--stage", help="a shipped agent's stage: beginner, intermediate, expert")
        match.add_argument("--checkpoint", help="play against these trained weights instead")
        match.add_argument("--seed", type=int, default=None, help="seed of the first game (default: random)")
        match.add_argument(
            "--fullscreen", action="store_true", default=argparse.SUPPRESS, help="open fullscreen"
        )
    lab = commands.add_parser(
        "lab", help="the Q-learning lab: value and policy iteration, Q-learning and DQN on one grid"
    )
    lab.add_argument("grid", nargs="?", default="classic", help="a layout: classic, cliff, maze, gridworld")
    lab.add_argument(
        "--dataset",
        metavar="DATASET",
        help="recorded GridWorld play: adds fitted Q-iteration as a fifth method",
    )
    lab.add_argument("--data", metavar="DIR", help=DATASETS_HELP)
    lab.add_argument("--fullscreen", action="store_true", default=argparse.SUPPRESS, help="open fullscreen")
    kiosk = commands.add_parser("kiosk", help="the unattended event booth, fullscreen (see the README)")
    kiosk.add_argument(
        "--games", help="comma-separated games of the attract loop (default: the featured ones)"
    )
    kiosk.add_argument(
        "--join", choices=["auto", "versus", "race", "takeover"], default="auto", help="what a visitor joins"
    )
    kiosk.add_argument("--session-seconds", type=int, default=180, help="play time per visitor")
    kiosk.add_argument(
        "--idle-seconds", type=int, default=30, help="back to the attract loop after this idle"
    )
    kiosk.add_argument(
        "--leaderboard", help="SQLite file of the leaderboard (default kiosk.sqlite3 in the data folder)"
    )
    kiosk.add_argument("--windowed", action="store_true", help="a window instead of fullscreen (for testing)")
    train = commands.add_parser("train", help="train an agent headless, with a progress bar")
    train.add_argument("game", nargs="?", help="a game id (optional with --resume)")
    train.add_argument("--steps", type=int, help="total agent steps (default: the game's preset)")
    train.add_argument("--out", help="run directory (default: runs/GAME-DATE-TIME in the data folder)")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its latest checkpoint")
    train.add_argument("--config", metavar="FILE.toml", help="settings that override the preset")
    train.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override one setting, e.g. --set learning_starts=500 --set dqn.learning_rate=3e-4",
    )
    train.add_argument("--seed", type=int, help="seed of environments, weights and exploration")
    train.add_argument(
        "--device", choices=["auto", "cpu", "cuda"], help="where the network runs (default auto)"
    )
    train.add_argument(
        "--threads", type=int, help="torch threads for learning (default: 2, or 1 on a one-core machine)"
    )
    train.add_argument(
        "--self-play",
        action="store_true",
        help="two-player turn-based games: a Q-table learns against itself",
    )
    train.add_argument("--games", type=int, help="with --self-play: games to play (default 30,000)")
    train.add_argument(
        "--actors",
        type=int,
        metavar="N",
        help="Ape-X: N actor processes play for one learner, on Ray (the 'ray' extra); see 'Many machines'",
    )
    train.add_argument(
        "--ray-address",
        metavar="HOST:PORT",
        help="with --actors: an existing Ray cluster (default: a local Ray, on loopback only)",
    )
    train.add_argument(
        "--offline",
        metavar="DATASET",
        help="learn from a recorded dataset (an id or a folder), no game played",
    )
    train.add_argument("--method", choices=["fqi", "dqn"], help="with --offline: fitted Q-iteration or DQN")
    train.add_argument("--iterations", type=int, help="with --offline fqi: rounds (default 15)")
    train.add_argument("--updates", type=int, help="with --offline dqn: gradient updates")
    train.add_argument("--data", metavar="DIR", help=f"with --offline: {DATASETS_HELP}")
    train.add_argument(
        "--eval-episodes", type=int, help="with --offline: greedy games that score the agent (default 20)"
    )
    train.add_argument(
        "--conservative",
        type=float,
        metavar="ALPHA",
        help="with --offline fqi: CQL's penalty on the values of actions the recording did not take",
    )
    train.add_argument(
        "--compare-online",
        action="store_true",
        help="with --offline: also train an online DQN for as many updates, and score it",
    )
    datasets = commands.add_parser(
        "datasets", help="list the recorded play (Minari datasets) in the data folder"
    )
    datasets.add_argument("--data", metavar="DIR", help=DATASETS_HELP)
    add_results_commands(commands)
    return parser


def add_results_commands(commands: argparse._SubParsersAction) -> None:
    """The subcommands that read trained runs back: evaluate, record and plot."""
    evaluate = commands.add_parser("evaluate", help="score a trained agent headless over N games, as JSON")
    add_agent_arguments(evaluate)
    evaluate.add_argument("--episodes", type=int, default=20, help="games to play (default 20)")
    evaluate.add_argument(
        "--out", metavar="FILE.json", help="where the scores go (default RUN/evaluation.json)"
    )
    record = commands.add_parser(
        "record", help="a video of a trained agent playing, with its Q-values and epsilon (MP4, no window)"
    )
    add_agent_arguments(record)
    record.add_argument("--seconds", type=float, default=20.0, help="length of the video (default 20)")
    record.add_argument(
        "--out", metavar="FILE.mp4", help="the video (default: recordings/GAME-DATE-TIME.mp4, data folder)"
    )
    plot = commands.add_parser("plot", help="learning curves of runs as one PNG (the 'plot' extra)")
    plot.add_argument("runs", nargs="+", metavar="RUN", help="run directories of 'train'")
    plot.add_argument("--out", metavar="FILE.png", required=True, help="the PNG to write")
    plot.add_argument("--title", help="the title above the curves (default: the runs' names)")


def add_agent_arguments(parser: argparse.ArgumentParser) -> None:
    """The trained agent to play, and how: RUN|CHECKPOINT, --epsilon and --seed (evaluate and record)."""
    parser.add_argument("target", metavar="RUN|CHECKPOINT", help="a run directory or a .pt checkpoint")
    parser.add_argument(
        "--epsilon", type=float, help="exploration while playing (default: the run's eval_epsilon)"
    )
    parser.add_argument("--seed", type=int, default=0, help="game n is seeded SEED + n (default 0)")


def list_games(kind: str | None) -> None:
    """Print the catalog, one game a line, grouped as in the menu."""
    from game.catalog import catalog

    groups = (("arcade", "Home-made games"), ("atari", "Atari 2600 (ale-py)"), ("classic", "Classic control"))
    specs = list(catalog().values())
    for group, heading in groups:
        members = [s for s in specs if s.kind == group and kind in (None, group)]
        if not members:
            continue
        print(f"{heading} ({len(members)})")
        for spec in sorted(members, key=lambda s: (not s.featured, s.title.lower())):
            star = "*" if spec.featured else " "
            players = "2P" if spec.players == 2 else "1P"
            blurb = f"  {spec.blurb}" if spec.kind != "atari" else ""
            print(f" {star} {spec.id:<28} {spec.title:<24} {players}{blurb}")
        print()
    print("* featured.  Any other registered gymnasium id with discrete actions can be played by id too;")
    print("  'module:Id' imports a package's module first (python main.py train my_pkg.envs:MyGame-v0).")


def run_window(args: argparse.Namespace) -> None:
    """Open the arcade window: the arena learning a game (ESC leads to the menu), or a game to play."""
    from game.catalog import find_game
    from game.ui.app import App, check_display

    if args.command == "kiosk":
        run_kiosk(args)
        return
    if args.command == "lab":
        run_lab(args)
        return
    if getattr(args, "attach", None):
        run_attach(args)
        return
    game = getattr(args, "game", None) or DEFAULT_GAME
    spec = find_game(game)  # first: a typo is named as a typo, and costs no window
    if args.command in ("versus", "race"):
        run_match(args, spec)
        return
    check_display()
    app = App(fullscreen=args.fullscreen)
    if args.command == "play":
        from game.ui.scenes.play import PlayScene

        app.open()
        app.run(PlayScene(app, spec, seed=args.seed))
        return
    from game.ui.navigator import Navigator

    navigator = Navigator(app)
    worker = navigator.worker_for(
        spec,
        checkpoint=getattr(args, "checkpoint", None),
        new=getattr(args, "new", False),
        run_dir=getattr(args, "run", None),
    )
    app.open()
    scene = navigator.arena(spec, worker)
    if getattr(args, "learning", False):
        scene.set_learning_layer(True)
    app.run(scene)


def run_attach(args: argparse.Namespace) -> None:
    """Watch a job learning elsewhere through its run directory: its newest weights play here."""
    from game.catalog import find_game
    from game.errors import UserError
    from game.modes.attach import JobWatch, check_run
    from game.modes.protocol import SessionConfig
    from game.modes.provenance import import_run_games
    from game.modes.session import Worker
    from game.ui.app import App, check_display

    clashing = [flag for flag in ("checkpoint", "new", "run", "learning") if getattr(args, flag)]
    if clashing:
        raise UserError(
            f"--{clashing[0]} cannot go with --attach (it plays the job's weights); leave it out."
        )
    game_id = check_run(args.attach)
    if args.game and args.game != game_id:
        raise UserError(f"{args.attach} is a run of {game_id}, not {args.game}; leave the game out.")
    import_run_games(args.attach)  # the games its run registered with --import
    spec = find_game(game_id)
    check_display()
    app = App(fullscreen=args.fullscreen)
    worker = Worker(SessionConfig(spec.id, str(args.attach), watch=True))
    app.open()
    from game.ui.scenes.attach import AttachScene

    app.run(AttachScene(app, spec, worker, JobWatch(args.attach)))


def run_match(args: argparse.Namespace, spec) -> None:
    """A person against a trained agent: versus (two-player games) or race (one-player games)."""
    from game.modes.players import load_player
    from game.ui.app import App, check_display

    if args.command == "versus":
        from game.modes.versus import check_versus

        check_versus(spec)
    else:
        from game.modes.race import check_race

        check_race(spec)
    player = load_player(spec, stage=args.stage, checkpoint=args.checkpoint)
    check_display()
    app = App(fullscreen=args.fullscreen)
    app.open()
    if args.command == "versus":
        from game.ui.scenes.versus import VersusScene

        app.run(VersusScene(app, spec, player, seed=args.seed))
    else:
        from game.ui.scenes.race import RaceScene

        app.run(RaceScene(app, spec, player, seed=args.seed))


def run_lab(args: argparse.Namespace) -> None:
    """The Q-learning lab: one grid, four methods (five with a recorded dataset) side by side."""
    from game.errors import UserError
    from game.modes.lab import LAYOUTS
    from game.modes.lab_protocol import LabConfig
    from game.ui.app import App, check_display

    if args.grid not in LAYOUTS:
        raise UserError(f"Unknown lab layout {args.grid!r}: choose one of {', '.join(LAYOUTS)}.")
    if args.dataset is not None and not args.dataset.endswith(".npz"):
        from game.modes.datasets import load_transitions
        from game.modes.lab import LabWorld
        from game.modes.lab_methods import dataset_fits

        cells = LabWorld.named(args.grid).n_states
        if not dataset_fits(load_transitions(args.dataset, args.data), cells):
            raise UserError(
                f"{args.dataset} was not recorded on a grid of {cells} cells: record GridWorld play "
                "('python main.py play gridworld', then F10) for 'python main.py lab gridworld'."
            )
    config = LabConfig(layout=args.grid, dataset=args.dataset, data_dir=args.data)
    check_display()
    app = App(fullscreen=args.fullscreen)
    app.open()
    from game.ui.scenes.lab import LabScene

    app.run(LabScene(app, config))


def run_kiosk(args: argparse.Namespace) -> None:
    """The event booth: fullscreen attract loop, visitors, leaderboard, operator hotkeys."""
    from game.modes.kiosk.booth import KioskConfig
    from game.ui.app import App, check_display

    config = KioskConfig.from_args(
        games=args.games,
        join=args.join,
        session_seconds=args.session_seconds,
        idle_seconds=args.idle_seconds,
        leaderboard=args.leaderboard,
    )
    check_display()
    app = App(fullscreen=not args.windowed, kiosk=True)
    app.open()
    from game.ui.scenes.kiosk.scene import KioskScene

    app.run(KioskScene(app, config))


def list_datasets(data_dir: str | None) -> None:
    """Print the datasets of ``data_dir`` (None: the data folder's datasets/), one a line."""
    from game.modes.datasets import data_root
    from game.modes.datasets import list_datasets as found

    datasets = found(data_dir)
    if not datasets:
        folder = data_root(data_dir)
        print(f"No datasets in {folder}: record your play in the arena (take over, then record).")
        return
    print(f"{'dataset':<36} {'game':<16} {'episodes':>9} {'steps':>10} {'mean return':>12}")
    for info in datasets:
        mean = "-" if info.mean_return is None else f"{info.mean_return:.3f}"
        print(f"{info.id:<36} {info.game or '-':<16} {info.episodes:>9,} {info.steps:>10,} {mean:>12}")


def train_offline(args: argparse.Namespace) -> int:
    """Learn from a recorded dataset, then score the agent in the game."""
    from game.errors import UserError
    from game.modes.offline_training import OfflineRequest, run_offline

    if not args.game:
        raise UserError(
            "Name the game the dataset was recorded on (e.g. 'python main.py train catch --offline ID')."
        )
    clashing = [
        flag
        for flag, value in (
            ("--resume", args.resume),
            ("--self-play", args.self_play),
            ("--steps", args.steps),
            ("--config", args.config),
            ("--set", args.set),
            ("--games", args.games),
        )
        if value
    ]
    if clashing:
        raise UserError(f"{', '.join(clashing)} cannot go with --offline; leave them out.")
    request = OfflineRequest(
        game=args.game,
        dataset=args.offline,
        data_dir=args.data,
        method=args.method or "fqi",
        iterations=args.iterations,
        updates=args.updates,
        out=args.out,
        seed=args.seed or 0,
        eval_episodes=20 if args.eval_episodes is None else args.eval_episodes,
        compare_online=args.compare_online,
        conservative=args.conservative or 0.0,
        device=args.device,
        threads=args.threads,
    )
    return run_offline(request)


def train(args: argparse.Namespace) -> int:
    """Headless training: build the config, run it with a progress bar, say where it went."""
    from game.errors import UserError
    from game.modes.training import TrainRequest, run_training

    if args.offline:
        return train_offline(args)
    given = [name for name in OFFLINE_FLAGS if getattr(args, name) not in (None, False)]
    if given:
        raise UserError(
            f"--{given[0].replace('_', '-')} goes with --offline DATASET; add it or leave the flag out."
        )

    request = TrainRequest(
        game=args.game,
        steps=args.steps,
        out=args.out,
        resume=args.resume,
        config_file=args.config,
        overrides=tuple(args.set),
        seed=args.seed,
        device=args.device,
        threads=args.threads,
        self_play=args.self_play,
        games=args.games,
        actors=args.actors,
        ray_address=args.ray_address,
    )
    return run_training(request)


def evaluate(args: argparse.Namespace) -> None:
    """Score a trained agent over N games headless; print the statistics and write them as JSON."""
    from game.modes.evaluation import EvaluationRequest, describe
    from game.modes.evaluation import evaluate as run_evaluation

    request = EvaluationRequest(args.target, args.episodes, args.epsilon, args.seed, args.out)
    result, out = run_evaluation(request)
    print(describe(result, out))


def record(args: argparse.Namespace) -> None:
    """Film a trained agent playing its game, its Q-values and epsilon beside, as an MP4 (no window)."""
    from game.modes.video import VideoRequest, describe
    from game.ui.video import record_video

    request = VideoRequest(args.target, args.seconds, args.out, args.epsilon, args.seed)
    print(describe(record_video(request)))


def plot(args: argparse.Namespace) -> None:
    """Draw the learning curves of runs into one PNG (matplotlib, the 'plot' extra)."""
    from game.modes.plots import plot_runs

    print(f"Curves written to {plot_runs(args.runs, args.out, args.title)}")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status: 0, 2 for a mistake, 130 when stopped by Ctrl-C or SIGTERM."""
    args = build_parser().parse_args(argv)
    from game import places

    if args.data_dir:  # in the environment, so that every worker process this one starts finds it too
        os.environ[places.ENV_VAR] = os.path.abspath(os.path.expanduser(args.data_dir))
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    from game.errors import UserError

    try:
        if os.environ.get(places.ENV_VAR):  # a chosen data folder is checked now, not at the first save
            places.check_data_dir()
        if args.imports:  # before any game is looked up; an arena's worker applies them again
            from game.gym_games import import_games

            import_games(args.imports)
        if getattr(args, "checkpoint", None):  # and those its run was trained with, before GAME is looked up
            from game.modes.provenance import import_run_games

            import_run_games(args.checkpoint)
        if args.command == "games":
            list_games(args.kind)
        elif args.command == "datasets":
            list_datasets(args.data)
        elif args.command == "train":
            return train(args)
        elif args.command == "evaluate":
            evaluate(args)
        elif args.command == "record":
            record(args)
        elif args.command == "plot":
            plot(args)
        else:
            # `kill` while the window opens stops it as Ctrl-C does; once it is open, App.run takes both
            # signals over so that the scene closes and saves first (and exits 130 too, as train does).
            previous = signal.signal(signal.SIGTERM, _interrupt)
            try:
                run_window(args)
            finally:
                signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
    except UserError as error:
        sys.stderr.write(f"{error}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the listing went into a pipe that closed early ('games | head')
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0


if __name__ == "__main__":
    status = main()
    # Everything is closed and saved: the interpreter's last collections may skip what is left. With
    # torch loaded that sweep takes a second on two busy cores; a stopped window should exit at once.
    gc.freeze()
    sys.exit(status)
