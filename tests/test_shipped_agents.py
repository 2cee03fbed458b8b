"""Every agent shipped in assets/agents loads, and plays its game at the score its manifest promises."""

import itertools

import pytest
import torch

from agents.pools import play_episodes
from agents.selfplay import greedy_policy
from agents.tabular import load_table
from agents.train_config import TrainConfig
from game.arcade.tictactoe import TicTacToeEnv
from game.catalog import find_game
from game.modes.runs import AGENTS_DIR, load_shipped_agent, manifest

EPISODES = 20  # evaluation games per shipped agent
ATARI_EPISODES = 2  # an Atari game lasts thousands of steps: a couple of whole games, marked slow
LONG_GAMES = ("pong",)  # 20 games to 5 points against good play: over 15 s, marked slow too
SEED = 20_261_122  # games the agents never trained on

SHIPPED = [(game, stage, entry) for game, stages in manifest().items() for stage, entry in stages.items()]
NETWORKS = [
    pytest.param(
        game,
        stage,
        entry,
        id=f"{game}-{stage}",
        marks=[pytest.mark.slow] if "/" in game or game in LONG_GAMES else [],
    )
    for game, stage, entry in SHIPPED
    if entry["kind"] == "dqn"
]
TABLES = [(game, stage, entry) for game, stage, entry in SHIPPED if entry["kind"] == "qtable"]


def test_something_is_shipped_with_its_command():
    assert {"catch", "gridworld", "runner", "pong", "snake", "tictactoe"} <= {game for game, _, _ in SHIPPED}
    for _, _, entry in SHIPPED:
        assert (AGENTS_DIR / entry["file"]).is_file()
        assert entry["command"].startswith("python main.py train ")
        assert (AGENTS_DIR / entry["file"]).stat().st_size < 5_000_000, "small weights only"


@pytest.mark.parametrize(("game_id", "stage", "entry"), NETWORKS)
def test_shipped_agent_plays_at_its_stated_score(game_id, stage, entry):
    torch.set_num_threads(1)
    agent, metadata = load_shipped_agent(AGENTS_DIR / entry["file"])
    assert metadata["game_id"] == game_id and metadata["steps"] == entry["steps"]
    config = TrainConfig.from_dict(metadata["config"])
    spec = find_game(game_id)
    episodes = ATARI_EPISODES if spec.kind == "atari" else EPISODES
    returns = play_episodes(
        agent, lambda: spec.make_env("show"), episodes, config.eval_epsilon, SEED, config.eval_max_steps
    )
    mean = sum(returns) / len(returns)
    assert mean >= entry["min_return"], f"{game_id} {stage}: mean return {mean:.2f} < {entry['min_return']}"


@pytest.mark.parametrize("game_id", sorted(manifest()))
def test_stages_get_better(game_id):
    order = [stage for stage in ("beginner", "intermediate", "expert") if stage in manifest()[game_id]]
    assert order, "every shipped agent has a stage the menu knows"
    stages = [manifest()[game_id][stage] for stage in order]
    for earlier, later in itertools.pairwise(stages):
        assert earlier["steps"] < later["steps"]
        assert earlier["eval"] < later["eval"] and earlier["min_return"] < later["min_return"]


@pytest.mark.parametrize(("game_id", "stage", "entry"), TABLES, ids=[f"{g}-{s}" for g, s, _ in TABLES])
@pytest.mark.parametrize("side", ["X", "O"])
def test_shipped_self_play_table_never_loses_to_a_perfect_player(game_id, stage, entry, side):
    player = greedy_policy(load_table(AGENTS_DIR / entry["file"]))
    env = TicTacToeEnv(agent_player=side, opponent_skill=1.0)  # minimax with random choice among equals
    returns = []
    for n in range(EPISODES):
        obs, info = env.reset(seed=SEED + n)
        done = False
        while not done:
            obs, reward, terminated, truncated, info = env.step(player(obs, info["action_mask"]))
            done = terminated or truncated
        returns.append(reward)
    assert min(returns) >= 0, f"{stage} lost a game as {side}"
    assert sum(returns) / len(returns) >= entry["min_return"]
