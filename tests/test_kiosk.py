"""The kiosk: its settings, its phases, name entry by keyboard and by gamepad, the leaderboard across
restarts, the operator's hotkeys, the watchdog, and an accelerated soak with a real worker process."""

import os
import random
import sqlite3
import time
from collections import deque

import numpy as np
import pygame
import pytest

from game.catalog import find_game
from game.errors import UserError
from game.modes.kiosk.booth import (
    ATTRACT,
    BOARD,
    BOARD_MIN_SECONDS,
    KIOSK_METRICS_MAX_BYTES,
    NAME,
    STUCK_KEY_SECONDS,
    VISIT,
    Kiosk,
    KioskConfig,
)
from game.modes.kiosk.leaderboard import MAX_NAME_CHARS, Leaderboard
from game.modes.kiosk.name_entry import NameEntry
from game.modes.protocol import Pause, RestartPolicy, SetSpeed, Snapshot
from game.ui.app import App
from game.ui.scenes import race as race_scene
from game.ui.scenes.arena import ArenaScene
from game.ui.scenes.kiosk import scene as kiosk_scene
from game.ui.scenes.kiosk.games import KioskGames
from game.ui.scenes.kiosk.scene import KioskScene
from game.ui.scenes.race import RaceScene
from game.ui.widgets import kiosk_chrome
from game.ui.widgets.match_banners import keys_line

FRAME_S = 1 / 60
CTRL_SHIFT = pygame.KMOD_LCTRL | pygame.KMOD_LSHIFT


def kiosk_config(tmp_path, **changes) -> KioskConfig:
    values = dict(
        games=("tictactoe", "catch"),
        session_seconds=60.0,
        idle_seconds=10.0,
        leaderboard=str(tmp_path / "board.sqlite3"),
        board_seconds=6.0,
        runs_dir=str(tmp_path / "runs"),
    )
    return KioskConfig(**{**values, **changes})


# ---------------------------------------------------------------------- settings


def test_from_args_checks_games_seconds_join_and_the_leaderboard_file(tmp_path):
    board = str(tmp_path / "board.sqlite3")
    config = KioskConfig.from_args("pong, catch,tictactoe", "auto", 120, 20, board)
    assert config.games == ("pong", "catch", "tictactoe")
    assert [config.mode_for(g) for g in config.games] == ["versus", "race", "versus"]
    assert KioskConfig.from_args(None, "auto", 120, 20, board).games[:3] == ("pong", "catch", "tictactoe")
    assert KioskConfig.from_args("catch", "takeover", 120, 20, board).mode_for("catch") == "takeover"
    assert KioskConfig.from_args("ALE/Pong-v5", "auto", 1, 1, board).points_to_win("ALE/Pong-v5") == 5
    boxing = KioskConfig.from_args("ALE/Boxing-v5", "auto", 1, 1, board)
    assert boxing.mode_for("ALE/Boxing-v5") == "versus" and boxing.points_to_win("ALE/Boxing-v5") is None
    default = KioskConfig.from_args(None, "auto", 1, 1, board)
    assert {"ALE/Boxing-v5", "ALE/Breakout-v5"} <= set(default.games)
    assert default.mode_for("ALE/Breakout-v5") == "race"

    bad = [
        (("pongg", "auto", 120, 20, board), "no game called 'pongg'"),
        (("pong", "auto", 0, 20, board), "--session-seconds must be a positive"),
        (("pong", "auto", 120, -5, board), "--idle-seconds must be a positive"),
        (("catch", "versus", 120, 20, board), "no versus mode"),
        (("tictactoe", "race", 120, 20, board), "cannot be raced"),
        (("pong", "auto", 120, 20, str(tmp_path)), "cannot be written"),
    ]
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if not os.access(locked, os.W_OK):  # root writes anywhere
        bad.append((("pong", "auto", 120, 20, str(locked / "board.sqlite3")), "cannot be written"))
    for args, message in bad:
        with pytest.raises(UserError, match=message) as caught:
            KioskConfig.from_args(*args)
        text = str(caught.value)
        assert text.count(". ") == 0 and text.endswith((".", "?")), f"one sentence: {text}"


