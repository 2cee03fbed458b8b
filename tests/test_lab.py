"""The Q-learning lab: dynamic programming steppers, the lab's world and methods, and its worker process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from agents.planning import (
    FQIStepper,
    PolicyIterationStepper,
    ValueIterationStepper,
    fitted_q_iteration_table,
    policy_iteration,
)
from agents.tabular import value_iteration
from game.modes import lab as lab_module
from game.modes.lab import LAYOUTS, Lab, LabWorld
from game.modes.lab_backup import Outcome
from game.modes.lab_methods import FittedQIteration, PolicyIteration, ValueIteration
from game.modes.lab_walkers import DQN, QLearning, record_dataset
from game.modes.lab_worker import LabConfig, LabQuit, LabSnapshot, LabStep, LabWorker

ROOT = Path(__file__).resolve().parent.parent
Q_TOLERANCE = 0.05  # Q-learning against value iteration, as tests/test_agents_tabular.py holds it
Q_LEARNING_STEPS = 200_000  # random-walk steps that bring Q-learning within Q_TOLERANCE on "classic" (3 s)
DQN_STEPS = 3_000  # env steps of the DQN's short run
WORKER_TIMEOUT_S = 90.0  # until the spawned worker has loaded torch and answered, on a busy two-core machine

# A tiny model by hand: in state 0, "stay" (reward 0) or "go" (reward 1, into the terminal state 1).
TINY = {
    0: {0: [(1.0, 0, 0.0, False)], 1: [(1.0, 1, 1.0, True)]},
    1: {0: [(1.0, 1, 0.0, True)], 1: [(1.0, 1, 0.0, True)]},
}


def run_until_converged(method, limit: int = 100_000) -> None:
    for _ in range(limit):
        if method.converged():
            return
        method.step()
    raise AssertionError(f"{method.name} did not converge in {limit} steps")


# ---------------------------------------------------------------------- dynamic programming


def test_value_iteration_steps_by_hand():
    stepper = ValueIterationStepper(TINY, 2, 2, gamma=0.5)
    np.testing.assert_allclose(stepper.q, [[0.0, 1.0], [0.0, 0.0]])  # the lookahead of V = 0
    assert stepper.sweep() == 1.0
    np.testing.assert_allclose(stepper.values, [1.0, 0.0])
    np.testing.assert_allclose(stepper.q, [[0.5, 1.0], [0.0, 0.0]])  # stay: 0 + 0.5 * V(0)
    assert stepper.sweep() == 0.0 and stepper.converged() and stepper.sweeps == 2


def test_policy_iteration_steps_by_hand():
    stepper = PolicyIterationStepper(TINY, 2, 2, gamma=0.5)  # starts with "stay" everywhere, V = 0
    assert stepper.phase == "evaluation"
    stepper.step()  # V(0) = 0 + 0.5 * 0: nothing changes, evaluation has converged
    assert (stepper.eval_sweeps, stepper.phase) == (1, "improvement")
    stepper.step()
    assert stepper.improvements == 1 and stepper.policy[0] == 1 and stepper.phase == "evaluation"
    while not stepper.converged:
        stepper.step()
    np.testing.assert_allclose(stepper.values, [1.0, 0.0])
    assert stepper.improvements == 2  # the second improvement finds the policy stable


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_value_and_policy_iteration_reach_the_same_optimum_on_every_layout(name):
    world = LabWorld.named(name)
    P, n_states, n_actions = world.model()  # noqa: N806
    v_vi, q_vi = value_iteration(P, n_states, n_actions, world.gamma)
    v_pi, q_pi, policy, _, _ = policy_iteration(P, n_states, n_actions, world.gamma)
    np.testing.assert_allclose(v_pi, v_vi, atol=1e-6)
    np.testing.assert_allclose(q_pi, q_vi, atol=1e-6)
    stepper = ValueIterationStepper(P, n_states, n_actions, world.gamma)
    while not stepper.converged():
        stepper.sweep()
    np.testing.assert_allclose(stepper.values, v_vi, atol=1e-6)
    open_states = world.open_states()
    chosen = q_vi[open_states, policy[open_states]]
    np.testing.assert_allclose(chosen, q_vi[open_states].max(axis=1), atol=1e-6)  # the policy is optimal


def test_policy_iteration_needs_fewer_improvements_than_value_iteration_needs_sweeps():
    world = LabWorld.named("classic")
    P, n_states, n_actions = world.model()  # noqa: N806
    _, _, _, improvements, eval_sweeps = policy_iteration(P, n_states, n_actions, world.gamma)
    stepper = ValueIterationStepper(P, n_states, n_actions, world.gamma)
    while not stepper.converged():
        stepper.sweep()
    assert improvements < stepper.sweeps, (improvements, stepper.sweeps)
    assert eval_sweeps > improvements


def test_fitted_q_iteration_by_hand():
    # gamma 0.5; state 2 is terminal. (s, a, r, s', terminated):
    dataset = {
        "obs": np.array([0, 0, 1, 1]),
        "actions": np.array([0, 0, 1, 0]),
        "rewards": np.array([0.0, 1.0, 2.0, 0.0]),
        "next_obs": np.array([1, 2, 2, 0]),
        "terminated": np.array([False, True, True, False]),
    }
    # Q1(0,0) = mean(0 + 0.5*0, 1) = 0.5; Q1(1,1) = 2; Q1(1,0) = 0 + 0.5*max Q0(0) = 0; unseen pairs 0.
    # Q2(0,0) = mean(0 + 0.5*2, 1) = 1; Q2(1,0) = 0.5 * 0.5 = 0.25. Q3(1,0) = 0.5 * 1 = 0.5.
    expected = {
        1: [[0.5, 0.0], [0.0, 2.0], [0.0, 0.0]],
        2: [[1.0, 0.0], [0.25, 2.0], [0.0, 0.0]],
        3: [[1.0, 0.0], [0.5, 2.0], [0.0, 0.0]],
    }
    for iterations, q in expected.items():
        got, counts = fitted_q_iteration_table(dataset, 3, 2, 0.5, iterations)
        np.testing.assert_allclose(got, q)
    np.testing.assert_array_equal(counts, [[2, 0], [1, 1], [0, 0]])
    stepper = FQIStepper(dataset, 3, 2, 0.5)
    stepper.iterate()
    stepper.iterate()
    assert stepper.iterations == 2
    np.testing.assert_allclose(stepper.q, expected[2])
    with pytest.raises(ValueError, match="states"):
        FQIStepper(dataset, 2, 2, 0.5)


# ---------------------------------------------------------------------- the world


def test_editing_cycles_the_tile_kinds_and_leaves_the_start_and_the_last_goal_alone():
    world = LabWorld.named("classic")  # ("...G", ".#.P", "S...")
    kinds = []
    edited = world
    for _ in range(4):
        edited = edited.edit(0, 0)
        kinds.append(edited.tile(0, 0))
    assert kinds == ["#", "P", "G", "."]
    assert edited == world
    assert world.edit(2, 0) is world  # the start
    assert world.edit(0, 3) is world  # the only goal
    assert world.edit(0, 0).edit(0, 0).edit(0, 0).edit(0, 3).tile(0, 3) == "."  # with a second goal it goes
    with pytest.raises(ValueError, match="outside"):
        world.edit(3, 0)


def test_layouts_have_their_shapes_and_settings():
    assert [len(LAYOUTS["classic"]), len(LAYOUTS["classic"][0])] == [3, 4]
    assert [len(LAYOUTS["cliff"]), len(LAYOUTS["cliff"][0])] == [4, 12]
    assert LAYOUTS["cliff"][3] == "S" + "P" * 10 + "G"
    classic = LabWorld.named("classic")
    assert (classic.slip, classic.step_reward, classic.tile(1, 1)) == (0.2, -0.04, "#")
    assert classic.open_mask().sum() == 9  # 12 cells less a wall, a goal and a pit
    for name in LAYOUTS:
        world = LabWorld.named(name)
        v_star, _ = world.optimum()
        assert v_star[world.start_state] > 0, f"the goal is worth reaching on {name}"


def test_a_wall_on_the_optimal_path_changes_v_star_and_the_arrows():
    lab = Lab.named("classic")
    v_before = lab.world.optimum()[0].copy()
    top_left = lab.world.state(0, 0)
    value_iteration_method = lab.method("Value iteration")
    run_until_converged(value_iteration_method)
    assert value_iteration_method.greedy()[top_left] == 1  # RIGHT, along the top row to the goal
    lab.step_all()
    lab.edit(0, 1)  # a wall right of the top-left cell
    assert lab.world.tile(0, 1) == "#" and lab.edited
    assert all(method.work == 0 for method in lab.methods), "every method starts again"
    assert all(len(curve) == 1 for curve in lab.curves.values()), "curves cleared"
    v_after = lab.world.optimum()[0]
    start = lab.world.start_state
    assert v_after[start] < v_before[start] - 1e-3
    value_iteration_method = lab.method("Value iteration")
    run_until_converged(value_iteration_method)
    assert value_iteration_method.greedy()[top_left] != 1
    assert value_iteration_method.greedy()[lab.world.state(0, 1)] == -1  # a wall has no arrow


def test_settings_and_layouts_restart_the_lab():
    lab = Lab.named("classic")
    lab.step_all()
    lab.set(gamma=0.5)
    assert lab.world.gamma == 0.5 and lab.world.slip == 0.2
    assert all(method.work == 0 for method in lab.methods)
    lab.load_layout("cliff")
    assert (lab.layout_name, lab.world.layout, lab.edited) == ("cliff", LAYOUTS["cliff"], False)
    assert lab.world.n_states == 48 and len(lab.methods) == 4
    with pytest.raises(ValueError, match="Unknown lab layout"):
        lab.load_layout("nowhere")


# ---------------------------------------------------------------------- the methods


def test_every_method_speaks_the_lab_interface():
    world = LabWorld.named("classic")
    lab = Lab(world, dataset=record_dataset(world, 500))
    names = [method.name for method in lab.methods]
    assert names == ["Value iteration", "Policy iteration", "Q-learning", "DQN", "Fitted Q-iteration"]
    texts = [method.counter_text() for method in lab.methods]
    assert texts == [
        "sweep 0",
        "evaluation sweep 0 · improvement 0",
        "step 0 · episode 1",
        "step 0 · episode 1",
        "iteration 0 · 500 recorded steps",
    ]
    lab.step_all()
    closed = ~world.open_mask()
    for method in lab.methods:
        assert method.work == 1, method.name
        assert method.values().shape == (world.n_states,)
        assert method.q().shape == (world.n_states, 4)
        greedy = method.greedy()
        assert np.all(greedy[closed] == -1) and np.all(greedy[~closed] >= 0)
        assert np.all(method.values()[closed] == 0)
        assert np.isfinite(method.error())
    assert lab.method("Q-learning").agent_state() is not None
    assert lab.method("Value iteration").agent_state() is None


def test_a_backup_adds_up_to_the_methods_own_q():
    world = LabWorld.named("classic")
    start = world.start_state
    vi = ValueIteration(world)
    for _ in range(5):
        vi.step()
    backup = vi.backup(start)
    assert backup.kind == "optimality" and len(backup.actions) == 4
    for row in backup.actions:
        assert row.target == pytest.approx(vi.q()[start, row.action], abs=1e-12)
        assert row.q == pytest.approx(vi.q()[start, row.action], abs=1e-12)
        assert sum(outcome.probability for outcome in row.outcomes) == pytest.approx(1.0)
    assert backup.new_value == pytest.approx(vi.q()[start].max())
    vi.step()
    assert vi.values()[start] == pytest.approx(backup.new_value), "the next sweep does what the backup says"
    assert "·(" in backup.actions[0].outcomes[0].text()
    negative = Outcome(0.5, 3, -0.04, 0.9, -0.32, False)
    assert negative.text() == "0.5·(-0.04 + 0.9·(-0.32))" and negative.term == pytest.approx(
        0.5 * (-0.04 - 0.288)
    )
    lines = backup.lines()
    assert len(lines) == 6 and lines[2].startswith("Q(s,RIGHT) = 0.8·(-0.04 + 0.9·")

    pi = PolicyIteration(world)
    pi.step()
    evaluation = pi.backup(start)
    assert evaluation.kind == "evaluation" and [row.action for row in evaluation.actions] == [0]
    assert evaluation.actions[0].target == pytest.approx(pi.q()[start, 0])

    q_learning = QLearning(world)
    for _ in range(2_000):
        q_learning.step()
    q = q_learning.q()
    sample = q_learning.backup(start)
    assert sample.kind == "sample"
    for row in sample.actions:
        by_hand = sum(
            p * (r + (0.0 if done else world.gamma * q[s2].max()))
            for p, s2, r, done in world.model()[0][start][row.action]
        )
        assert row.target == pytest.approx(by_hand) and row.q == q[start, row.action]
    assert sample.value == pytest.approx(q[start].max())
    wall = vi.backup(world.state(1, 1))
    assert wall.kind == "none" and "wall" in wall.lines()[0]


@pytest.mark.slow
def test_q_learning_agrees_with_value_and_policy_iteration():
    world = LabWorld.named("classic")
    _, q_star = world.optimum()
    P, n_states, n_actions = world.model()  # noqa: N806
    _, q_pi, _, _, _ = policy_iteration(P, n_states, n_actions, world.gamma)
    method = QLearning(world, seed=0, epsilon=1.0)  # off-policy: a random walk visits every pair often
    for _ in range(Q_LEARNING_STEPS):
        method.step()
    learned = method.q()[world.open_mask()]
    assert np.max(np.abs(learned - q_star[world.open_mask()])) < Q_TOLERANCE
    assert np.max(np.abs(learned - q_pi[world.open_mask()])) < Q_TOLERANCE
    assert method.converged()


@pytest.fixture
def one_torch_thread():
    """As in the lab's worker: one torch thread (two make the tiny updates several times slower here)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")
