"""The lab on screen (SDL's dummy driver, a real lab worker): four panels inside the window without
overlapping, a click that edits the grid, the backup of the cell under the mouse, and the keys."""

from __future__ import annotations

import os
import time

import pygame
import pytest

from game.modes.lab_protocol import LabConfig
from game.ui.scenes.lab import LabScene
from tests.screen import is_picture, open_app, post_key, run

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
ANSWER_S = 60  # the worker's first snapshot (it imports torch for the DQN)


def wait_for(app, scene, condition, timeout_s: float = ANSWER_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run(app, scene, 1)
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("the lab did not get there in time")


@pytest.fixture(scope="module")
def lab():
    for app in open_app(size=(1280, 720)):
        scene = LabScene(app, LabConfig(layout="classic", running=False), on_exit=lambda: None)
        wait_for(app, scene, lambda lab=scene: lab.snapshot is not None and len(lab.snapshot.methods) == 4)
        yield app, scene
        scene.close()


def test_the_four_methods_fit_the_window_side_by_side(lab):
    app, scene = lab
    run(app, scene, 2)
    names = [view.name for view in scene.snapshot.methods]
    assert names == ["Value iteration", "Policy iteration", "Q-learning", "DQN"]
    window = app.surface.get_rect()
    grids = [geometry.rect for geometry in scene.geometries]
    assert len(grids) == 4
    for index, grid in enumerate(grids):
        assert window.contains(grid)
        assert all(not grid.colliderect(other) for other in grids[index + 1 :])
    assert is_picture(app.surface)


def test_one_step_moves_every_method_and_a_click_edits_the_cell(lab):
    app, scene = lab
    before = {view.name: view.work for view in scene.snapshot.methods}
    post_key(pygame.K_n)
    wait_for(app, scene, lambda: scene.snapshot.methods[0].work > before["Value iteration"])
    assert all(view.work >= before[view.name] for view in scene.snapshot.methods)
    assert scene.snapshot.layout[0][0] == "."
    target = scene.geometries[1].cell_rect(0, 0).center  # any panel's grid edits the one world
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=target, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=target, button=1))
    wait_for(app, scene, lambda: scene.snapshot.layout[0][0] == "#")
    assert scene.snapshot.edited
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=target, button=1))
    wait_for(app, scene, lambda: scene.snapshot.layout[0][0] == "P")


def test_the_cell_under_the_mouse_gets_its_backup_from_that_panels_method(lab):
    app, scene = lab
    cell = scene.geometries[0].cell_rect(2, 1).center
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=cell, rel=(0, 0), buttons=(0, 0, 0)))
    cols = len(scene.snapshot.layout[0])
    wait_for(app, scene, lambda: scene.snapshot.backup_state == 2 * cols + 1)
    backup = scene.snapshot.methods[0].backup
    assert backup is not None and backup.position == (2, 1)
    assert scene.focus_cell() == (0, (2, 1))
    assert any(line.startswith("Q(s,UP)") for line in backup.lines())


def test_space_runs_the_lab_and_l_loads_the_next_layout(lab):
    app, scene = lab
    post_key(pygame.K_SPACE)
    wait_for(app, scene, lambda: scene.snapshot.running)
    post_key(pygame.K_l)
    wait_for(app, scene, lambda: scene.snapshot.layout_name == "cliff")
    assert len(scene.snapshot.layout) == 4 and len(scene.snapshot.layout[0]) == 12
    post_key(pygame.K_SPACE)
    wait_for(app, scene, lambda: not scene.snapshot.running)


def test_a_slider_drag_sets_the_discount(lab):
    app, scene = lab
    run(app, scene, 1)
    track = scene.settings.tracks[0]
    start, end = track.midleft, (track.x + track.width // 2, track.centery)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=start, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=end, rel=(0, 0), buttons=(1, 0, 0)))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=end, button=1))
    wait_for(app, scene, lambda: abs(scene.snapshot.gamma - 0.74) < 0.011)


def test_the_lab_command_refuses_a_bad_layout_or_dataset_in_one_sentence(tmp_path, capsys):
    import main as cli

    assert cli.main(["lab", "nosuch"]) == 2
    assert "Unknown lab layout 'nosuch'" in capsys.readouterr().err
    pytest.importorskip("minari")
    from game.catalog import find_game
    from game.modes.experts import expert_for, record_scripted

    env = find_game("catch").make_env("train")
    record_scripted("catch", expert_for("catch", env), 2, tmp_path)
    env.close()
    assert (
        cli.main(["lab", "gridworld", "--dataset", "q-arcade/nosuch/play-v0", "--data", str(tmp_path)]) == 2
    )
    assert "no dataset" in capsys.readouterr().err
    assert cli.main(["lab", "gridworld", "--dataset", "q-arcade/catch/play-v0", "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not recorded on a grid of 49 cells" in err and len(err.strip().splitlines()) == 1


def test_q_in_the_menu_opens_the_lab_and_esc_comes_back():
    from game.ui.navigator import Navigator
    from game.ui.scenes.menu import MenuScene

    for app in open_app(size=(1280, 720)):
        navigator = Navigator(app)
        menu = navigator.menu()
        run(app, menu, 1)
        post_key(pygame.K_q)
        run(app, menu, 1)
        lab = app.scene
        assert isinstance(lab, LabScene)
        wait_for(app, lab, lambda scene=lab: scene.snapshot is not None and len(scene.snapshot.methods) == 4)
        post_key(pygame.K_ESCAPE)
        run(app, lab, 1)
        assert isinstance(app.scene, MenuScene) and lab.worker.process is None  # the lab's worker stopped