# ---------------------------------------------------------------------- the phases, without a window


def test_a_visit_starts_on_input_and_ends_on_idle_or_time_then_asks_a_name_only_after_a_game(tmp_path):
    kiosk = Kiosk(kiosk_config(tmp_path, session_seconds=30.0, idle_seconds=10.0, board_seconds=6.0))
    assert kiosk.phase == ATTRACT and kiosk.game == "tictactoe"
    kiosk.tick(49.0)
    assert not kiosk.rotation_due
    kiosk.tick(2.0)
    assert kiosk.rotation_due
    kiosk.rotate()
    assert kiosk.game == "catch" and not kiosk.rotation_due

    assert kiosk.input() is True and kiosk.phase == VISIT and kiosk.session_left == 30.0
    assert kiosk.input() is False, "a visitor's input does not start a second visit"
    kiosk.tick(9.0)
    assert kiosk.idle_warning == pytest.approx(1.0)
    kiosk.tick(5.0, holding=True)
    assert kiosk.phase == VISIT and kiosk.idle_for == 0.0, "a held key is input"
    kiosk.tick(STUCK_KEY_SECONDS, holding=True)
    kiosk.tick(9.0, holding=True)
    assert kiosk.idle_for == 9.0, "... until it has been held so long that it must be stuck"
    kiosk.input()
    assert kiosk.tick(10.0, games_finished=0) == ATTRACT, "idle, no game finished: nothing to record"

    kiosk.input()
    for _ in range(4):
        kiosk.tick(7.0, holding=True, games_finished=1)
    assert kiosk.phase == VISIT and kiosk.session_left == pytest.approx(2.0)
    assert kiosk.tick(2.0, holding=True, games_finished=1) == NAME, "the session timer ends the visit"
    assert kiosk.tick(9.9) is None
    assert kiosk.tick(0.2) == ATTRACT, "nobody confirmed a name: back to the games, nothing saved"

    kiosk.input()
    kiosk.tick(10.0, games_finished=2)
    assert kiosk.phase == NAME, "idle after a finished game still asks a name"
    kiosk.name_saved()
    assert kiosk.phase == BOARD
    kiosk.tick(1.0)
    kiosk.input()
    assert kiosk.phase == BOARD, f"the board cannot be skipped in its first {BOARD_MIN_SECONDS} s"
    assert kiosk.tick(5.0) == ATTRACT


def test_a_game_under_way_counts_when_the_time_runs_out_not_when_the_visitor_idles(tmp_path):
    kiosk = Kiosk(kiosk_config(tmp_path, session_seconds=30.0, idle_seconds=10.0))
    kiosk.input()
    kiosk.tick(9.0, game_under_way=True)
    assert kiosk.tick(1.0, game_under_way=True) == ATTRACT and not kiosk.time_up, "walked away: no name"

    kiosk.input()
    for _ in range(5):
        kiosk.tick(5.0, holding=True, game_under_way=True)
    assert kiosk.phase == VISIT
    assert kiosk.tick(5.0, holding=True, game_under_way=True) == NAME, "the race under way counts"
    assert kiosk.time_up, "so the scene ends it as it stands"

    kiosk.attract()
    kiosk.input()
    assert not kiosk.time_up, "a new visit starts afresh"
    assert kiosk.tick(30.0, holding=True) == ATTRACT and kiosk.time_up, "time up with nothing played"


def test_name_entry_by_keyboard_keeps_allowed_characters_up_to_the_limit():
    entry = NameEntry()
    entry.type("Zoë; DROP\x1b\n")
    assert entry.text == "Zoë DROP"
    entry.backspace()
    entry.backspace()
    assert entry.text == "Zoë DR"
    entry.type("x" * 50)
    assert len(entry.text) == MAX_NAME_CHARS and entry.on_done
    entry.finish()
    assert entry.done


