"""The worker process: one agent learning one game, spoken to with Commands, answering with Snapshots.

The UI process never trains. It starts a :class:`Worker` (a ``multiprocessing`` spawn-context
process running :func:`run_session`), sends it small Command dataclasses and keeps only the newest
:class:`Snapshot` (both defined in ``game.modes.protocol``). Neither side waits for the other:
commands and snapshots travel through bounded queues, and the worker drops a snapshot when the UI
has not taken the previous ones.

Inside the worker a :class:`~agents.trainer.Trainer` steps the learning environments flat out,
while the *showcase* game — the one on screen — is played by the current network at the game's
real rate and feeds the replay memory as one more stream. A person may take the showcase over:
their actions are played, the agent's Q-values on their state keep coming as advice, and their
transitions enter the replay marked as demonstrations.

The worker ends when the UI process does, however that died (``kill -9``, the OOM killer, a native
crash): its first act is to take a lifeline to the parent (``game.modes.lifeline``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import multiprocessing as mp
import queue
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np

from game.catalog import display_frames
from game.gym_games import applied_imports
from game.modes.lens import Lens
from game.modes.lifeline import Parent, hold
from game.modes.mailbox import offer
from game.modes.protocol import (
    Command,
    HandBack,
    HumanAction,
    OverrideEpsilon,
    Pause,
    Quit,
    Record,
    Save,
    SessionConfig,
    SetSpeed,
    ShowLearning,
    Snapshot,
    StepOnce,
    TakeOver,
)

if TYPE_CHECKING:  # minari stays unimported until a recording starts
    from game.modes.attach_worker import Watcher
    from game.modes.recording import Recorder

SNAPSHOT_QUEUE = 4  # snapshots in flight before the worker starts dropping them
COMMAND_QUEUE = 256  # commands in flight; the UI's sends never block
FAST_SNAPSHOTS_PER_S = 30  # in fast-forward, how often the flying learner is shown
STOP_TIMEOUT_S = 2.0  # closing the window stops the worker within this, after saving
DEMO_CAPACITY = 10_000  # transitions of a person's play kept apart from the replay ring
NOTICES_KEPT = 5  # the Trainer's newest sentences carried in every snapshot, so a dropped one loses none
DEMO_FRACTION = 0.1  # share of each batch drawn from them, once there are any


# ---------------------------------------------------------------------- the worker's side


class Session:
    """The worker's state: the trainer, the showcase env and who controls it."""

    def __init__(self, config: SessionConfig):
        import torch

        from agents.checkpoint import load_checkpoint
        from agents.trainer import Trainer
        from game.catalog import action_labels, find_game
        from game.gym_games import import_games, trained_layout, with_obs_layout
        from game.presets import preset, with_overrides

        torch.set_num_threads(config.threads)
        import_games(config.imports)  # a spawned worker starts bare: the games --import registered, again
        spec = find_game(config.game_id)
        if config.resume:
            _, train_config = Trainer.read_run(config.run_dir)
        else:
            train_config = with_overrides(preset(spec.preset), config.train_overrides, "the session")
            dqn = train_config.dqn
            if dqn.demo_capacity == 0:  # a person's play is kept apart, where the ring cannot overwrite it
                dqn = dataclasses.replace(
                    dqn, demo_capacity=DEMO_CAPACITY, demo_fraction=dqn.demo_fraction or DEMO_FRACTION
                )
                train_config = dataclasses.replace(train_config, dqn=dqn)
            if config.checkpoint:  # its own network, reading observations as the checkpoint's run did
                metadata = load_checkpoint(config.checkpoint)[1]
                trained = metadata.get("config")
                trained_dqn = trained.get("dqn") if isinstance(trained, dict) else None
                train_config = dataclasses.replace(
                    train_config,
                    obs_layout=trained_layout(metadata),
                    dqn=train_config.dqn.with_network_of(trained_dqn),
                )
        spec = with_obs_layout(spec, train_config.obs_layout)  # as the run reads them, not as detected now
        self.trainer = Trainer(
            spec.id,
            lambda: spec.make_env("train"),
            train_config,
            config.run_dir,
            make_eval_env=lambda: spec.make_env("show"),
            extra_streams=1,
            make_pool=spec.pool_factory,
            make_eval_pool=spec.eval_pool_factory,
            metrics_max_bytes=config.metrics_max_bytes,
        )
        if config.resume:
            self.trainer.restore()
        elif config.checkpoint:
            self.trainer.load_weights(config.checkpoint)
        restored = self.trainer.restored_from  # latest.pt, or the newest good one when it is damaged
        self.checkpoint: str | None = str(restored) if config.resume and restored else config.checkpoint
        self.notices: deque[str] = deque(maxlen=NOTICES_KEPT)  # the Trainer's newest sentences
        self.notice_count = 0
        for notice in spec.notices:  # a game from elsewhere that breaks gymnasium's rules
            self._notice(notice)
        self.stream = train_config.num_envs  # the showcase's replay stream
        self.showcase = spec.make_env("show")
        self.labels = action_labels(self.showcase)
        self.step_seconds = _showcase_step_seconds(self.showcase)
        self.obs, _ = self.showcase.reset(seed=train_config.seed + 1_000_003)
        self.score = 0.0
        self.controller = "agent"
        self.human_action = 0
        self.paused = False
        self.fast = False
        self.running = True
        self.next_showcase = time.monotonic()
        self.last_fast_snapshot = 0.0
        self.pending_frames: list[np.ndarray] = display_frames(self.showcase)
        self.lens: Lens | None = None
        """the "how it learns" views, while the UI shows them (``ShowLearning``)"""
        self.game_id, self.data_dir = spec.id, config.data_dir
        self.recorder: Recorder | None = None
        """records the person's play of the showcase (``game.modes.recording``), once asked to"""

    def handle(self, command: Command) -> None:
        if isinstance(command, SetSpeed):
            self.fast = command.fast
        elif isinstance(command, Pause):
            self.paused = command.paused
        elif isinstance(command, StepOnce):
            if self.paused:
                if self.lens is not None:
                    self.lens.request_readout(showcase=not self.fast)  # this step's update is the one shown
                self.trainer.step()
                if self.lens is not None:
                    self.lens.after_learning()
        elif isinstance(command, ShowLearning):
            self.show_learning(command.on)
        elif isinstance(command, TakeOver):
            self.controller = "human"
        elif isinstance(command, HandBack):
            self.controller = "agent"
        elif isinstance(command, HumanAction):
            self.human_action = int(command.action)
        elif isinstance(command, OverrideEpsilon):
            self.trainer.epsilon_override = command.epsilon
        elif isinstance(command, Record):
            self.record(command.on)
        elif isinstance(command, Save):
            self.save()
        elif isinstance(command, Quit):
            self.running = False

    def show_learning(self, on: bool) -> None:
        """Start or stop computing the "how it learns" views."""
        if on and self.lens is None:
            self.lens = Lens(self.trainer.agent, self.showcase.observation_space.shape or ())
        elif not on and self.lens is not None:
            self.trainer.agent.cancel_trace()
            self.lens = None

    def record(self, on: bool) -> None:
        """Record the person's play of the showcase, or stop and save it; a notice tells how it went."""
        from game.errors import UserError
        from game.modes.recording import Recorder

        if not on:
            self._notice(self.recorder.finish() if self.recorder is not None else None)
            return
        if self.recorder is None:
            self.recorder = Recorder.for_env(
                self.game_id, self.showcase, self.data_dir, steps_per_second=1.0 / self.step_seconds
            )
        try:
            self.recorder.start()
        except UserError as error:  # the offline extra is not installed
            self._notice(str(error))

    def _notice(self, text: str | None) -> None:
        if text is not None:
            self.notices.append(text)
            self.notice_count += 1

    def learn(self) -> None:
        """One step of the learning environments, with a checkpoint every checkpoint_every_steps."""
        before = self.trainer.steps
        if self.lens is not None:
            self.lens.tick(showcase=not self.fast)
        self.trainer.step()
        self.trainer.measure_speed()
        if self.lens is not None:
            self.lens.after_learning()
        every = self.trainer.config.checkpoint_every_steps
        if every and before // every != self.trainer.steps // every:
            self.save(with_replay=False)  # weights only: the showcase must not stall on a big replay

    def save(self, with_replay: bool | None = None) -> None:
        path = self.trainer.save(with_replay)
        if path is not None:  # a failed write keeps the previous file; the notice says what failed
            self.checkpoint = str(path)

    def showcase_step(self) -> Snapshot:
        """One agent step of the game on screen, by the network or by the person."""
        from agents.replay import Transition

        act = self.trainer.agent.act(self.obs, self.trainer.epsilon)
        lens = self.lens
        if lens is not None:
            lens.before_step(self.obs, act.q_values)
        human = self.controller == "human"
        action = self.human_action if human else int(act.action)
        next_obs, reward, terminated, truncated, info = self.showcase.step(action)
        learn_reward = float(np.sign(reward)) if self.trainer.config.clip_rewards else float(reward)
        index = self.trainer.agent.observe(
            Transition(
                self.obs, action, learn_reward, next_obs, bool(terminated), bool(truncated), demo=human
            ),
            stream=self.stream,
        )
        self.score += float(reward)
        if self.recorder is not None and self.recorder.recording:
            self.recorder.offer(human, self.obs, action, float(reward), next_obs, terminated, truncated)
            if terminated or truncated:
                self.recorder.save_async()  # each finished episode reaches the disk at once
        frames = display_frames(self.showcase)
        if lens is not None:
            q_taken = float(np.asarray(act.q_values).reshape(-1)[action])
            lens.after_step(
                self.obs, action, q_taken, learn_reward, next_obs, terminated, truncated, index, frames[-1]
            )
        snapshot = self.snapshot(act, action, frames=self.pending_frames + frames)
        info = advance_showcase(self, next_obs, terminated or truncated, info)
        self._board_values(snapshot, info)
        return snapshot

    def _board_values(self, snapshot: Snapshot, info: dict) -> None:
        """Q-values to draw on the board itself: every cell of a grid world, or every square now."""
        game = self.showcase.unwrapped
        if not hasattr(game, "cell_rect"):
            return
        agent = self.trainer.agent
        if isinstance(self.showcase.observation_space, gym.spaces.Discrete):  # one state per cell
            snapshot.board_q = agent.act_batch(np.arange(self.showcase.observation_space.n), 0.0).q_values
        else:  # the squares of the position on screen, which the agent moves in next
            snapshot.board_q = np.asarray(agent.act(self.obs, 0.0).q_values, dtype=np.float32)
            mask = info.get("action_mask")
            snapshot.board_mask = None if mask is None else np.asarray(mask, dtype=bool)

    def snapshot(self, act, action: int, frames: list[np.ndarray]) -> Snapshot:
        trainer = self.trainer
        for notice in trainer.take_notices():
            self._notice(notice)
        recorder = self.recorder
        if recorder is not None:
            self._notice(recorder.take_error())  # a save in the background that failed
        config = trainer.config
        stats = trainer.statistics
        snapshot = Snapshot(
            frames=frames,
            q_values=np.asarray(act.q_values, dtype=np.float32),
            action=int(action),
            greedy_action=int(act.greedy_action),
            explored=bool(act.explored) and self.controller == "agent",
            value=None if act.value is None else float(np.asarray(act.value).reshape(-1)[0]),
            epsilon=trainer.epsilon,
            epsilon_schedule=(config.epsilon_start, config.epsilon_end, config.epsilon_decay_steps),
            epsilon_override=trainer.epsilon_override is not None,
            controller=self.controller,
            score=self.score,
            steps=trainer.steps,
            episodes=trainer.episodes,
            updates=trainer.agent.update_count,
            recent_returns=list(trainer.recent_returns)[-50:],
            loss=stats.get("loss"),
            mean_q=stats.get("mean_q"),
            steps_per_second=trainer.steps_per_second,
            paused=self.paused,
            fast=self.fast,
            checkpoint=self.checkpoint,
            labels=self.labels,
            notices=list(self.notices),
            notice_count=self.notice_count,
            recording=recorder is not None and recorder.recording,
            recorded_episodes=0 if recorder is None else recorder.episodes,
            recorded_steps=0 if recorder is None else recorder.steps,
        )
        if self.lens is not None:
            self.lens.fill(snapshot)
        return snapshot

    def fast_snapshot(self) -> Snapshot:
        """In fast-forward: the first learning environment, as it flies."""
        obs = self.trainer.current_obs
        act = self.trainer.agent.act(self.obs if obs is None else obs[0], self.trainer.epsilon)
        frame = self.trainer.pool.frame(0)
        return self.snapshot(act, int(act.action), frames=[] if frame is None else [frame])

    def final_snapshot(self) -> Snapshot:
        """The last word of a worker that stopped as asked: where its checkpoint is."""
        act = self.trainer.agent.act(self.obs, 0.0)
        return self.snapshot(act, int(act.action), frames=[])

    def close(self) -> None:
        self.record(False)  # the person's play recorded so far is saved
        self.showcase.close()
        self.trainer.close()


