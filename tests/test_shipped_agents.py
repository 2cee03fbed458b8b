"""Every agent shipped in assets/agents loads, and plays its game at the score its manifest promises."""

import itertools

import pytest
import torch

from agents.trainer import TrainConfig, play_episodes
from game.catalog import find_game
from game.shipped import AGENTS_DIR, load_shipped_agent, manifest

EPISODES = 20  # evaluation games per shipped agent
SEED = 20_261_122  # games the agents never trained on

SHIPPED = [(game, stage, entry) for game, stages in manifest().items() for stage, entry in stages.items()]


def test_something_is_shipped_with_its_command():
    assert {"catch", "gridworld"} <= {game for game, _, _ in SHIPPED}
    for _, _, entry in SHIPPED:
        assert (AGENTS_DIR / entry["file"]).is_file()
        assert entry["command"].startswith("python main.py train ")
        assert (AGENTS_DIR / entry["file"]).stat().st_size < 5_000_000, "small weights only"


@pytest.mark.parametrize(("game_id", "stage", "entry"), SHIPPED, ids=[f"{g}-{s}" for g, s, _ in SHIPPED])
def test_shipped_agent_plays_at_its_stated_score(game_id, stage, entry):
    torch.set_num_threads(1)
    agent, metadata = load_shipped_agent(AGENTS_DIR / entry["file"])
    assert metadata["game_id"] == game_id and metadata["steps"] == entry["steps"]
    config = TrainConfig.from_dict(metadata["config"])
    spec = find_game(game_id)
    returns = play_episodes(
        agent, lambda: spec.make_env("show"), EPISODES, config.eval_epsilon, SEED, config.eval_max_steps
    )
    mean = sum(returns) / len(returns)
    assert mean >= entry["min_return"], f"{game_id} {stage}: mean return {mean:.2f} < {entry['min_return']}"


@pytest.mark.parametrize("game_id", sorted(manifest()))
def test_stages_get_better(game_id):
    order = [stage for stage in ("beginner", "intermediate", "expert") if stage in manifest()[game_id]]
    stages = [manifest()[game_id][stage] for stage in order]
    for earlier, later in itertools.pairwise(stages):
        assert earlier["steps"] < later["steps"]
        assert earlier["eval"] < later["eval"] and earlier["min_return"] < later["min_return"]
