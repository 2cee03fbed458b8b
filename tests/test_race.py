"""Races: both sides start alike, each side moves only by its own hand, the higher score wins."""

from __future__ import annotations

import numpy as np
import pygame
import pytest

from agents.acting import Act
from game.arcade.catch import LEFT, NOOP, RIGHT
from game.catalog import find_game
from game.errors import UserError
from game.modes.players import RandomPlayer, load_player
from game.modes.race import Race, check_race
from game.ui.scenes.race import RaceScene
from tests.screen import is_picture, open_app, post_key, run


class FixedPlayer:
    """An agent that always plays one action (a test double for players.Player)."""

    def __init__(self, action: int, n_actions: int, name: str = "fixed"):
        self.action, self.n_actions, self.name = action, n_actions, name

    def act(self, obs, mask=None) -> Act:
        return Act(self.action, np.zeros(self.n_actions, np.float32), self.action, False)


class CatchPlayer:
    """Moves the basket under the fruit: catches every fruit on the default grid."""

    name = "perfect"

    def act(self, obs, mask=None) -> Act:
        action = catch_move(obs)
        return Act(action, np.zeros(3, np.float32), action, False)


def catch_move(obs: np.ndarray) -> int:
    fruit, basket = round(float(obs[1]) * 4), round(float(obs[2]) * 4)
    return NOOP if fruit == basket else (RIGHT if fruit > basket else LEFT)


def basket(side) -> int:
    """Catch's basket column, 0..4, from a side's observation."""
    return round(float(side.obs[2]) * 4)


def round_starts(race: Race, person_action=None) -> dict[str, list[np.ndarray]]:
    """Play a whole race; the observation each side starts every round from."""
    starts = {"person": [race.person.obs.copy()], "agent": [race.agent.obs.copy()]}
    while not race.over:
        waiting = {name: getattr(race, name).next_round for name in starts}
        action = catch_move(race.person.obs) if person_action == "perfect" else person_action
        race.tick(action)
        for name, was in waiting.items():
            if was and not getattr(race, name).next_round:
                starts[name].append(getattr(race, name).obs.copy())
    return starts


# ---------------------------------------------------------------------- the same start


@pytest.mark.parametrize("seed", [0, 1, 5])
def test_catch_sides_start_alike_in_every_round(seed):
    race = Race(find_game("catch"), RandomPlayer(3, seed=1), seed=seed)
    assert race.rounds == 10
    assert np.array_equal(race.person.obs, race.agent.obs)
    assert np.array_equal(race.person.frame, race.agent.frame)
    starts = round_starts(race, NOOP)  # the person stands still, the agent moves at random
    assert len(starts["person"]) == len(starts["agent"]) == 10
    for k, (mine, theirs) in enumerate(zip(starts["person"], starts["agent"], strict=True)):
        assert np.array_equal(mine, theirs), f"round {k} started differently"
    assert len({tuple(s) for s in starts["person"]}) > 1, "the rounds are not all one and the same"


def test_later_rounds_start_alike_after_the_sides_have_played_differently():
    # Snake draws its food from the env's generator as it is eaten: after different play the two
    # generators differ, and only the shared reseeding of each round brings the starts together.
    race = Race(find_game("snake"), FixedPlayer(1, 5), seed=2, rounds=3)  # the agent turns UP
    starts = round_starts(race, 0)  # the person goes straight on
    assert race.person.steps != race.agent.steps
    for k, (mine, theirs) in enumerate(zip(starts["person"], starts["agent"], strict=True)):
        assert np.array_equal(mine, theirs), f"round {k} started differently"


def test_a_new_race_has_a_new_shared_start():
    race = Race(find_game("catch"), RandomPlayer(3, seed=1), seed=4)
    seeds, firsts = [], []
    for _ in range(6):
        seeds.append(race.reset())
        assert np.array_equal(race.person.obs, race.agent.obs)
        firsts.append(tuple(race.person.obs))
    assert len(set(seeds)) == 6 and len(set(firsts)) > 1
    again = Race(find_game("catch"), RandomPlayer(3, seed=1), seed=4)
    assert [again.reset() for _ in range(6)] == seeds, "a seed replays the same series of races"


