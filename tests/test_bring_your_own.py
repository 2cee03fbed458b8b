"""Bring your own game: ``module:Id`` ids, ``--import``, any observation layout, envs that break the rules,
and the home-made games registered with gymnasium (``QArcade/Catch-v0``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import main
from agents.networks import MLP, NatureCNN, SmallCNN, make_network
from agents.observations import ChannelsFirst, detect_layout, with_layout
from game import gym_games
from game.catalog import find_game
from game.errors import UserError
from game.gym_games import applied_imports, import_games

ROOT = Path(__file__).resolve().parent.parent
PKG = "tests.fake_pkg.envs"  # the fake third-party package, importable from the repository root
SUBPROCESS_TIMEOUT_S = 120  # a headless train imports torch first: generous on a busy two-core machine


def run_main(*args: str, pythonpath: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
    )


# --------------------------------------------------------------------------- module:Id and --import


def test_find_game_imports_the_module_of_a_module_id_and_keeps_the_whole_id():
    spec = find_game(f"{PKG}:Tiny-v0")
    assert (spec.id, spec.kind, spec.preset, spec.obs_layout) == (
        f"{PKG}:Tiny-v0",
        "gym",
        "classic",
        "vector",
    )
    env = spec.make_env("train")
    obs, _ = env.reset(seed=0)
    assert obs.shape == (2,)
    assert env.get_wrapper_attr("get_action_meanings")() == ["ACTION 0", "ACTION 1"]


def test_a_module_that_is_missing_or_registers_no_such_id_is_one_sentence():
    with pytest.raises(UserError) as missing:
        find_game("my_pkg.envs:MyGame-v0")
    assert str(missing.value) == (
        "The game my_pkg.envs:MyGame-v0 needs the module my_pkg, which is not installed: "
        "pip install my_pkg (or the package that provides it)."
    )
    with pytest.raises(UserError, match="registered no game called 'Nope-v0'"):
        find_game(f"{PKG}:Nope-v0")


def test_a_missing_module_exits_2_with_one_sentence(capsys):
    assert main.main(["train", "my_pkg.envs:MyGame-v0"]) == main.EXIT_USAGE
    assert main.main(["--import", "no_such_module_here", "games"]) == main.EXIT_USAGE
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and "needs the module my_pkg, which is not installed" in lines[0]
    assert lines[1].startswith("--import no_such_module_here needs the module no_such_module_here")


def test_import_option_calls_the_registration_function(capsys):
    assert main.main(["--import", "tests.fake_pkg.lazy:nothing_here", "games"]) == main.EXIT_USAGE
    assert "has no function nothing_here" in capsys.readouterr().err
    import_games(["tests.fake_pkg.lazy:register"])
    assert find_game("LazyTiny-v0").kind == "gym"


@pytest.mark.slow
def test_a_third_party_game_trains_headless_by_module_id(tmp_path):
    started = time.monotonic()
    done = run_main(
        "train", "fake_pkg.envs:Tiny-v0", "--steps", "300", "--set", "learning_starts=100",
        "--out", str(tmp_path / "run"), pythonpath=str(ROOT / "tests"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Observations: 2 float32, read as a vector" in done.stdout
    assert (tmp_path / "run" / "checkpoints" / "latest.pt").is_file()
    print(f"train by module id: {time.monotonic() - started:.1f} s")


@pytest.mark.slow
def test_import_option_registers_before_the_game_is_looked_up(tmp_path):
    done = run_main(
        "--import", "tests.fake_pkg.lazy:register", "train", "LazyTiny-v0", "--steps", "200",
        "--out", str(tmp_path / "run"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "run" / "checkpoints" / "latest.pt").is_file()


@pytest.mark.slow
def test_an_arena_worker_registers_the_imported_game_again(tmp_path):
    from game.modes.protocol import SessionConfig
    from game.modes.session import Worker

    import_games(["tests.fake_pkg.lazy:register"])
    worker = Worker(
        SessionConfig("LazyTiny-v0", str(tmp_path / "run"), train_overrides={"learning_starts": 50})
    )
    worker.start()
    try:
        deadline = time.monotonic() + SUBPROCESS_TIMEOUT_S
        while time.monotonic() < deadline:
            snapshot = worker.poll()
            if snapshot is not None:
                assert snapshot.error is None, snapshot.traceback
                if snapshot.steps > 100:
                    break
            time.sleep(0.02)
        else:
            raise AssertionError("the worker did not learn in time")
        assert snapshot.labels == ["ACTION 0", "ACTION 1"]
    finally:
        worker.stop()


# --------------------------------------------------------------------------- observation layouts


@pytest.mark.parametrize(
    ("shape", "layout"),
    [
        ((8, 8, 3), "hwc"),
        ((84, 84, 4), "hwc"),
        ((10, 10, 1), "hwc"),
        ((3, 10, 10), "chw"),
        ((4, 84, 84), "chw"),
        ((3, 3, 3), "chw"),  # ambiguous: channels-first, as torch reads it
        ((12, 8, 8), "chw"),
        ((5,), "vector"),
        ((6, 7), "vector"),
    ],
)
def test_detect_layout_follows_the_documented_rule(shape, layout):
    assert detect_layout(gym.spaces.Box(0, 255, shape, np.uint8)) == layout


def test_structured_spaces_are_refused_and_discrete_ones_are_vectors():
    assert detect_layout(gym.spaces.Discrete(4)) == "vector"
    with pytest.raises(ValueError, match="Dict space"):
        detect_layout(gym.spaces.Dict({"a": gym.spaces.Discrete(2)}))
    with pytest.raises(ValueError, match="Tuple space"):
        detect_layout(gym.spaces.Tuple((gym.spaces.Discrete(2),)))


def test_channels_first_wrapper_transposes_values_and_bounds():
    env = find_game(f"{PKG}:TinyImageHWC-v0").factory("train")  # the raw env, channels-last
    raw_obs, _ = env.reset(seed=3)
    wrapped = ChannelsFirst(find_game(f"{PKG}:TinyImageHWC-v0").factory("train"))
    obs, _ = wrapped.reset(seed=3)
    assert obs.shape == (3, 8, 8) and obs.dtype == np.uint8
    np.testing.assert_array_equal(obs, np.transpose(raw_obs, (2, 0, 1)))
    assert wrapped.observation_space.shape == (3, 8, 8) and obs in wrapped.observation_space


@pytest.mark.parametrize(
    ("game", "channels", "dtype"),
    [
        ("TinyImageHWC-v0", 3, np.uint8),
        ("TinyImageBool-v0", 2, np.bool_),
        ("TinyImageFloat-v0", 1, np.float32),
    ],
)
def test_an_image_game_gets_a_small_cnn_with_its_channels(game, channels, dtype):
    import torch

    spec = find_game(f"{PKG}:{game}")
    assert spec.preset == "small_image"
    env = spec.make_env("train")
    obs, _ = env.reset(seed=0)
    assert obs.shape[0] == channels and obs.dtype == dtype
    network = make_network(env.observation_space, 2)
    assert isinstance(network, SmallCNN)
    assert network.torso[0][0].in_channels == channels
    assert network(torch.as_tensor(obs[None])).shape == (1, 2)


def test_network_by_size_vector_small_and_large_images():
    vector, layout = with_layout(gym.make("CartPole-v1"))
    assert layout == "vector" and isinstance(make_network(vector.observation_space, 2), MLP)
    large = gym.spaces.Box(0, 255, (84, 84, 3), np.uint8)
    assert detect_layout(large) == "hwc"
    transposed = gym.spaces.Box(0, 255, (3, 84, 84), np.uint8)
    assert isinstance(make_network(transposed, 4), NatureCNN)


def test_a_channels_last_game_trains_and_says_which_layout_it_assumed(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", f"{PKG}:TinyImageHWC-v0", "--steps", "200", "--set", "learning_starts=50"]
    assert main.main([*args, "--out", str(out), "--threads", "1"]) == 0
    printed = capsys.readouterr().out
    assert "SmallCNN" in printed
    assert (
        "Observations: 8x8x3 uint8, read as a channels-last image (H,W,C), transposed to (C,H,W)" in printed
    )
    assert "--set obs_layout=" in printed
    assert (out / "checkpoints" / "latest.pt").is_file()


def test_obs_layout_overrides_the_guess_or_says_why_not(tmp_path, capsys):
    args = ["train", f"{PKG}:TinyImageHWC-v0", "--steps", "50", "--threads", "1"]
    assert main.main([*args, "--set", "obs_layout=vector", "--out", str(tmp_path / "v")]) == 0
    printed = capsys.readouterr().out
    assert "MLP" in printed and "read as a vector" in printed
    vector_game = ["train", f"{PKG}:Tiny-v0", "--set", "obs_layout=hwc", "--out", str(tmp_path / "x")]
    assert main.main(vector_game) == main.EXIT_USAGE
    assert main.main([*args, "--set", "obs_layout=sideways", "--out", str(tmp_path / "y")]) == main.EXIT_USAGE
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2
    assert "cannot take obs_layout=hwc, which needs 3-D image observations" in errors[0]
    assert "obs_layout must be one of auto, chw, hwc, vector" in errors[1]


@pytest.mark.parametrize(("game", "why"), [("TinyDict-v0", "Dict space"), ("TinyBox-v0", "Box action space")])
def test_structured_observations_and_continuous_actions_exit_2(game, why, capsys):
    assert main.main(["train", f"{PKG}:{game}"]) == main.EXIT_USAGE
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and why in lines[0]


# --------------------------------------------------------------------------- a checkpoint keeps its layout

HWC_GAME = f"{PKG}:TinyImageHWC-v0"  # detected as channels-last: (3, 8, 8) to the agent unless told


@pytest.fixture(scope="module")
def vector_run(tmp_path_factory) -> Path:
    """A run that read the channels-last game as a vector (192 numbers, an MLP), trained once."""
    run = tmp_path_factory.mktemp("layout") / "run"
    flags = ["--steps", "60", "--threads", "1", "--set", "obs_layout=vector", "--set", "learning_starts=30"]
    assert main.main(["train", HWC_GAME, *flags, "--out", str(run)]) == 0
    return run


def test_checking_a_checkpoint_reads_the_game_as_its_run_did(vector_run):
    from game.modes.runs import check_checkpoint

    spec = find_game(HWC_GAME)
    assert spec.obs_layout == "hwc"  # what detection says now; the checkpoint knows better
    check_checkpoint(spec, str(vector_run / "checkpoints" / "latest.pt"))  # as arena --checkpoint does


def test_the_arena_starts_from_a_checkpoint_in_its_layout(vector_run, tmp_path):
    from game.modes.protocol import SessionConfig
    from game.modes.session import Session

    checkpoint = str(vector_run / "checkpoints" / "latest.pt")
    session = Session(SessionConfig(HWC_GAME, str(tmp_path / "arena"), checkpoint=checkpoint))
    try:
        assert isinstance(session.trainer.agent.network, MLP)
        assert session.trainer.config.obs_layout == "vector"  # kept in the new run's config.json
        assert session.showcase_step().q_values.shape == (2,)
    finally:
        session.close()


def test_the_arena_resumes_a_run_in_its_layout(tmp_path):
    from game.modes.protocol import SessionConfig
    from game.modes.session import Session

    run = str(tmp_path / "arena")
    first = Session(SessionConfig(HWC_GAME, run, train_overrides={"obs_layout": "vector"}))
    try:
        for _ in range(5):
            first.learn()
        first.save()
    finally:
        first.close()
    session = Session(SessionConfig(HWC_GAME, run, resume=True))  # the layout comes from the run alone
    try:
        assert session.trainer.steps == 5 and isinstance(session.trainer.agent.network, MLP)
        assert session.showcase.observation_space.shape == (192,)
    finally:
        session.close()


def test_a_player_from_a_checkpoint_reads_the_games_observations_as_its_run_did(vector_run):
    from game.modes.players import load_player

    spec = find_game(HWC_GAME)
    player = load_player(spec, checkpoint=str(vector_run / "checkpoints" / "latest.pt"))
    shown, _ = spec.make_env("show").reset(seed=5)  # channels-first, as a race hands them over
    raw, _ = spec.factory("show").reset(seed=5)  # the env's own (8, 8, 3)
    assert shown.shape == (3, 8, 8) and raw.shape == (8, 8, 3)
    expected = player.agent.act(raw.reshape(-1), 0.0).q_values
    np.testing.assert_array_equal(player.act(shown).q_values, expected)


def test_evaluate_reads_a_checkpoint_in_its_runs_layout(vector_run, tmp_path, capsys):
    out = tmp_path / "scores.json"
    assert main.main(["evaluate", str(vector_run), "--episodes", "1", "--out", str(out)]) == 0
    assert out.is_file()


# --------------------------------------------------------------------------- a run remembers its --import

LAZY = "tests.fake_pkg.lazy:register"  # registers LazyTiny-v0 when called


@pytest.fixture
def forget_lazy(monkeypatch):
    """A call that makes this process forget LazyTiny-v0 and the --import that registered it, as a new
    process starts; everything is put back after the test."""

    def forget() -> None:
        monkeypatch.delitem(gym.registry, "LazyTiny-v0", raising=False)
        monkeypatch.setattr(gym_games, "_applied", [])

    return forget


def test_a_run_records_its_imports_and_applies_them_again(tmp_path, forget_lazy, monkeypatch):
    run = tmp_path / "run"
    forget_lazy()
    flags = ["--steps", "100", "--threads", "1", "--set", "learning_starts=50"]
    assert main.main(["--import", LAZY, "train", "LazyTiny-v0", *flags, "--out", str(run)]) == 0
    assert json.loads((run / "provenance.json").read_text())["sessions"][0]["imports"] == [LAZY]

    forget_lazy()  # train --resume: no --import given
    assert main.main(["train", "--resume", str(run), "--steps", "150", "--threads", "1"]) == 0
    sessions = json.loads((run / "provenance.json").read_text())["sessions"]
    assert [s["imports"] for s in sessions] == [[LAZY], [LAZY]]  # the resume records it too

    forget_lazy()  # evaluate
    assert main.main(["evaluate", str(run), "--episodes", "1", "--out", str(tmp_path / "e.json")]) == 0

    forget_lazy()  # arena --checkpoint: the game is looked up, and the worker gets the import
    opened = []
    monkeypatch.setattr(
        main, "run_window", lambda args: opened.append((find_game(args.game).id, applied_imports()))
    )
    checkpoint = str(run / "checkpoints" / "latest.pt")
    assert main.main(["arena", "LazyTiny-v0", "--checkpoint", checkpoint]) == 0
    assert opened == [("LazyTiny-v0", (LAZY,))]


def test_a_recorded_import_that_is_gone_is_one_sentence(tmp_path, capsys):
    from game.modes.provenance import import_run_games, run_imports

    (tmp_path / "checkpoints").mkdir()
    sessions = [{"imports": ["gone_pkg.envs"]}, {"imports": ["gone_pkg.envs", LAZY]}, {}]
    (tmp_path / "provenance.json").write_text(json.dumps({"format_version": 1, "sessions": sessions}))
    assert run_imports(tmp_path) == ("gone_pkg.envs", LAZY)
    with pytest.raises(UserError) as error:
        import_run_games(tmp_path / "checkpoints" / "latest.pt")
    assert str(error.value) == (
        f"--import gone_pkg.envs (recorded in {tmp_path / 'provenance.json'}) needs the module gone_pkg, "
        "which is not installed: pip install gone_pkg (or the package that provides it)."
    )
    assert import_run_games(tmp_path / "elsewhere.pt") == ()  # a checkpoint outside a run: nothing to apply


# --------------------------------------------------------------------------- envs that break the rules


@pytest.mark.slow
def test_an_env_that_fails_the_checker_trains_with_one_warning_line(tmp_path):
    done = run_main(
        "train", f"{PKG}:Sloppy-v0", "--steps", "200", "--set", "learning_starts=50",
        "--out", str(tmp_path / "run"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "warn" in line.lower()]
    assert len(warnings) == 1, done.stderr
    assert "breaks gymnasium's env checker" in warnings[0] and "seed" in warnings[0]
    assert "no render mode" in warnings[0]


def test_the_arena_shows_an_env_without_pictures_and_its_warning(tmp_path):
    from game.modes.protocol import SessionConfig
    from game.modes.session import Session

    session = Session(SessionConfig(f"{PKG}:Sloppy-v0", str(tmp_path / "run")))
    try:
        snapshot = session.showcase_step()
        assert snapshot.frames and snapshot.frames[0].shape == (120, 160, 3)
        assert any("breaks gymnasium's env checker" in notice for notice in snapshot.notices)
    finally:
        session.close()


# --------------------------------------------------------------------------- the home-made games for everyone

FRESH_LOOP = """
import sys
import gymnasium as gym
import game.arcade
for gym_id in game.arcade.GYM_IDS.values():
    env = gym.make(gym_id, render_mode="rgb_array")
    obs, info = env.reset(seed=0)
    for _ in range(20):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        if terminated or truncated:
            obs, info = env.reset()
    assert env.render().ndim == 3
    env.close()
assert "pygame" not in sys.modules and "torch" not in sys.modules
print("ok", len(game.arcade.GYM_IDS))
"""


def test_the_arcade_games_are_registered_with_gymnasium_in_a_fresh_interpreter():
    done = subprocess.run(
        [sys.executable, "-c", FRESH_LOOP], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok 6"


def test_a_qarcade_id_is_the_catalogs_own_game():
    assert find_game("QArcade/Catch-v0").id == "catch"
    assert find_game("qarcade/snake-v0").kind == "arcade"
