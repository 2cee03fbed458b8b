"""The play window under SDL's dummy driver: scripted key events reach the game."""

import numpy as np
import pygame
import pytest

from game.arcade import ARCADE_GAMES
from game.catalog import find_game
from game.ui.scenes.menu import MenuScene
from game.ui.scenes.play import PlayScene
from tests.screen import is_picture, open_app, post_key, run


@pytest.fixture
def app():
    yield from open_app((800, 600))


def basket(scene: PlayScene) -> int:
    """Catch's basket column, 0..4, from its observation."""
    return round(float(scene.obs[2]) * 4)


def test_held_arrow_keys_move_the_basket(app):
    scene = PlayScene(app, find_game("catch"), seed=3)
    start = basket(scene)  # basket column, 0..4
    post_key(pygame.K_RIGHT)
    run(app, scene, 2, dt=0.1)  # Catch steps ten times a second: one step per 0.1 s frame
    assert basket(scene) == min(4, start + 2)
    post_key(pygame.K_RIGHT, down=False)
    post_key(pygame.K_LEFT)
    run(app, scene, 3, dt=0.1)
    assert basket(scene) == max(0, min(4, start + 2) - 3)
    post_key(pygame.K_LEFT, down=False)
    assert is_picture(app.surface)


def test_wasd_and_gamepad_hat_move_too(app):
    scene = PlayScene(app, find_game("catch"), seed=3)
    start = basket(scene)
    post_key(pygame.K_a)
    run(app, scene, 1, dt=0.1)
    post_key(pygame.K_a, down=False)
    assert basket(scene) == max(0, start - 1)
    before = basket(scene)
    pygame.event.post(pygame.event.Event(pygame.JOYHATMOTION, joy=0, instance_id=0, hat=0, value=(1, 0)))
    run(app, scene, 1, dt=0.1)
    assert basket(scene) == min(4, before + 1)


def test_pause_freezes_and_restart_resets(app):
    scene = PlayScene(app, find_game("runner"), seed=0)
    run(app, scene, 10)
    steps = scene.steps
    assert steps > 0
    post_key(pygame.K_p)
    run(app, scene, 30)
    assert scene.steps == steps and scene.paused
    post_key(pygame.K_p)
    post_key(pygame.K_r)
    run(app, scene, 1)
    assert scene.steps <= 1


def test_tictactoe_waits_for_the_player_then_takes_a_numbered_square(app):
    scene = PlayScene(app, find_game("tictactoe"), seed=0)
    run(app, scene, 30)
    assert scene.steps == 0, "a turn-based game waits"
    mask = np.asarray(scene.info["action_mask"])
    cell = int(np.flatnonzero(mask)[0])
    post_key(pygame.K_1 + cell)
    run(app, scene, 1)
    assert scene.steps == 1
    assert scene.obs[cell] == 1.0, "the person's mark is in the square they chose"


def test_tictactoe_arrows_move_the_highlight_and_space_places(app):
    scene = PlayScene(app, find_game("tictactoe"), seed=0)
    scene.cursor = 0
    post_key(pygame.K_RIGHT)
    post_key(pygame.K_DOWN)
    run(app, scene, 1)
    assert scene.cursor == 4
    assert np.asarray(scene.info["action_mask"])[4], "the person moves first: the board is empty"
    post_key(pygame.K_SPACE)
    run(app, scene, 1)
    assert scene.steps == 1 and scene.obs[4] == 1.0, "SPACE placed the person's mark under the highlight"


def test_escape_leaves(app):
    scene = PlayScene(app, find_game("snake"), seed=0)
    app.running = True
    post_key(pygame.K_ESCAPE)
    run(app, scene, 1)
    assert not app.running


@pytest.mark.parametrize("game_id", [*sorted(ARCADE_GAMES), "ALE/Pong-v5", "CartPole-v1"])
def test_every_game_draws_in_the_window(app, game_id):
    scene = PlayScene(app, find_game(game_id), seed=1)
    post_key(pygame.K_UP)
    run(app, scene, 20)
    post_key(pygame.K_UP, down=False)
    assert is_picture(app.surface)
    scene.close()


def test_atari_pong_is_played_on_up_and_down(app):
    scene = PlayScene(app, find_game("ALE/Pong-v5"), seed=0)
    up = scene.keymap.action_for({"up"})
    down = scene.keymap.action_for({"down"})
    assert scene.labels[up] == "RIGHT" and scene.labels[down] == "LEFT"  # in ALE Pong, RIGHT moves up
    scene.close()


def test_menu_draws_and_enter_opens_the_chosen_game(app):
    menu = MenuScene(app)
    run(app, menu, 20, dt=0.05)  # long enough for the preview to be made
    assert menu.spec.id in menu.previews
    assert is_picture(app.surface)
    post_key(pygame.K_DOWN)
    post_key(pygame.K_RETURN)
    run(app, menu, 1)
    assert isinstance(app.scene, PlayScene) and app.scene.spec.id == "snake"
    post_key(pygame.K_ESCAPE)
    run(app, app.scene, 1)
    assert app.scene is menu


def test_menu_l_chooses_which_agent_enter_watches(app, tmp_path):
    watched = []
    saved = tmp_path / "runs" / "catch-1" / "checkpoints" / "best.pt"
    menu = MenuScene(
        app,
        on_watch=lambda spec, agent: watched.append((spec.id, agent)),
        find_agents=lambda spec: [saved] if spec.id == "catch" else [],
    )
    app.scene = menu
    post_key(pygame.K_RETURN)
    run(app, menu, 1)
    for _ in range(2):
        post_key(pygame.K_l)
    post_key(pygame.K_RETURN)
    run(app, menu, 1)
    post_key(pygame.K_l)
    post_key(pygame.K_RETURN)
    run(app, menu, 1)
    assert watched == [("catch", "arena"), ("catch", str(saved)), ("catch", "arena")]


def test_menu_v_plays_against_the_chosen_stage_and_d_changes_it(app):
    matches = []
    menu = MenuScene(app, on_match=lambda spec, stage: matches.append((spec.id, stage)))
    app.scene = menu
    post_key(pygame.K_v)  # Catch: one player, so a race against its most trained agent
    run(app, menu, 1)
    post_key(pygame.K_d)  # the stages wrap around: the easiest after the most trained
    post_key(pygame.K_v)
    run(app, menu, 1)
    for _ in range(3):
        post_key(pygame.K_DOWN)
    post_key(pygame.K_v)  # Pong: versus
    run(app, menu, 1)
    assert matches == [("catch", "expert"), ("catch", "beginner"), ("pong", "expert")]
    assert menu._match_kind() == "versus"


def test_menu_d_also_offers_trained_runs_checkpoints(app, tmp_path):
    matches = []
    saved = tmp_path / "runs" / "catch-1" / "checkpoints" / "best.pt"
    menu = MenuScene(
        app,
        on_match=lambda spec, stage: matches.append(stage),
        find_agents=lambda spec: [saved] if spec.id == "catch" else [],
    )
    app.scene = menu
    for _ in range(3):
        post_key(pygame.K_v)
        post_key(pygame.K_d)
    run(app, menu, 1)
    assert matches == ["expert", str(saved), "beginner"]
