"""F10 records a person's play: in `play` the scene keeps the games it steps, in the arena it asks the
worker to (the worker records only while the person has the controls)."""

from __future__ import annotations

import numpy as np
import pygame
import pytest

from game.catalog import find_game
from game.modes.datasets import load_transitions, play_dataset_id
from game.modes.protocol import Record
from game.ui.app import App
from game.ui.scenes.arena import HELP, ArenaScene
from game.ui.scenes.play import PlayScene
from tests.screen import FRAME_S, post_key
from tests.test_learning_layer import LearningWorker

pytest.importorskip("minari")


@pytest.fixture
def window():
    app = App(size=(1280, 720), record=False)
    app.open()
    app.running = True
    yield app
    app.close()


def test_f10_in_play_records_the_games_played_and_saves_them(window, tmp_path):
    scene = PlayScene(window, find_game("catch"), seed=3, data_dir=str(tmp_path))
    window.scene = scene
    post_key(pygame.K_F10)
    window.step(FRAME_S)
    assert scene.recorder.recording
    played: list[tuple[np.ndarray, int, float]] = []
    rng = np.random.default_rng(0)
    while scene.episodes < 2:
        obs, action = np.array(scene.obs), int(rng.integers(3))
        before = scene.score
        scene.act(action)
        played.append((obs, action, scene.score - before))
        if scene.over:
            scene._reset()
    window.step(FRAME_S)  # the recording dot and its counts are drawn
    assert scene.recorder.episodes == 2 and scene.recorder.steps == len(played)
    post_key(pygame.K_F10)
    window.step(FRAME_S)
    assert not scene.recorder.recording
    data = load_transitions(play_dataset_id("catch"), tmp_path)
    assert len(data) == len(played)
    assert data.actions.tolist() == [a for _, a, _ in played]
    np.testing.assert_array_equal(data.obs, np.stack([o for o, _, _ in played]))
    np.testing.assert_allclose(data.rewards, [r for _, _, r in played])
    assert data.terminated.sum() == 2
    scene.close()


def test_f10_in_the_arena_asks_the_worker_to_record_and_again_to_stop(window):
    worker = LearningWorker("catch")
    scene = ArenaScene(window, find_game("catch"), worker)
    window.scene = scene
    window.step(FRAME_S)
    post_key(pygame.K_F10)
    window.step(FRAME_S)
    assert list(worker.sent)[-1] == Record(True)
    scene.snapshot.recording = True  # as the worker says once it records
    post_key(pygame.K_F10)
    window.step(FRAME_S)
    assert list(worker.sent)[-1] == Record(False)
    assert any(key == "F10" for key, _ in HELP)
    scene.close()