def run_session(
    config: SessionConfig, commands: mp.Queue, snapshots: mp.Queue, parent: Parent | None = None
) -> None:
    """The worker process's main loop; every exception is reported as a Snapshot with its traceback
    (settings the machine cannot hold and a run with no loadable checkpoint: with their one sentence).

    ``parent``: the process that started this one; the worker ends within moments of its death, and
    takes that lifeline before torch loads. None (a session run in the caller's own process) takes none.
    """
    if parent is not None:
        hold(parent)
    from agents.checkpoint import CheckpointError  # torch: after the lifeline is held
    from agents.resources import NotEnoughMemoryError

    session: Session | Watcher | None = None
    try:
        if config.watch:  # a job's weights played, nothing learnt (main.py arena --attach)
            from game.modes.attach_worker import Watcher

            session = Watcher(config)
        else:
            session = Session(config)
        while session.running:
            _drain(commands, session)
            if not session.running:
                break
            now = time.monotonic()
            if session.fast:
                if not session.paused:
                    session.learn()
                if now - session.last_fast_snapshot >= 1.0 / FAST_SNAPSHOTS_PER_S:
                    session.last_fast_snapshot = now
                    offer(snapshots, session.fast_snapshot())
            elif now >= session.next_showcase:
                session.next_showcase = max(session.next_showcase + session.step_seconds, now - 0.1)
                offer(snapshots, session.showcase_step())
            elif not session.paused:
                session.learn()
                if session.lens is not None:
                    session.lens.work()  # a piece of a saliency map, between learning steps
            else:
                time.sleep(min(0.005, max(0.0, session.next_showcase - now)))
        session.save(with_replay=False)  # weights only: a window closes within two seconds
        offer(snapshots, session.final_snapshot(), force=True)
    except (NotEnoughMemoryError, CheckpointError) as error:  # the settings or the run: one sentence
        offer(snapshots, Snapshot(error=str(error), retry=False), force=True)
    except Exception as error:  # the UI shows it and may restart from the last checkpoint
        offer(
            snapshots,
            Snapshot(error=f"{type(error).__name__}: {error}", traceback=traceback.format_exc()),
            force=True,
        )
    finally:
        if session is not None:
            session.close()
        if parent is not None:
            # This worker process ends next: leave the interpreter's last collection nothing to walk
            # (it took 1-2 s with torch loaded, and a closing window waits for this process).
            gc.freeze()