def test_name_entry_by_gamepad_alone_cycles_moves_and_finishes_on_done():
    entry = NameEntry()
    entry.cycle(1)  # the empty slot becomes A
    entry.cycle(1)
    assert entry.text == "B"
    entry.press()  # A: on to the next (empty) slot
    entry.cycle(-1)  # down from nothing: the alphabet's last character
    entry.cycle(-1)
    entry.cycle(-1)
    assert entry.text == "B-"
    entry.move(-1)
    entry.cycle(-1)
    assert entry.text == "A-", "left went back to the first letter"
    entry.move(5)
    assert entry.on_done, "right stops at DONE"
    entry.press()
    assert entry.done and entry.text == "A-"
    empty = NameEntry()
    empty.press()  # A on the empty slot goes to DONE
    assert empty.on_done and not empty.done


# ---------------------------------------------------------------------- the scene, with stand-in workers


class FakeWorker:
    """A worker that answers at once with a plain frame and Q-values, and can be told to crash or hang."""

    def __init__(self, game_id: str):
        env = find_game(game_id).make_env("show")
        env.reset(seed=0)
        self.frame = env.render()
        self.n_actions = int(env.action_space.n)
        env.close()
        self.alive = False
        self.starts = 0
        self.stops = 0
        self.silent = False  # alive but saying nothing: hung
        self.failing = False  # every start ends in an error at once
        self.pending_error = False
        self.sent: deque = deque(maxlen=50)
        self.step = 0

    def start(self, resume=None):
        self.starts += 1
        self.alive = True
        self.pending_error = self.failing

    def restart(self):
        self.stop(save=False)
        self.start()

    def stop(self, save=True):
        self.alive = False
        self.stops += 1

    def send(self, command):
        self.sent.append(command)

    def poll(self):
        if self.pending_error:
            self.pending_error = self.alive = False  # it reports its error, then its process ends
            return Snapshot(error="RuntimeError: the checkpoint cannot be read", traceback="...")
        if not self.alive or self.silent:
            return None
        self.step += 1
        q = np.sin(np.arange(self.n_actions) + self.step / 10).astype(np.float32)
        return Snapshot(frames=[self.frame], q_values=q, steps=self.step, epsilon=0.05, labels=[])


class FakeGames(KioskGames):
    """The kiosk's games with stand-in workers: no process is started."""

    def __init__(self, app, config, restart=None):
        super().__init__(app, config, **({} if restart is None else {"restart": restart}))
        self.workers: list[FakeWorker] = []
        self.start_silent = False

    def attract(self, game_id):
        worker = FakeWorker(game_id)
        worker.silent = self.start_silent
        self.workers.append(worker)
        return ArenaScene(self.app, find_game(game_id), worker, kiosk=True, restart=self.restart)


@pytest.fixture
def app():
    window = App(size=(1280, 800), kiosk=True, record=False)
    window.open()
    window.running = True
    yield window
    window.close()


def post(kind: int, **attributes) -> None:
    pygame.event.post(pygame.event.Event(kind, **attributes))


def key(code: int, unicode: str = "", mod: int = 0) -> None:
    post(pygame.KEYDOWN, key=code, mod=mod, unicode=unicode, scancode=0)
    post(pygame.KEYUP, key=code, mod=mod, unicode=unicode, scancode=0)


def button(number: int) -> None:
    post(pygame.JOYBUTTONDOWN, button=number, joy=0, instance_id=0)
    post(pygame.JOYBUTTONUP, button=number, joy=0, instance_id=0)


def hat(x: int, y: int) -> None:
    post(pygame.JOYHATMOTION, hat=0, value=(x, y), joy=0, instance_id=0)
    post(pygame.JOYHATMOTION, hat=0, value=(0, 0), joy=0, instance_id=0)


def run(app: App, frames: int = 1, dt: float = FRAME_S) -> None:
    for _ in range(frames):
        app.step(dt)


