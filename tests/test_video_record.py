"""``main.py record``: a trained agent's play as an MP4, drawn off-screen with the arena's Q-bars and
epsilon gauge; the video's rate, its frames, its atomic write and the refusals of bad input."""

from __future__ import annotations

import errno
import itertools
import subprocess
import sys
from pathlib import Path

import imageio.v2 as iio
import numpy as np
import pygame
import pytest

import main
from game.errors import UserError
from game.modes.video import Recording, VideoRequest, describe, open_show, video_rate
from game.ui import theme
from game.ui import video as video_module
from game.ui.video import VIDEO_SIZE, VideoCanvas, record_video

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "main.py"
CATCH = str(ROOT / "assets" / "agents" / "catch" / "expert.pt")  # a shipped agent (agents.json)
PONG = str(ROOT / "assets" / "agents" / "pong-v5" / "expert.pt")
SECONDS = 2.0
CATCH_FPS = 30  # Catch shows 10 frames a second; each is held for 3 video frames
CHANGED = 40  # a pixel (of 0-255 channels) changed by more than this moved; the encoder's noise stays below
MOVED = 10  # frames that differ in more pixels (of the shrunk picture) show something new
SHRINK = 4  # decoded frames are kept this many times smaller each way


def decoded(path: Path, shrink: int = SHRINK) -> tuple[list[np.ndarray], float]:
    """The video's frames, shrunk ``shrink`` times each way (a 720p video whole is too big), and its fps."""
    reader = iio.get_reader(path, format="FFMPEG")
    try:
        fps = float(reader.get_meta_data()["fps"])
        full = None
        frames = []
        for full in reader:
            frames.append(full[::shrink, ::shrink].astype(np.int16))
        assert full is not None and full.shape == (VIDEO_SIZE[1], VIDEO_SIZE[0], 3), "720p RGB frames"
    finally:
        reader.close()
    return frames, fps