@pytest.mark.parametrize("game_id", ["ALE/Breakout-v5", "ALE/Pong-v5"])
def test_atari_sides_start_alike_and_stay_in_step(game_id):
    spec = find_game(game_id)
    race = Race(spec, FixedPlayer(2, 4 if "Breakout" in game_id else 6), seed=11)
    person, agent = race.person.env.unwrapped, race.agent.env.unwrapped
    assert person.settings.frame_skip == 1 and agent.settings.frame_skip == 4
    assert person.settings.noop_max == agent.settings.noop_max > 0, "both start with the show env's no-ops"
    assert race.person.obs.shape == race.agent.obs.shape == (4, 84, 84)
    assert np.array_equal(race.person.obs, race.agent.obs)
    assert np.array_equal(race.person.frame, race.agent.frame)
    assert np.array_equal(person.ale.getRAM(), agent.ale.getRAM())
    start = race.person.info["episode_frame_number"]
    assert start == race.agent.info["episode_frame_number"] > 0
    # A person who presses what the agent presses sees the agent's pictures, frame for frame.
    for tick in range(1, 41):
        race.tick(2)
        assert np.array_equal(race.person.frame, race.agent.frame), f"tick {tick}"
    assert race.agent.steps == 10 and race.person.steps == 40
    assert person.ale.getEpisodeFrameNumber() == agent.ale.getEpisodeFrameNumber() == start + 40
    # The person's stack holds every frame, the agent's every fourth: their newest planes agree.
    assert np.array_equal(race.person.obs[-1], race.agent.obs[-1])


# ---------------------------------------------------------------------- each side by its own hand


def test_the_persons_keys_move_only_the_persons_basket():
    race = Race(find_game("catch"), FixedPlayer(NOOP, 3), seed=2)
    start = basket(race.person)
    assert basket(race.agent) == start
    side = LEFT if start >= 2 else RIGHT
    for _ in range(2):
        race.tick(side)
    moved = start - 2 if side == LEFT else start + 2
    assert basket(race.person) == moved
    assert basket(race.agent) == start, "the agent's basket stays where its NOOPs leave it"


def test_the_agents_moves_move_only_the_agents_basket():
    race = Race(find_game("catch"), FixedPlayer(RIGHT, 3), seed=2)
    start = basket(race.person)
    for _ in range(3):
        race.tick(None)  # a real-time game plays the person's NOOP
    assert basket(race.person) == start
    assert basket(race.agent) == min(4, start + 3)
    assert race.agent.last_action == RIGHT and race.person.last_action == NOOP


def test_turn_based_person_moves_at_their_own_pace():
    race = Race(find_game("gridworld"), FixedPlayer(3, 4), seed=0)  # LEFT, into the edge: never ends
    assert race.turn_based and race.agent_move_ticks == 2
    for _ in range(8):
        race.tick(None)
    assert race.person.steps == 0, "in a turn-based game the person's side waits for a move"
    assert race.agent.steps == 4, "the agent moves four times a second"
    race.step_person(1)
    assert race.person.steps == 1


# ---------------------------------------------------------------------- winner and tally


def test_the_higher_score_wins_and_the_tally_counts_it():
    race = Race(find_game("catch"), FixedPlayer(NOOP, 3), seed=3)
    round_starts(race, "perfect")
    assert race.person.score == 10.0 and race.agent.score < 10.0
    assert race.winner == "person"
    assert race.tally == {"person": 1, "agent": 0, "draw": 0} and race.games == 1
    race.tick(RIGHT)  # a finished race stays finished and is counted once
    assert race.games == 1

    race.player = CatchPlayer()
    race.reset()
    round_starts(race, NOOP)
    assert race.winner == "agent" and race.agent.score == 10.0 > race.person.score
    race.reset()
    round_starts(race, "perfect")
    assert race.winner == "draw"
    assert race.tally == {"person": 1, "agent": 1, "draw": 1} and race.games == 3


