"""The arena scene with a real worker process, under SDL's dummy driver."""

import time

import numpy as np
import pygame
import pytest

from game.catalog import find_game
from game.ui.app import App
from game.ui.controls import ControlHolder
from game.ui.navigator import Navigator
from game.ui.scenes.arena import ArenaScene
from game.ui.widgets.slider import EpsilonSlider
from tests.screen import open_app, post_key

WAIT_S = 90  # a spawned worker imports torch and gymnasium first


def test_takeover_state_machine():
    state = ControlHolder(idle_s=2.0)
    assert not state.human
    assert state.input() is True and state.human
    assert state.input() is False, "already the person's"
    assert state.tick(1.5, holding=False) is False and state.human
    assert state.tick(1.0, holding=True) is False and state.idle == 0.0, "a held key is input"
    assert state.tick(1.9, holding=False) is False
    assert state.tick(0.2, holding=False) is True and not state.human, "idle long enough: back to the agent"
    state.input()
    assert state.hand_back() is True and not state.human
    assert state.hand_back() is False


@pytest.fixture
def app():
    yield from open_app()


def frames_until(app: App, scene: ArenaScene, predicate, timeout: float = WAIT_S) -> None:
    app.scene = scene
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.step(1 / 60)
        assert scene.error is None, scene.error.traceback
        if predicate():
            return
        time.sleep(1 / 120)
    raise AssertionError("the arena did not get there in time")


@pytest.mark.slow
def test_arena_watches_takes_over_hands_back_and_restarts_a_dead_worker(app, tmp_path):
    spec = find_game("catch")
    arcade = Navigator(app)
    worker = arcade.worker_for(spec, run_dir=str(tmp_path / "run"))
    scene = arcade.arena(spec, worker)
    scene.takeover.idle_s = 1.0
    try:
        frames_until(app, scene, lambda: scene.snapshot is not None and scene.frame is not None)
        pixels = pygame.surfarray.array3d(app.surface)
        assert pixels.std() > 10
        assert scene.snapshot.labels == ["NOOP", "LEFT", "RIGHT"]

        post_key(pygame.K_LEFT)  # a game key: the person has the controls from the next frame
        app.step(1 / 60)
        assert scene.takeover.human
        frames_until(app, scene, lambda: scene.snapshot.controller == "human" and scene.snapshot.action == 1)
        post_key(pygame.K_LEFT, down=False)
        frames_until(app, scene, lambda: not scene.takeover.human, timeout=5)
        frames_until(app, scene, lambda: scene.snapshot.controller == "agent")

        scene.worker.process.kill()  # the arena notices, shows it, and restarts from the last checkpoint
        scene.worker.process.join(5)
        saw_error = False
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and not (saw_error and scene.worker.alive and scene.snapshot):
            app.step(1 / 60)
            saw_error = saw_error or scene.error is not None
            time.sleep(1 / 120)
        assert saw_error, "the arena showed that the learner stopped"
        assert scene.worker.alive and scene.snapshot is not None
        assert np.asarray(scene.snapshot.q_values).shape == (3,)
    finally:
        started = time.monotonic()
        scene.close()
        assert time.monotonic() - started < 3.5
        assert not scene.worker.alive


def mouse(kind: int, x: int, y: int = 53, button: int | None = None) -> pygame.event.Event:
    return (
        pygame.event.Event(kind, pos=(x, y))
        if button is None
        else pygame.event.Event(kind, pos=(x, y), button=button)
    )


def test_epsilon_slider_maps_the_track_to_zero_one_and_right_click_to_the_schedule():
    slider = EpsilonSlider()
    slider.track = pygame.Rect(100, 50, 200, 6)
    down = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(150, 53), button=1)
    assert slider.handle_event(down) == 0.25 and slider.dragging
    assert slider.handle_event(mouse(pygame.MOUSEMOTION, 150)) is None, "no move, no new value"
    assert slider.handle_event(mouse(pygame.MOUSEMOTION, 400)) == 1.0, "clamped"
    slider.handle_event(mouse(pygame.MOUSEBUTTONUP, 400, button=1))
    assert not slider.dragging
    assert slider.handle_event(mouse(pygame.MOUSEMOTION, 120)) is None
    assert slider.handle_event(mouse(pygame.MOUSEBUTTONDOWN, 120, button=3)) == "schedule"
    assert slider.handle_event(mouse(pygame.MOUSEBUTTONDOWN, 120, y=300, button=1)) is None