def run_until(app: App, predicate, timeout_s: float = 60.0, dt: float = FRAME_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "the kiosk did not get there in time"
        app.step(dt)
        time.sleep(0.002)


def wait_for(predicate, timeout_s: float = 5.0) -> bool:
    """For what a background thread does (a learner stopped while the kiosk goes on)."""
    deadline = time.monotonic() + timeout_s
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def open_kiosk(app: App, config: KioskConfig, restart=None) -> KioskScene:
    scene = KioskScene(app, config, FakeGames(app, config, restart))
    app.scene = scene
    run(app)
    return scene


def play_a_tictactoe_game(app: App, scene: KioskScene) -> None:
    """Join (if need be) and place marks on squares 1-9 until one game is over."""
    if scene.kiosk.phase == ATTRACT:
        key(pygame.K_SPACE, " ")
    run_until(app, lambda: scene.visit is not None)
    square = 0
    while scene.visit.games == 0:
        square = square % 9 + 1
        key(pygame.K_0 + square, str(square))
        run(app, 3, dt=0.4)


def test_any_key_or_button_joins_modifiers_do_not_and_idle_goes_back_to_attract(app, tmp_path):
    scene = open_kiosk(app, kiosk_config(tmp_path))
    worker = scene.games.workers[0]
    for quiet in (pygame.K_LCTRL, pygame.K_RSHIFT):
        key(quiet)
        run(app)
    post(pygame.JOYAXISMOTION, axis=0, value=0.2, joy=0, instance_id=0)  # a resting stick's noise
    run(app)
    assert scene.kiosk.phase == ATTRACT
    for join in (lambda: key(pygame.K_x, "x"), lambda: button(3), lambda: hat(0, -1)):
        join()
        run(app)
        assert scene.kiosk.phase == VISIT, "any key, gamepad button or d-pad press lets a visitor in"
        assert any(isinstance(c, Pause) and c.paused for c in worker.sent), "the learner rests meanwhile"
        run_until(app, lambda: scene.visit is not None)
        run(app, 11, dt=1.0)  # ten idle seconds
        assert scene.kiosk.phase == ATTRACT and scene.visit is None
        assert isinstance(worker.sent[-1], Pause) and not worker.sent[-1].paused
    assert len(Leaderboard(tmp_path / "board.sqlite3")) == 0, "no game finished, nothing recorded"


def test_the_session_timer_ends_a_visit_then_a_typed_name_reaches_the_board(app, tmp_path):
    scene = open_kiosk(app, kiosk_config(tmp_path, session_seconds=40.0, idle_seconds=30.0))
    play_a_tictactoe_game(app, scene)
    post(pygame.KEYDOWN, key=pygame.K_UP, mod=0, unicode="", scancode=0)  # held: the visitor is there
    run(app, 40, dt=1.0)
    assert scene.kiosk.phase == NAME, "the visitor's time ran out"
    post(pygame.KEYUP, key=pygame.K_UP, mod=0, unicode="", scancode=0)
    for char in "Robert'); DROP TABLE scores;--":
        key(pygame.K_a, char)
    key(pygame.K_RETURN, "\r")
    run(app)
    assert scene.kiosk.phase == BOARD
    entry, place, top = scene.saved
    assert entry.name == "Robert' DROP" and entry.game == "tictactoe" and entry.mode == "versus"
    assert place == 1 and top == [entry]
    pixels = pygame.surfarray.pixels3d(app.surface)
    assert (np.abs(pixels.astype(int) - (255, 196, 61)).sum(axis=2) < 30).sum() > 10_000, "highlighted row"
    del pixels
    run(app, 7, dt=1.0)
    assert scene.kiosk.phase == ATTRACT
    again = KioskScene(app, scene.config, FakeGames(app, scene.config))
    app.switch(again)  # the kiosk restarts on the same file
    assert [e.name for e in again.leaderboard.top("tictactoe", "versus")] == ["Robert' DROP"]


def test_a_name_spelled_with_the_gamepad_alone(app, tmp_path):
    scene = open_kiosk(app, kiosk_config(tmp_path, session_seconds=100.0, idle_seconds=20.0))
    play_a_tictactoe_game(app, scene)
    run(app, 25, dt=1.0)  # the visitor idles after a game: name entry
    assert scene.kiosk.phase == NAME
    hat(0, 1)  # A
    hat(0, 1)  # B
    button(0)  # next slot
    post(pygame.JOYAXISMOTION, axis=1, value=-0.9, joy=0, instance_id=0)  # the stick up: A
    post(pygame.JOYAXISMOTION, axis=1, value=0.0, joy=0, instance_id=0)
    hat(1, 0)  # right, to the empty slot
    hat(1, 0)  # right, to DONE
    run(app)
    assert scene.name_screen.entry.text == "BA" and scene.name_screen.entry.on_done
    button(0)
    run(app)
    assert scene.kiosk.phase == BOARD and scene.saved[0].name == "BA"


def test_a_visitor_who_walks_away_from_the_name_entry_leaves_nothing(app, tmp_path):
    scene = open_kiosk(app, kiosk_config(tmp_path, idle_seconds=10.0))
    play_a_tictactoe_game(app, scene)
    run(app, 11, dt=1.0)
    assert scene.kiosk.phase == NAME
    key(pygame.K_a, "A")
    run(app, 11, dt=1.0)
    assert scene.kiosk.phase == ATTRACT and len(Leaderboard(tmp_path / "board.sqlite3")) == 0


def test_escape_quit_and_f11_do_not_leave_operator_hotkeys_do(app, tmp_path):
    scene = open_kiosk(app, kiosk_config(tmp_path))
    for kind in (pygame.QUIT, pygame.WINDOWCLOSE):
        post(kind)
    key(pygame.K_ESCAPE)
    key(pygame.K_F11)
    key(pygame.K_F4, mod=pygame.KMOD_ALT)
    run(app, 3)
    assert app.running and not app.fullscreen
    first = scene.attract
    assert scene.kiosk.phase == VISIT, "ESC is just a key: it lets a visitor in, never out"

    key(pygame.K_n, mod=CTRL_SHIFT)  # next game, ending the visit without a record
    run(app)
    assert scene.kiosk.phase == ATTRACT and scene.kiosk.game == "catch"
    assert scene.attract is not first and wait_for(lambda: first.worker.stops == 1), "the old one stopped"

    key(pygame.K_f, mod=CTRL_SHIFT)
    run(app)
    assert scene.attract.fast and SetSpeed(True) in scene.attract.worker.sent

    stages = [s.name for s in scene.games.stages("catch")]
    assert scene.games.stage("catch").name == stages[-1], "the most trained first"
    catch_arena = scene.attract
    key(pygame.K_c, mod=CTRL_SHIFT)
    run(app)
    assert scene.games.stage("catch").name == stages[0] and scene.attract is not catch_arena
    assert scene.games.workers[-1].starts == 1 and wait_for(lambda: catch_arena.worker.stops == 1)

    board = Leaderboard(tmp_path / "board.sqlite3")
    board.add("Ada", "catch", "race", 3, 1)
    key(pygame.K_l, mod=CTRL_SHIFT)
    run(app, 6 * 60)  # six seconds: the first press has expired
    key(pygame.K_l, mod=CTRL_SHIFT)
    run(app)
    assert len(board) == 1, "one press (or two far apart) keeps the scores"
    key(pygame.K_l, mod=CTRL_SHIFT)
    run(app)
    assert len(board) == 0, "a second press within five seconds resets"
    assert app.running
    key(pygame.K_q, mod=CTRL_SHIFT)
    run(app)
    assert not app.running


def test_a_kiosk_race_shows_one_clock_the_visitors_own(app, tmp_path, monkeypatch):
    drawn: list[str] = []
    for module, name in ((race_scene, "draw_race_clock"), (kiosk_scene, "draw_clock")):
        real = getattr(module, name)

        def counted(*args, real=real, name=name, **kwargs):
            drawn.append(name)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    scene = open_kiosk(app, kiosk_config(tmp_path, games=("catch",)))
    key(pygame.K_SPACE, " ")
    run_until(app, lambda: scene.visit is not None)
    assert isinstance(scene.visit, RaceScene)
    drawn.clear()
    run(app, 300)  # the countdown, then the race
    assert scene.visit.race.ticks > 0 and not scene.visit.race.over
    assert drawn == ["draw_clock"] * 300, "one clock a frame: the visitor's session clock, no race clock"
    scene.visit.show_clock = True
    run(app)
    assert "draw_race_clock" in drawn[300:], "the count does see a race clock when one is drawn"


def join_a_race(app: App, scene: KioskScene) -> RaceScene:
    """Join once the opponent has loaded (torch may take a while), so no visit clock runs meanwhile."""
    run_until(app, lambda: scene.games.player(scene.kiosk.game) is not None)
    key(pygame.K_SPACE, " ")
    run_until(app, lambda: scene.visit is not None)
    assert isinstance(scene.visit, RaceScene)
    return scene.visit


def test_the_booth_clock_leaves_the_kiosk_race_hint_readable(app, tmp_path, monkeypatch):
    texts: dict[str, pygame.Rect] = {}
    clocks: list[pygame.Rect] = []
    real_text, real_clock = race_scene.draw_text, kiosk_scene.draw_clock

    def text(surface, line, *args, **kwargs):
        texts[line] = real_text(surface, line, *args, **kwargs)
        return texts[line]

    def clock(*args, **kwargs):
        clocks.append(real_clock(*args, **kwargs))
        return clocks[-1]

    monkeypatch.setattr(race_scene, "draw_text", text)
    monkeypatch.setattr(kiosk_scene, "draw_clock", clock)
    scene = open_kiosk(app, kiosk_config(tmp_path, games=("catch",), session_seconds=600.0))
    join_a_race(app, scene)
    run(app, 200)  # the countdown, then the race
    assert scene.visit.race.ticks > 0 and clocks
    hint = texts[keys_line(kiosk=True)]
    pill = clocks[-1]
    assert not hint.colliderect(pill), f"the keys {hint} under the visitor's clock {pill}"
    assert hint.right <= pill.left and app.surface.get_rect().contains(hint)
    widest = kiosk_chrome.clock_rect(app.surface.get_size(), "10:00 left")  # a ten-minute session
    assert not hint.colliderect(widest)
    seed_line = next(rect for line, rect in texts.items() if line.startswith("race 1  ·  seed"))
    assert not hint.colliderect(seed_line)


def test_a_race_cut_short_by_the_visitors_time_counts_as_it_stands(app, tmp_path):
    scene = open_kiosk(app, kiosk_config(tmp_path, games=("catch",), session_seconds=5.0))
    race = join_a_race(app, scene).race
    run_until(app, lambda: race.ticks > 0)
    assert scene.visit.under_way and race.games == 0
    run_until(app, lambda: scene.kiosk.phase != VISIT)
    assert scene.kiosk.phase == NAME, "the race under way is the visitor's game: a name is asked"
    assert race.over and race.person.timed_out and race.games == 1, "ended as it stood, and counted"
    game, mode, person, agent = scene.result
    assert (game, mode) == ("catch", "race")
    assert (person, agent) == (float(race.tally["person"]), float(race.tally["agent"]))
    assert "time's up" in scene.name_screen.detail
    for char in "ADA":
        key(pygame.K_a, char)
    key(pygame.K_RETURN, "\r")
    run(app)
    assert scene.kiosk.phase == BOARD
    (entry,) = Leaderboard(tmp_path / "board.sqlite3").top("catch", "race")
    assert entry.name == "ADA" and (entry.player_score, entry.agent_score) == (person, agent)


def test_a_race_still_counting_down_when_the_time_runs_out_is_not_counted(app, tmp_path):
    scene = open_kiosk(app, kiosk_config(tmp_path, games=("catch",), session_seconds=2.0))
    race = join_a_race(app, scene).race
    run_until(app, lambda: scene.kiosk.phase != VISIT)
    assert race.ticks == 0 and race.games == 0
    assert scene.kiosk.phase == ATTRACT and len(Leaderboard(tmp_path / "board.sqlite3")) == 0


def test_the_attract_learners_cap_their_metrics(tmp_path):
    games = KioskGames(None, kiosk_config(tmp_path))
    try:
        session = games.session("catch")
    finally:
        games.close()
    assert session.metrics_max_bytes == KIOSK_METRICS_MAX_BYTES
    assert session.run_dir.startswith(str(tmp_path / "runs" / "kiosk-catch-"))


def test_the_attract_loop_rotates_once_the_next_learner_speaks(app, tmp_path):
    scene = open_kiosk(app, kiosk_config(tmp_path, rotate_seconds=30.0))
    run(app, 19, dt=1.0)
    assert scene.upcoming is None
    scene.games.start_silent = True
    run(app, 2, dt=1.0)
    assert scene.upcoming is not None and scene.kiosk.game == "tictactoe", "started early"
    run(app, 12, dt=1.0)
    assert scene.kiosk.game == "tictactoe", "the next one has not spoken yet"
    scene.upcoming.worker.silent = False
    run(app)
    assert scene.kiosk.game == "catch" and scene.attract.spec.id == "catch"
    assert wait_for(lambda: scene.games.workers[0].stops == 1) and len(scene.games.workers) == 2


def test_the_kiosk_watchdog_restarts_a_crashed_or_hung_learner_with_backoff_and_never_gives_up(app, tmp_path):
    policy = RestartPolicy(max_restarts=None, delay_s=1.0, backoff=2.0, max_delay_s=4.0, hang_s=0.5)
    scene = open_kiosk(app, kiosk_config(tmp_path), restart=policy)
    worker = scene.attract.worker
    run(app, 5)
    worker.silent = True
    time.sleep(0.6)  # silent longer than hang_s, on the wall clock
    run(app)
    assert scene.attract.error is not None and scene.attract.failures == 1
    worker.failing = True  # from now on every start fails at once
    run(app, 2, dt=0.6)
    assert worker.starts == 2, "restarted after the first delay"
    gaps = []
    for _ in range(8):
        before, waited = worker.starts, 0.0
        while worker.starts == before:
            app.step(0.25)
            waited += 0.25
        gaps.append(waited)
    assert gaps == [2.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0], "backoff, capped, and it never gives up"
    assert worker.starts == 10 and scene.attract.failures == 9
    worker.silent = worker.failing = False
    run(app, 20, dt=0.25)
    assert scene.attract.error is None and scene.attract.failures == 0, "a learner that speaks has recovered"


# ---------------------------------------------------------------------- soak


def rss_bytes(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


KEYS = [(getattr(pygame, f"K_{c}"), c) for c in "abcdefghijklmnopqrstuvwxyz0123456789"] + [
    (pygame.K_SPACE, " "),
    (pygame.K_RETURN, "\r"),
    (pygame.K_BACKSPACE, "\b"),
    (pygame.K_ESCAPE, "\x1b"),
    (pygame.K_TAB, "\t"),
    (pygame.K_UP, ""),
    (pygame.K_DOWN, ""),
    (pygame.K_LEFT, ""),
    (pygame.K_RIGHT, ""),
    (pygame.K_F1, ""),
    (pygame.K_F11, ""),
    (pygame.K_LCTRL, ""),
]


def random_input(rng: random.Random) -> None:
    """One random keyboard or gamepad event, the way a crowd at a booth would send them."""
    kind = rng.random()
    if kind < 0.4:
        code, char = rng.choice(KEYS)
        post(
            pygame.KEYDOWN if rng.random() < 0.6 else pygame.KEYUP, key=code, mod=0, unicode=char, scancode=0
        )
    elif kind < 0.6:
        pressed = rng.random() < 0.6
        post(
            pygame.JOYBUTTONDOWN if pressed else pygame.JOYBUTTONUP,
            button=rng.randrange(8),
            joy=0,
            instance_id=0,
        )
    elif kind < 0.8:
        value = (rng.choice((-1, 0, 1)), rng.choice((-1, 0, 1)))
        post(pygame.JOYHATMOTION, hat=0, value=value, joy=0, instance_id=0)
    elif kind < 0.97:
        post(pygame.JOYAXISMOTION, axis=rng.randrange(4), value=rng.uniform(-1, 1), joy=0, instance_id=0)
    else:
        post(pygame.QUIT)


SOAK_FRAMES = 30_000
WARM_UP_FRAMES = 6_000  # both games' learners started, a worker killed and restarted, then memory is read
SWITCHES = (800, 1_600)  # frames at which the operator moves to the next game (warm-up)
KILL_AT = 2_400  # the frame at which the learner is killed (once it has spoken)


@pytest.mark.slow
def test_soak_random_crowd_for_thirty_thousand_frames_in_bounded_memory(tmp_path):
    rng = random.Random(7)
    config = kiosk_config(
        tmp_path, session_seconds=60.0, idle_seconds=12.0, board_seconds=5.0, rotate_seconds=1e6
    )
    app = App(size=(640, 400), kiosk=True, record=False)  # the recorder is bounded and tested on its own
    app.open()
    app.running = True
    scene = KioskScene(app, config)
    app.scene = scene
    entered: dict[str, int] = {}
    last_phase = None
    killed_pid = None
    active = True
    started = time.monotonic()
    try:
        for frame in range(SOAK_FRAMES):
            if rng.random() < 0.01:
                active = not active  # bursts of play and quiet spells, so every phase comes round
            if active:
                for _ in range(rng.choice((0, 0, 1, 1, 2))):
                    random_input(rng)
            if frame in SWITCHES:
                post(pygame.KEYDOWN, key=pygame.K_n, mod=CTRL_SHIFT, unicode="", scancode=0)
            if frame == KILL_AT:  # a learner that has been playing dies without a word
                run_until(app, lambda: scene.attract.snapshot is not None, 90, 0.1)
                killed_pid = scene.attract.worker.process.pid
                scene.attract.worker.process.kill()
            if frame == WARM_UP_FRAMES:
                run_until(app, lambda: scene.attract.worker.alive and scene.attract.snapshot, 90, 0.1)
                assert killed_pid is not None and scene.attract.worker.process.pid != killed_pid, "restarted"
                worker_pid = scene.attract.worker.process.pid
                ui_before, worker_before = rss_bytes(), rss_bytes(worker_pid)
            app.step(rng.choice((FRAME_S, FRAME_S, 0.1, 0.25, 1.0)))
            phase = scene.kiosk.phase
            if phase != last_phase:
                entered[phase] = entered.get(phase, 0) + 1
                last_phase = phase
            assert app.running, "nothing a visitor does ends the kiosk"
        seconds = time.monotonic() - started
        ui_after = rss_bytes()
        assert scene.attract.worker.alive and scene.attract.worker.process.pid == worker_pid, "no restarts"
        worker_after = rss_bytes(worker_pid)
        saved = len(Leaderboard(config.leaderboard))
    finally:
        app.close()
    report = (
        f"{SOAK_FRAMES} frames in {seconds:.0f} s; phases entered {entered}; {saved} names saved; "
        f"UI RSS {ui_before / 2**20:.0f} -> {ui_after / 2**20:.0f} MiB; "
        f"worker RSS {worker_before / 2**20:.0f} -> {worker_after / 2**20:.0f} MiB"
    )
    print(report)
    assert all(entered.get(p, 0) >= 5 for p in (ATTRACT, VISIT, NAME, BOARD)), report
    assert saved >= 5, report
    assert ui_after < ui_before * 1.10, report
    assert worker_after < worker_before * 1.10, report


def test_a_damaged_leaderboard_is_moved_aside_and_the_booth_says_so(app, tmp_path):
    (tmp_path / "board.sqlite3").write_bytes(b"not a database at all" * 100)
    scene = open_kiosk(app, kiosk_config(tmp_path))
    assert scene.leaderboard.top() == [], "an empty board: the booth runs"
    assert list(tmp_path.glob("board.damaged-*.sqlite3")), "the damaged file is kept aside"
    assert app._toast is not None and "damaged" in app._toast[0]


def test_a_name_the_disk_cannot_take_is_said_and_the_booth_goes_on(app, tmp_path, monkeypatch):
    scene = open_kiosk(app, kiosk_config(tmp_path, session_seconds=40.0, idle_seconds=30.0))
    play_a_tictactoe_game(app, scene)
    post(pygame.KEYDOWN, key=pygame.K_UP, mod=0, unicode="", scancode=0)
    run(app, 40, dt=1.0)
    post(pygame.KEYUP, key=pygame.K_UP, mod=0, unicode="", scancode=0)
    assert scene.kiosk.phase == NAME

    def full_disk(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(scene.leaderboard, "add", full_disk)
    key(pygame.K_a, "A")
    key(pygame.K_RETURN, "\r")
    run(app)
    assert scene.kiosk.phase == ATTRACT and "could not be saved" in app._toast[0]
    run(app, 60)
    assert scene.kiosk.phase == ATTRACT, "the booth runs on"