def test_the_dqn_error_falls_over_a_short_run():
    method = DQN(LabWorld.named("classic"), seed=0)
    before = method.error()
    for _ in range(DQN_STEPS):
        method.step()
    assert method.error() < 0.5 * before, (before, method.error())


def test_fitted_q_iteration_joins_when_a_dataset_fits_the_grid():
    world = LabWorld.named("classic")
    dataset = record_dataset(world, 4_000, epsilon=0.5)
    method = FittedQIteration(world, dataset)
    before = method.error()
    run_until_converged(method, limit=1_000)
    assert method.error() < 0.5 * before and method.counts.sum() == 4_000
    lab = Lab(world, dataset=dataset)
    assert lab.methods[-1].name == "Fitted Q-iteration"
    lab.load_layout("cliff")  # 48 cells: the recording no longer fits
    assert [m.name for m in lab.methods][-1] == "DQN"


def test_datasets_come_as_arrays_or_transitions_and_must_fit_the_grid(tmp_path):
    from types import SimpleNamespace

    from game.modes.lab_methods import dataset_fits
    from game.modes.lab_worker import LabRunner

    world = LabWorld.named("classic")
    recorded = record_dataset(world, 300)
    as_attributes = SimpleNamespace(**{k: v for k, v in recorded.items() if k != "n_states"})
    assert dataset_fits(recorded, 12) and not dataset_fits(recorded, 48)
    assert dataset_fits(as_attributes, 12) and not dataset_fits(as_attributes, 5)
    images = SimpleNamespace(**{**vars(as_attributes), "obs": np.zeros((300, 3, 8, 8), np.uint8)})
    assert not dataset_fits(images, 12), "another game's frames are no grid cells"
    np.testing.assert_allclose(
        FQIStepper(as_attributes, 12, 4, 0.9).counts, FQIStepper(recorded, 12, 4, 0.9).counts
    )
    path = tmp_path / "play.npz"
    np.savez(path, **recorded)
    runner = LabRunner(LabConfig(layout="classic", dataset=str(path), running=False))
    assert runner.error is None and runner.lab.methods[-1].name == "Fitted Q-iteration"
    missing = LabRunner(LabConfig(layout="classic", dataset="nowhere", data_dir=str(tmp_path)))
    assert missing.error is not None and "dataset was not loaded" in missing.error[0]
    assert len(missing.lab.methods) == 4 and missing.snapshot().error == missing.error[0]