def test_the_time_limit_ends_a_race_as_it_stands():
    race = Race(find_game("runner"), FixedPlayer(0, 3), seed=0, time_limit_s=1.0)
    for _ in range(29):
        race.tick(None)
    assert not race.over
    race.tick(None)
    assert race.over and race.person.timed_out and race.agent.timed_out
    assert race.seconds_left == 0.0
    assert race.winner == "draw", "the same start and the same moves give the same score"


def test_stop_ends_a_race_as_it_stands_and_counts_it_once():
    race = Race(find_game("catch"), CatchPlayer(), seed=3)
    while race.agent.rounds_done < 3:  # the agent catches while the person's basket stays put
        race.tick(NOOP)
    person, agent = race.person.score, race.agent.score
    assert agent > person and not race.over
    race.stop()
    assert race.over and race.person.timed_out and race.agent.timed_out
    assert (race.person.score, race.agent.score) == (person, agent), "the scores as they stood"
    assert race.winner == "agent" and race.tally == {"person": 0, "agent": 1, "draw": 0}
    race.stop()
    race.tick(RIGHT)
    assert race.games == 1, "a race that is over is not stopped, nor counted, again"


def test_check_race_refuses_two_player_games_in_one_sentence():
    for game_id in ("tictactoe", "pong"):
        with pytest.raises(UserError) as caught:
            check_race(find_game(game_id))
        message = str(caught.value)
        assert "versus" in message and message.endswith(".") and message.count(". ") == 0, message
    for game_id in ("catch", "snake", "runner", "gridworld", "ALE/Pong-v5", "ALE/Breakout-v5"):
        check_race(find_game(game_id))


# ---------------------------------------------------------------------- the scene, headless


@pytest.fixture
def app():
    yield from open_app()


def test_catch_scene_races_the_shipped_agent(app, tmp_path):
    spec = find_game("catch")
    scene = RaceScene(app, spec, load_player(spec), seed=7)
    run(app, scene, 120)
    assert scene.race.ticks == 0, "nothing moves during the countdown"
    before = scene.last_input
    post_key(pygame.K_RIGHT)
    run(app, scene, 40, dt=0.1)  # Catch ticks ten times a second: one tick a frame
    assert scene.last_input > before
    assert scene.race.person.last_action == RIGHT and scene.qbars.updates > 0
    app.screenshot(tmp_path / "race-catch.png")
    post_key(pygame.K_RIGHT, down=False)
    run(app, scene, 100, dt=0.1)
    assert scene.race.over and scene.games == 1
    assert sum(scene.tally.values()) == 1
    assert scene.result() == (float(scene.tally["person"]), float(scene.tally["agent"]))
    app.screenshot(tmp_path / "race-catch-end.png")
    assert is_picture(app.surface)
    seed = scene.race.seed
    post_key(pygame.K_SPACE)
    run(app, scene, 2)
    assert not scene.race.over and scene.race.seed != seed, "SPACE starts the next race on a new seed"


def test_atari_scene_draws_both_sides_at_sixty_frames_a_second(app, tmp_path):
    spec = find_game("ALE/Freeway-v5")
    scene = RaceScene(app, spec, load_player(spec), seed=3)
    assert scene.untrained, "no Freeway agent ships: the scene must say it plays at random"
    scene.countdown = 0.0
    post_key(pygame.K_SPACE)
    run(app, scene, 300)
    race = scene.race
    assert race.ticks == 300 and race.person.steps == 300
    assert race.agent.steps == 75, "the agent decides every fourth frame"
    app.screenshot(tmp_path / "race-freeway.png")
    assert is_picture(app.surface)