def crop(frame: np.ndarray, rect: pygame.Rect) -> np.ndarray:
    """The part of a shrunk decoded frame that ``rect`` (in the video's pixels) covers."""
    return frame[rect.top // SHRINK : rect.bottom // SHRINK, rect.left // SHRINK : rect.right // SHRINK]


def changed_at(frames: list[np.ndarray], rect: pygame.Rect | None = None) -> list[int]:
    """The indices of the frames that show something else than the one before (within ``rect``, in
    full-size pixels): more than a few pixels moved, beyond the encoder's noise."""
    if rect is not None:
        frames = [crop(f, rect) for f in frames]
    return [
        i + 1
        for i, (a, b) in enumerate(itertools.pairwise(frames))
        if (np.abs(a - b).max(axis=2) > CHANGED).sum() > MOVED
    ]


@pytest.fixture(scope="module")
def catch_video(tmp_path_factory) -> tuple[Recording, list[np.ndarray], float]:
    """Two seconds of the shipped Catch agent, recorded once in this process (about 3 s)."""
    out = tmp_path_factory.mktemp("video") / "catch.mp4"
    recording = record_video(VideoRequest(CATCH, seconds=SECONDS, out=str(out)))
    frames, fps = decoded(out)
    return recording, frames, fps


@pytest.fixture(scope="module")
def layout() -> VideoCanvas:
    """Where the video puts the game, the Q-bars and the epsilon gauge (Catch's agent, not played)."""
    pygame.font.init()
    show = open_show(VideoRequest(CATCH))
    try:
        return VideoCanvas(show)
    finally:
        show.close()


def test_the_video_rate_is_the_games_display_rate_up_to_a_film_rate():
    assert (video_rate(60).fps, video_rate(60).repeat) == (60, 1)  # Atari and Pong: every frame, once
    assert (video_rate(30).fps, video_rate(30).repeat) == (30, 1)  # Runner
    assert (video_rate(10).fps, video_rate(10).repeat) == (30, 3)  # Catch and Snake: each frame 3 times
    assert (video_rate(8).fps, video_rate(8).repeat) == (24, 3)  # GridWorld


def test_a_catch_video_has_seconds_times_fps_frames_of_720p(catch_video):
    recording, frames, fps = catch_video
    assert recording.fps == CATCH_FPS and fps == pytest.approx(CATCH_FPS)
    assert recording.frames == round(SECONDS * CATCH_FPS)
    assert abs(len(frames) - SECONDS * CATCH_FPS) <= 1
    assert recording.path.is_file() and recording.size_bytes == recording.path.stat().st_size
    assert [p.name for p in recording.path.parent.iterdir()] == ["catch.mp4"]  # no partial file left
    assert recording.returns or recording.unfinished is not None  # the games on film are counted


def test_the_game_moves_at_its_own_rate(catch_video, layout):
    _, frames, _ = catch_video
    moves = changed_at(frames, layout.game_area)
    # 20 agent steps in 2 s, each a new picture held for 3 video frames: a change every third frame.
    assert 10 <= len(moves) <= SECONDS * 10, moves
    assert all(i % 3 == 0 for i in moves), moves


def test_the_q_bars_and_the_gauge_are_drawn_beside_the_game(catch_video, layout):
    _, frames, _ = catch_video
    assert layout.bars.left >= layout.game_area.right and layout.epsilon.top >= layout.bars.bottom
    middle = frames[len(frames) // 2]
    background = np.array(theme.BACKGROUND)
    for rect in (layout.bars, layout.epsilon):
        region = crop(middle, rect)
        drawn = (np.abs(region - background).max(axis=2) > 5).mean()
        assert drawn > 0.8, (rect, drawn)  # a card with text and bars, not the window's background
    greedy = (np.abs(crop(middle, layout.bars) - np.array(theme.GOOD)).max(axis=2) < 40).sum()
    assert greedy > 20, greedy  # epsilon 0: the chosen bar is the greedy green one


@pytest.mark.slow  # a whole process that loads torch: 4 to 8 s on two busy cores
def test_the_command_writes_its_line_and_a_video_in_the_data_folder(data_folder):
    result = subprocess.run(
        [sys.executable, str(MAIN), "record", CATCH, "--seconds", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Recorded "), result.stdout
    videos = list((data_folder / "recordings").glob("catch-*.mp4"))
    assert len(videos) == 1 and str(videos[0]) in lines[0]
    assert ": 1.0 s, 30 frames at 30 fps, " in lines[0] and " MB; " in lines[0] and "scores " in lines[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["no/such/run"], "There is no run directory or checkpoint"),
        (["BROKEN"], "is not a Q-Arcade checkpoint"),
        ([CATCH, "--seconds", "0"], "--seconds must be more than 0"),
        ([CATCH, "--seconds", "-3"], "--seconds must be more than 0"),
        ([CATCH, "--out", "clip.avi"], "--out must name an .mp4 file"),
        ([CATCH, "--out", "missing/clip.mp4"], "There is no folder"),
        ([CATCH, "--out", "a-file/clip.mp4"], "There is no folder"),
        ([CATCH, "--out", "folder.mp4"], "is a folder"),
        ([CATCH, "--epsilon", "1.5"], "--epsilon must be between 0 and 1"),
        ([CATCH, "--seed", "-1"], "--seed must be 0 or more"),
    ],
)
def test_bad_input_ends_in_one_sentence_and_status_2(args, words, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "BROKEN").write_bytes(b"not a checkpoint")
    (tmp_path / "a-file").write_text("a file, not a folder")
    (tmp_path / "folder.mp4").mkdir()
    assert main.main(["record", *args]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0] and lines[0].endswith("."), err
    assert not [p for p in tmp_path.rglob("*.mp4") if p.is_file()]


def test_a_refusal_from_the_command_line_exits_2_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, str(MAIN), "record", CATCH, "--out", str(tmp_path / "clip.gif")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().count("\n") == 0 and "--out must name an .mp4 file" in result.stderr


def test_a_failed_write_leaves_the_old_file_and_no_partial(tmp_path, monkeypatch):
    out = tmp_path / "clip.mp4"
    out.write_bytes(b"the video from before")

    def full_disk(path: Path, images, fps: int) -> None:
        for _, _ in zip(range(5), images, strict=False):  # the game is played and drawn...
            pass
        path.write_bytes(b"half a video")
        raise OSError(errno.ENOSPC, "No space left on device")  # ...and then the disk fills up

    monkeypatch.setattr(video_module, "write_mp4", full_disk)
    with pytest.raises(UserError, match=r"^Could not write .*clip\.mp4 \(No space left on device\)"):
        record_video(VideoRequest(CATCH, seconds=1, out=str(out)))
    assert out.read_bytes() == b"the video from before"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_the_printed_line_names_file_length_frames_size_and_scores():
    recording = Recording(Path("clip.mp4"), 600, 30, 1_250_000, [1.0, 0.0], 1.0)
    assert describe(recording) == (
        "Recorded clip.mp4: 20.0 s, 600 frames at 30 fps, 1.2 MB; 3 games, "
        "scores 1, 0, 1 (under way at the end)"
    )


@pytest.mark.slow
def test_an_atari_video_shows_all_60_frames_a_second(tmp_path):
    show = open_show(VideoRequest(PONG))
    try:
        assert show.rate.fps == 60 and show.rate.repeat == 1
        first, second = show.step(), show.step()
        assert len(first.frames) > 4 and len(second.frames) == 4  # a new game's start, then frame_skip each
        assert first.q_values is not None and len(first.q_values) == len(show.labels)
    finally:
        show.close()
    recording = record_video(VideoRequest(PONG, seconds=2, out=str(tmp_path / "pong.mp4")))
    frames, fps = decoded(recording.path, shrink=2)  # the ball is a few pixels: keep more of them
    assert recording.frames == 120 and fps == pytest.approx(60) and abs(len(frames) - 120) <= 1
    # The ball is served within the first second. Then the agent decides 15 times a second, and the
    # ball moves on every one of the 60 frames in between.
    assert len(changed_at(frames[60:])) > 45