def test_advance_paces_the_planning_methods_and_curves_stay_bounded(monkeypatch):
    lab = Lab.named("classic")
    lab.advance(0.25)  # 4 sweeps a second
    lab.advance(0.25)
    assert lab.method("Value iteration").work == 2
    for _ in range(3):
        lab.advance(0.01)  # a slice as the worker asks for: Q-learning's 40 steps leave the DQN time
    assert lab.method("Q-learning").work > 0 and lab.method("DQN").work > 0
    monkeypatch.setattr(lab_module, "MAX_CURVE_POINTS", 10)
    curve = lab.curves["Value iteration"]
    for _ in range(30):
        lab.step_all()
    assert len(curve) <= 10 and curve[0][0] == 0 and curve[-1][0] == lab.method("Value iteration").work
    works = [work for work, _ in curve]
    assert works == sorted(works)


def test_the_lab_modules_load_without_torch():
    code = "import sys, game.modes.lab, game.modes.lab_worker; assert 'torch' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------------- the worker process


def wait_for(worker: LabWorker, accept, timeout: float = WORKER_TIMEOUT_S) -> LabSnapshot:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snapshot = worker.poll()
        if snapshot is not None:
            assert snapshot.error is None, snapshot.traceback
            if accept(snapshot):
                return snapshot
        time.sleep(0.01)
    raise AssertionError(f"no such snapshot within {timeout:.0f} s")