def test_pause_restart_and_leaving(app):
    spec = find_game("runner")
    left = []
    scene = RaceScene(app, spec, FixedPlayer(0, 3), seed=1, on_exit=lambda: left.append(True))
    scene.countdown = 0.0
    run(app, scene, 10)
    ticks = scene.race.ticks
    assert ticks > 0
    post_key(pygame.K_p)
    run(app, scene, 20)
    assert scene.paused and scene.race.ticks == ticks
    post_key(pygame.K_r)
    run(app, scene, 1)
    assert not scene.paused and scene.race.ticks == 0 and scene.countdown > 0
    post_key(pygame.K_ESCAPE)
    run(app, scene, 1)
    assert left == [True]


def test_kiosk_scene_keeps_visitors_in(app):
    spec = find_game("catch")
    scene = RaceScene(app, spec, FixedPlayer(0, 3), seed=1, kiosk=True)
    app.running = True
    post_key(pygame.K_ESCAPE)
    run(app, scene, 1)
    assert app.running, "ESC does nothing in a kiosk"
    assert scene.tally == {"person": 0, "agent": 0, "draw": 0} and scene.games == 0
    assert scene.result() == (0.0, 0.0)


def test_the_shipped_atari_agent_shows_where_it_looks_without_stalling_a_frame():
    spec = find_game("ALE/Pong-v5")
    race = Race(spec, load_player(spec), seed=2)
    assert race.gaze.view is None
    for _ in range(240):  # four seconds of frames, a chunk of the map each
        race.tick(0)
        race.gaze.work()
        if race.gaze.view is not None:
            break
    view = race.gaze.view
    assert view is not None and view.heat.shape == (84, 84) and view.heat.max() == pytest.approx(1.0)
    assert 0 <= view.action < 6
    assert race.gaze.scheduler.chunk <= 4  # a few perturbed pictures a frame: a couple of milliseconds


def test_a_player_without_a_network_has_no_gaze():
    race = Race(find_game("ALE/Pong-v5"), FixedPlayer(2, 6), seed=2)
    for _ in range(40):
        race.tick(0)
        race.gaze.work()
    assert race.gaze.view is None and race.gaze.scheduler is None


def test_f8_shows_where_the_atari_agent_looks_on_its_own_half(app, tmp_path):
    spec = find_game("ALE/Pong-v5")
    scene = RaceScene(app, spec, load_player(spec), seed=5)
    scene.countdown = 0.0
    run(app, scene, 10)
    assert scene.gaze.available and not scene.gaze.on
    post_key(pygame.K_F8)
    run(app, scene, 1)
    assert scene.gaze.on
    for _ in range(300):
        run(app, scene, 1)
        if scene.gaze.overlay.view is not None:
            break
    assert scene.gaze.overlay.view is not None, "a map within five seconds of frames"
    run(app, scene, 1)
    with_glow = pygame.surfarray.array3d(app.surface).astype(int)
    app.screenshot(tmp_path / "race-pong-gaze.png")
    scene.gaze.on = False
    app.scene.draw(app.surface)
    without = pygame.surfarray.array3d(app.surface).astype(int)
    changed = np.abs(with_glow - without).sum(axis=2) > 30  # (x, y)
    picture = scene.agent_rect
    on_picture = changed[picture.left : picture.right, picture.top : picture.bottom].sum()
    assert on_picture > 0.02 * picture.width * picture.height, "the glow lies over the agent's picture"
    assert changed[: app.surface.get_width() // 2].sum() == 0, "and nowhere on the person's half"


def test_f8_does_nothing_against_an_agent_without_a_network(app):
    scene = RaceScene(app, find_game("catch"), RandomPlayer(3, seed=0), seed=1)
    scene.countdown = 0.0
    run(app, scene, 20)
    post_key(pygame.K_F8)
    run(app, scene, 1)
    assert not scene.gaze.available and not scene.gaze.on and scene.gaze.hint() == ""