def test_saved_agents_are_this_games_runs_best_first_and_newest_first(tmp_path):
    import json

    from game.modes.runs import arena_run_dir, saved_agents, shipped_agents

    spec = find_game("catch")

    def run(name: str, game_id: str, files: tuple[str, ...]) -> None:
        folder = tmp_path / name / "checkpoints"
        folder.mkdir(parents=True)
        (tmp_path / name / "config.json").write_text(json.dumps({"game_id": game_id}))
        for file in files:
            (folder / file).write_bytes(b"")

    run("old", "catch", ("latest.pt",))
    time.sleep(0.01)
    run("new", "catch", ("latest.pt", "best.pt"))
    run("snake", "snake", ("latest.pt",))
    run(arena_run_dir(spec).name, "catch", ("latest.pt",))  # the arena's own agent is offered apart
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{")
    found = saved_agents(spec, tmp_path)
    shipped = [path for _, path in shipped_agents("catch")]
    assert shipped, "Catch ships trained agents, offered first"
    runs = [tmp_path / "new" / "checkpoints" / "best.pt", tmp_path / "old" / "checkpoints" / "latest.pt"]
    assert found == shipped + runs


class FailingWorker:
    """A worker whose every start ends in the same error at once."""

    def __init__(self):
        self.starts = 0
        self.pending = False

    alive = False

    def start(self, resume=None):
        self.starts += 1
        self.pending = True

    def restart(self):
        self.start()

    def poll(self):
        if self.pending:
            self.pending = False
            from game.modes.protocol import Snapshot

            return Snapshot(error="RuntimeError: the checkpoint cannot be read", traceback="...")
        return None

    def send(self, command):
        pass

    def stop(self, save=True):
        pass


def test_a_worker_that_keeps_failing_is_restarted_three_times_then_the_person_decides(app):
    worker = FailingWorker()
    scene = ArenaScene(app, find_game("catch"), worker)
    app.scene = scene
    for _ in range(60 * 12):  # twelve seconds of frames: room for many restarts
        app.step(1 / 60)
    assert worker.starts == 3, "the first start and two restarts, then it stops trying"
    assert scene.error is not None and scene.failures == 3
    post_key(pygame.K_RETURN)
    app.step(1 / 60)
    assert worker.starts == 4, "ENTER tries again"
    scene.close()


def test_an_atari_arena_starts_from_the_shipped_agent_unless_asked_for_a_new_one(tmp_path):
    from game.modes.runs import shipped_agents

    arcade = Navigator(app=None)
    pong, catch = find_game("ALE/Pong-v5"), find_game("catch")
    first = arcade.worker_for(pong, run_dir=str(tmp_path / "pong"))
    assert first.config.checkpoint == str(shipped_agents(pong.id)[0][1])
    assert arcade.worker_for(pong, new=True, run_dir=str(tmp_path / "pong-new")).config.checkpoint is None
    assert arcade.worker_for(catch, run_dir=str(tmp_path / "catch")).config.checkpoint is None


class NoticeWorker(FailingWorker):
    """A worker that plays on and says, once, that a checkpoint could not be written."""

    def poll(self):
        from game.modes.protocol import Snapshot

        if not self.pending:
            return None
        self.pending = False
        notice = "Could not write checkpoints/latest.pt at step 2,000 (No space left on device)."
        return Snapshot(
            q_values=np.zeros(3, np.float32),
            labels=["NOOP", "LEFT", "RIGHT"],
            notices=[notice],
            notice_count=1,
        )


def test_the_learners_notices_reach_the_screen_once(app):
    worker = NoticeWorker()
    scene = ArenaScene(app, find_game("catch"), worker)
    app.scene = scene
    app.step(1 / 60)
    assert app._toast is not None and "No space left on device" in app._toast[0]
    app._toast = None
    worker.pending = True  # the same notice again in a later snapshot
    app.step(1 / 60)
    assert app._toast is None, "a notice already shown is not shown again"
    scene.close()


class RefusingWorker(FailingWorker):
    """A worker whose settings the machine cannot hold: every start ends in the same sentence."""

    def poll(self):
        from game.modes.protocol import Snapshot

        if not self.pending:
            return None
        self.pending = False
        message = "dqn.replay_capacity=10,000,000,000 needs 526 GiB of replay memory but 22 GiB is available."
        return Snapshot(error=message, retry=False)


def test_a_learner_that_cannot_start_is_not_restarted_until_the_person_says_so(app):
    worker = RefusingWorker()
    scene = ArenaScene(app, find_game("catch"), worker)
    app.scene = scene
    for _ in range(60 * 6):  # six seconds: two restarts would have come by now
        app.step(1 / 60)
    assert worker.starts == 1 and scene.error is not None and not scene.error.retry
    post_key(pygame.K_RETURN)
    app.step(1 / 60)
    assert worker.starts == 2, "ENTER tries again"
    scene.close()