def test_the_worker_answers_a_step_and_stops():
    worker = LabWorker(LabConfig(layout="classic", running=False))
    worker.start()
    try:
        first = wait_for(worker, lambda s: True)
        assert [view.work for view in first.methods] == [0, 0, 0, 0] and not first.running
        worker.send(LabStep())
        snapshot = wait_for(worker, lambda s: s.methods[0].work == 1)
        assert [view.work for view in snapshot.methods] == [1, 1, 1, 1]
        assert snapshot.layout == LAYOUTS["classic"] and snapshot.v_star.shape == (12,)
        assert snapshot.methods[0].greedy.dtype == np.int8 and snapshot.methods[0].values.dtype == np.float32
        assert set(snapshot.curves) == {view.name for view in snapshot.methods}
    finally:
        began = time.monotonic()
        worker.stop()
        took = time.monotonic() - began
    assert worker.process is None and took < 2.5, took


def test_the_worker_in_process_reports_a_bad_command_and_goes_on():
    import queue as queue_module

    from game.modes.lab_worker import LabEdit, run_lab

    commands, snapshots = queue_module.Queue(), queue_module.Queue(64)
    for command in (LabEdit(9, 9), LabStep(), LabQuit()):
        commands.put(command)
    run_lab(LabConfig(running=False), commands, snapshots)
    taken = []
    while not snapshots.empty():
        taken.append(snapshots.get())
    assert any(s.error and "outside" in s.error and s.traceback for s in taken)


