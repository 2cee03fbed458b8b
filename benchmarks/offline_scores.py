"""Learning offline from recorded play, on Catch, GridWorld and Runner: the offline agent's score
against the recorded play's own score and an online DQN given the same number of gradient updates.

The recorded play is a scripted player's (``game.modes.experts``) that slips like a person: a share
of its moves (``--slip``) is a random key. It goes through the same Recorder and Minari dataset a
person's play does; then ``main.py train GAME --offline`` learns from it (fitted Q-iteration, plain
and with CQL's conservative penalty, and offline DQN for as many updates), and ``--compare-online``
trains an online DQN for as many updates.

    python -m benchmarks.offline_scores                       # 300 episodes a game, half the keys random
    python -m benchmarks.offline_scores --games catch --episodes 100 --slip 0.3
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import main as cli
from benchmarks._common import print_footer, print_header, print_table
from game.catalog import find_game
from game.modes.datasets import list_datasets
from game.modes.experts import expert_for, record_scripted

GAMES = ("catch", "gridworld", "runner")


def offline_run(
    game: str, dataset: str, data_dir: Path, out: Path, method: str, online: bool, *extra: str
) -> dict:
    """``main.py train GAME --offline`` in this process (its progress lines kept quiet); its report."""
    argv = [
        "train",
        game,
        "--offline",
        dataset,
        "--data",
        str(data_dir),
        "--out",
        str(out),
        "--method",
        method,
        *extra,
    ]
    if online:
        argv.append("--compare-online")
    with contextlib.redirect_stdout(io.StringIO()):
        status = cli.main(argv)
    if status != 0:
        raise SystemExit(f"main.py {' '.join(argv)} exited {status}")
    return json.loads((out / "offline.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", nargs="+", default=list(GAMES))
    parser.add_argument("--episodes", type=int, default=300, help="recorded episodes per game")
    parser.add_argument("--slip", type=float, default=0.5, help="share of the recorded moves that are random")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--conservative", type=float, default=0.5, help="CQL's weight for the third column")
    args = parser.parse_args()
    print_header("Learning offline from recorded play")
    rows = []
    with tempfile.TemporaryDirectory(prefix="q-arcade-offline-") as scratch:
        root = Path(scratch)
        for game in args.games:
            spec = find_game(game)
            env = spec.make_env("train")
            expert = expert_for(spec.id, env)
            record_scripted(spec.id, expert, args.episodes, root / "data", seed=args.seed, epsilon=args.slip)
            env.close()
            info = next(d for d in list_datasets(root / "data") if d.game == spec.id)
            fqi = offline_run(spec.id, info.id, root / "data", root / f"{game}-fqi", "fqi", online=True)
            cql = offline_run(
                spec.id,
                info.id,
                root / "data",
                root / f"{game}-cql",
                "fqi",
                False,
                "--conservative",
                str(args.conservative),
            )
            dqn = offline_run(spec.id, info.id, root / "data", root / f"{game}-dqn", "dqn", online=False)
            rows.append(
                [
                    game,
                    f"{info.episodes:,} / {info.steps:,}",
                    f"{fqi['recorded_mean_return']:+.3f}",
                    f"**{fqi['evaluation']['mean_return']:+.3f}**",
                    f"**{cql['evaluation']['mean_return']:+.3f}**",
                    f"{dqn['evaluation']['mean_return']:+.3f}",
                    f"{fqi['online_mean_return']:+.3f}",
                    f"{fqi['updates']:,}",
                ]
            )
            print(f"{game}: done", flush=True)
    print()
    print_table(
        [
            "game",
            "episodes / steps",
            "recorded play",
            "offline FQI",
            f"FQI + CQL {args.conservative:g}",
            "offline DQN",
            "online DQN",
            "updates (each)",
        ],
        rows,
    )
    print(f"\nrecorded play: a scripted player with {args.slip:.0%} of its moves random; scores are mean")
    print("returns over 20 greedy games; offline DQN and online DQN get as many updates as FQI made")
    print_footer()


if __name__ == "__main__":
    main()