def _drain(commands: mp.Queue, session: Session) -> None:
    while True:
        try:
            command = commands.get_nowait()
        except queue.Empty:
            return
        session.handle(command)


def advance_showcase(worker: Any, next_obs: Any, ended: bool, info: dict) -> dict:
    """After a showcase step of ``worker`` (a Session, or the attach Watcher): the next game's start
    where one ended (its first frames kept for the next snapshot), else the next observation.
    Returns the info the board's values read: the reset's where a game ended."""
    worker.pending_frames = []
    if not ended:
        worker.obs = next_obs
        return info
    worker.obs, info = worker.showcase.reset()
    worker.score = 0.0
    worker.pending_frames = display_frames(worker.showcase)
    return info


def _showcase_step_seconds(env) -> float:
    """Seconds per agent step at the game's real rate (Atari: frame_skip frames at 60 Hz)."""
    fps = float(env.metadata.get("render_fps") or 30)
    settings = getattr(env.unwrapped, "settings", None)
    return getattr(settings, "frame_skip", 1) / fps


# ---------------------------------------------------------------------- the UI's side


class Worker:
    """The UI's handle on the worker process: start, send, newest snapshot, stop."""

    def __init__(self, config: SessionConfig):
        self.config = config
        self._context = mp.get_context("spawn")
        self.process: mp.process.BaseProcess | None = None
        self.commands: mp.Queue | None = None
        self.snapshots: mp.Queue | None = None
        self.latest: Snapshot | None = None

    def start(self, resume: bool | None = None) -> None:
        """Start the process (``resume``: continue from the run's latest checkpoint).

        The worker ends when this process dies, however it died (``game.modes.lifeline``). Started
        from the main thread, as the UI does, it also has Linux kill it then; the kernel's signal
        follows the thread that started the child, so from any other thread the worker keeps only the
        portable line: a watch on this process's sentinel.
        """
        config = self.config if resume is None else dataclasses.replace(self.config, resume=resume)
        if not config.imports:  # the games this process registered by --import, registered there too
            config = dataclasses.replace(config, imports=applied_imports())
        self.commands = self._context.Queue(COMMAND_QUEUE)
        self.snapshots = self._context.Queue(SNAPSHOT_QUEUE)
        self.process = self._context.Process(
            target=run_session,
            args=(config, self.commands, self.snapshots, Parent.here()),
            name="q-arcade-worker",
            daemon=True,
        )
        with deaf_to_ctrl_c():  # Ctrl-C stops the window, whose close has the worker save first
            self.process.start()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def send(self, command: Command) -> None:
        """Queue a command without waiting (a full queue drops it: the worker is far behind)."""
        if self.commands is not None:
            with contextlib.suppress(queue.Full):
                self.commands.put_nowait(command)

    def poll(self) -> Snapshot | None:
        """The newest snapshot, taking every waiting one off the queue; None when nothing new came."""
        newest = None
        if self.snapshots is None:
            return None
        while True:
            try:
                snapshot = self.snapshots.get_nowait()
            except (queue.Empty, OSError, ValueError):
                break
            if newest is not None and newest.frames and snapshot.frames is not None:
                snapshot.frames = newest.frames + snapshot.frames  # no frame is skipped on screen
            newest = snapshot
        if newest is not None:
            self.latest = newest
        return newest

    def restart(self) -> None:
        """After a crash: a new process continuing from the last checkpoint, if there is one."""
        self.stop(save=False)
        folder = Path(self.config.run_dir) / "checkpoints"
        has_checkpoint = (folder / "latest.pt").is_file() or any(folder.glob("step-*.pt"))
        self.start(resume=has_checkpoint)

    def stop(self, save: bool = True, timeout: float = STOP_TIMEOUT_S) -> None:
        """Ask the worker to save and quit; past ``timeout`` it is terminated. No process is left behind."""
        if self.process is None:
            return
        if save and self.process.is_alive():
            self.send(Quit())
            deadline = time.monotonic() + timeout
            while self.process.is_alive() and time.monotonic() < deadline:
                self.poll()  # a worker cannot exit while its last snapshots wait in a full pipe
                self.process.join(0.02)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(1.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(1.0)
        for q in (self.commands, self.snapshots):
            if q is not None:
                q.cancel_join_thread()
                q.close()
        self.process = None


@contextlib.contextmanager
def deaf_to_ctrl_c() -> Iterator[None]:
    """Processes started inside ignore SIGINT, so a Ctrl-C in the terminal, which reaches the whole
    process group, stops only the window: its close tells each worker to save, then stop.

    An ignored signal stays ignored in a spawned child (a handled one would not). From a thread other
    than the main one nothing changes: only the main thread may set handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)