PARENT_SCRIPT = """
import time
from game.modes.lab_worker import LabConfig, LabWorker

worker = LabWorker(LabConfig(layout="classic"))
worker.start()
while worker.poll() is None:
    time.sleep(0.01)
assert worker.latest.error is None, worker.latest.traceback
print("running", flush=True)
time.sleep(600)
"""


@pytest.mark.slow
def test_the_worker_ends_with_its_killed_parent(tmp_path):
    from tests.test_orphans import command_line, kill_and_time, started

    with started([sys.executable, "-c", PARENT_SCRIPT], tmp_path) as parent:
        assert parent.read_line().strip() == "running", parent.output()
        family = parent.family()
        assert any("spawn_main" in command_line(process) for process in family), family
        kill_and_time(parent, family)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_the_labs_policy_iteration_alternates_its_phases_and_ends_on_v_star_exactly(name):
    """Loose evaluation sweeps (so improvements come every few steps on screen), then one exact
    evaluation of the policy that no longer changes: the same V* as value iteration."""
    world = LabWorld.named(name)
    method = PolicyIteration(world)
    phases = []
    while not method.converged():
        phases.append(method.stepper.phase)
        method.step()
        assert len(phases) < 2_000
    assert "exact evaluation" in phases and phases.count("improvement") >= 2
    first_improvement = phases.index("improvement")
    assert first_improvement <= 20  # the first policy is improved within the sweep cap
    v_star = world.optimum()[0]
    np.testing.assert_allclose(method.values(), v_star, atol=1e-9)
