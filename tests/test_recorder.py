"""The window recorder: a bounded ring of small frames, saved as a readable MP4 or GIF."""

import errno
import os
import threading
from pathlib import Path

import imageio.v2 as iio
import numpy as np
import pygame
import pytest

from game.ui import recorder as recorder_module
from game.ui.app import App
from game.ui.recorder import Recorder, RecordingRefusedError, capture_size

DISPLAY_DT = 1 / 60  # seconds between offered frames, as at the app's 60 fps
SAVE_WAIT_S = 60  # generous: the encoder shares two cores with whatever else runs


class FakeClock:
    """Seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.01  # off the 1/15 s grid, so float error never lands a frame on a boundary

    def __call__(self) -> float:
        return self.now


def pattern(size: tuple[int, int], i: int) -> pygame.Surface:
    """Frame ``i`` of a test film: a bar that moves right and a shade that changes."""
    surface = pygame.Surface(size)
    surface.fill((20, (i * 7) % 256, 200 - i % 100))
    w, h = size
    pygame.draw.rect(surface, (255, 255, 255), ((i * 5) % (w - 20), h // 4, 20, h // 2))
    return surface


def feed(recorder: Recorder, clock: FakeClock, frames: int, size=(320, 200), start: int = 0) -> None:
    for i in range(start, start + frames):
        recorder.offer(pattern(size, i))
        clock.now += DISPLAY_DT


def read_frames(path) -> np.ndarray:
    with iio.get_reader(path) as reader:
        return np.stack([np.asarray(frame)[..., :3] for frame in reader])


def test_capture_size_is_at_most_max_width_and_even():
    assert capture_size((1280, 800)) == (640, 400)
    assert capture_size((1920, 1080)) == (640, 360)
    assert capture_size((801, 599), 640) == (640, 478)
    assert capture_size((161, 99)) == (160, 98), "a small window keeps its size, made even"


def test_one_frame_in_four_is_kept_at_60_fps():
    clock = FakeClock()
    recorder = Recorder(clock=clock)
    feed(recorder, clock, 60)
    assert recorder.frames == 15


def test_the_ring_never_holds_more_than_its_seconds():
    clock = FakeClock()
    recorder = Recorder(clock=clock)
    assert recorder.max_frames == 30 * 15
    for minute in range(2):  # four times the 30 s the ring holds
        feed(recorder, clock, 60 * 60, size=(64, 40), start=minute * 3600)
        assert recorder.frames == recorder.max_frames
    assert recorder.nbytes == sum(len(frame.data) for frame in recorder._ring)


def test_the_ring_never_holds_more_than_its_bytes():
    clock = FakeClock()
    noise = np.random.default_rng(0).integers(0, 256, (320, 200, 3), dtype=np.uint8)
    surface = pygame.surfarray.make_surface(noise)  # noise does not compress: the worst case
    budget = 5 * 320 * 200 * 3
    recorder = Recorder(max_bytes=budget, clock=clock)
    for _ in range(200):
        recorder.offer(surface)
        clock.now += DISPLAY_DT
        assert recorder.nbytes <= budget
    assert 1 <= recorder.frames <= 5


def test_timeline_repeats_a_frame_for_as_long_as_it_was_shown():
    clock = FakeClock()
    recorder = Recorder(clock=clock)
    feed(recorder, clock, 8)  # 2 frames
    clock.now += 1.0  # the app stalls for a second: the second frame stands 15 intervals longer
    feed(recorder, clock, 1, start=8)
    images = list(recorder_module.timeline(list(recorder._ring), recorder.fps, recorder.seconds))
    assert recorder.frames == 3
    assert len(images) == 1 + 16 + 1


def test_a_resized_window_is_saved_at_its_newest_size():
    clock = FakeClock()
    recorder = Recorder(clock=clock)
    feed(recorder, clock, 20, size=(320, 200))
    feed(recorder, clock, 20, size=(1280, 720), start=20)  # fullscreen: kept at 640 x 360
    images = list(recorder_module.timeline(list(recorder._ring), recorder.fps, recorder.seconds))
    assert len(images) == 10
    assert {image.shape for image in images} == {(360, 640, 3)}


def test_a_saved_mp4_has_the_right_length_size_and_motion(tmp_path):
    clock = FakeClock()
    recorder = Recorder(clock=clock)
    feed(recorder, clock, 3 * 60)  # 3 s at 60 fps: 45 kept frames
    assert recorder.frames == 45
    path = recorder.save(tmp_path, "mp4")
    assert path.parent == tmp_path and path.name.startswith("q-arcade-") and path.suffix == ".mp4"
    assert recorder.wait(SAVE_WAIT_S)
    result = recorder.poll()
    assert result is not None and result.error is None, result
    assert result.message == f"Saved {path}"
    assert recorder.poll() is None, "each outcome is told once"
    assert [p.name for p in tmp_path.iterdir()] == [path.name], "no partial file is left behind"
    frames = read_frames(path)
    assert abs(len(frames) - 45) <= 1
    assert frames.shape[1:] == (200, 320, 3)
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 5, "the film moves"


def test_without_ffmpeg_it_saves_a_gif(tmp_path, monkeypatch):
    monkeypatch.setattr(recorder_module, "ffmpeg_available", lambda: False)
    clock = FakeClock()
    recorder = Recorder(clock=clock)
    feed(recorder, clock, 2 * 60)
    path = recorder.save(tmp_path)
    assert path.suffix == ".gif"
    assert recorder.wait(SAVE_WAIT_S)
    assert recorder.poll().error is None
    frames = read_frames(path)
    assert len(frames) == 30
    assert frames.shape[1:] == (100, 160, 3), "GIF frames are halved"
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 5


def test_a_second_save_is_refused_while_the_first_writes(tmp_path, monkeypatch):
    started, release = threading.Event(), threading.Event()

    def slow_write(path, images, fps):
        path.write_bytes(b"fi")
        started.set()
        release.wait(SAVE_WAIT_S)
        path.write_bytes(b"film")

    monkeypatch.setattr(recorder_module, "write_mp4", slow_write)
    clock = FakeClock()
    recorder = Recorder(clock=clock)
    with pytest.raises(RecordingRefusedError, match="Nothing recorded"):
        recorder.save(tmp_path, "mp4")
    feed(recorder, clock, 10)
    first = recorder.save(tmp_path, "mp4")
    assert recorder.busy
    with pytest.raises(RecordingRefusedError, match="Still saving"):
        recorder.save(tmp_path, "mp4")
    assert started.wait(SAVE_WAIT_S)
    assert not first.exists(), "the file appears only when it is whole"
    release.set()
    assert recorder.wait(SAVE_WAIT_S)
    assert first.read_bytes() == b"film"
    second = recorder.save(tmp_path, "mp4")
    assert second != first, "two saves in one second get two names"
    assert recorder.wait(SAVE_WAIT_S)


def test_a_folder_that_cannot_be_made_is_refused_with_a_notice(tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    clock = FakeClock()
    recorder = Recorder(clock=clock)
    feed(recorder, clock, 10)
    with pytest.raises(RecordingRefusedError, match="Cannot write to"):
        recorder.save(tmp_path / "taken" / "recordings", "mp4")
    assert not recorder.busy


def test_a_failed_save_leaves_no_file_and_says_why(tmp_path, monkeypatch):
    def broken_write(path, images, fps):
        path.write_bytes(b"half a film")
        raise OSError("disk full")

    monkeypatch.setattr(recorder_module, "write_mp4", broken_write)
    clock = FakeClock()
    recorder = Recorder(clock=clock)
    feed(recorder, clock, 10)
    path = recorder.save(tmp_path, "mp4")
    assert recorder.wait(SAVE_WAIT_S)
    result = recorder.poll()
    assert result.error == "disk full"
    assert result.message == f"Recording not saved: writing {path} failed (disk full)"
    assert list(tmp_path.iterdir()) == []


def fake_write(path, images, fps):
    """A writer that encodes nothing: the film is a few bytes."""
    path.write_bytes(b"film")


def full_disk(path, images, fps):
    path.write_bytes(b"half a fi")  # the encoder got this far
    raise OSError(errno.ENOSPC)


def no_access(path, images, fps):
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))


@pytest.mark.parametrize(
    ("where", "failure", "words"),
    [
        ("write_mp4", full_disk, "No space left on device"),
        ("write_mp4", no_access, "Permission denied"),
        ("os.replace", no_access, "Permission denied"),
    ],
)
def test_a_write_error_keeps_earlier_files_says_what_failed_and_the_next_save_works(
    tmp_path, monkeypatch, where, failure, words
):
    monkeypatch.setattr(recorder_module, "write_mp4", fake_write)
    clock = FakeClock()
    recorder = Recorder(clock=clock)
    feed(recorder, clock, 10)
    earlier = recorder.save(tmp_path, "mp4")
    assert recorder.wait(SAVE_WAIT_S) and recorder.poll().error is None

    if where == "os.replace":  # encoding went well, the rename into place did not
        monkeypatch.setattr(recorder_module.os, "replace", lambda src, dst: failure(Path(dst), [], 0))
    else:
        monkeypatch.setattr(recorder_module, where, failure)
    feed(recorder, clock, 10, start=10)
    failed = recorder.save(tmp_path, "mp4")
    assert recorder.wait(SAVE_WAIT_S)
    result = recorder.poll()
    assert result is not None and result.error == words
    assert result.message == f"Recording not saved: writing {failed} failed ({words})"
    assert sorted(p.name for p in tmp_path.iterdir()) == [earlier.name], (
        "no partial file, nothing at the name"
    )
    assert earlier.read_bytes() == b"film", "an earlier recording is untouched"

    monkeypatch.undo()  # the disk has room again
    monkeypatch.setattr(recorder_module, "write_mp4", fake_write)
    later = recorder.save(tmp_path, "mp4")
    assert recorder.wait(SAVE_WAIT_S)
    assert recorder.poll().message == f"Saved {later}"
    assert later.read_bytes() == b"film" and earlier.read_bytes() == b"film"


def test_a_name_taken_while_writing_is_never_replaced(tmp_path, monkeypatch):
    def write_while_another_program_takes_the_name(path, images, fps):
        (tmp_path / path.name.replace(".part", "")[1:]).write_bytes(b"not ours")
        path.write_bytes(b"film")

    monkeypatch.setattr(recorder_module, "write_mp4", write_while_another_program_takes_the_name)
    clock = FakeClock()
    recorder = Recorder(clock=clock)
    feed(recorder, clock, 10)
    planned = recorder.save(tmp_path, "mp4")
    assert recorder.wait(SAVE_WAIT_S)
    result = recorder.poll()
    assert result.error is None and result.path != planned and result.path.read_bytes() == b"film"
    assert planned.read_bytes() == b"not ours"


def test_the_app_keeps_running_and_says_so_when_a_recording_fails(data_folder, monkeypatch):
    monkeypatch.setattr(recorder_module, "write_mp4", full_disk)
    monkeypatch.setattr(recorder_module, "_write_gif", full_disk)
    toasts = []
    window = App(size=(160, 120))
    window.recorder = Recorder(seconds=2, clock=FakeClock())
    monkeypatch.setattr(window, "notify", lambda message: toasts.append(message))
    window.open()
    try:
        window.scene = Blinker()
        for _ in range(20):
            window.step(DISPLAY_DT)
            window.recorder.clock.now += DISPLAY_DT
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F9, mod=0, unicode="", scancode=0))
        window.step(DISPLAY_DT)
        assert window.recorder.wait(SAVE_WAIT_S)
        for _ in range(3):  # the app hears of it next frame, and goes on drawing
            window.step(DISPLAY_DT)
        assert len(toasts) == 2 and "No space left on device" in toasts[1] and "not saved" in toasts[1]
        assert window.scene.t == 24, "every frame was drawn"
        assert list((data_folder / "recordings").iterdir()) == []
    finally:
        window.close()


class Blinker:
    """A tiny scene whose colour changes every frame."""

    def __init__(self) -> None:
        self.t = 0

    def handle_event(self, event: pygame.event.Event) -> None:
        pass

    def update(self, dt: float) -> None:
        self.t += 1

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(((self.t * 9) % 256, 80, 160))


@pytest.mark.parametrize("kiosk", [False, True])
def test_f9_in_the_app_saves_the_last_seconds_to_recordings(data_folder, monkeypatch, kiosk):
    monkeypatch.setenv("SDL_GRAB_KEYBOARD", "0")  # a kiosk app sets it; this puts it back afterwards
    toasts = []
    window = App(size=(320, 240), kiosk=kiosk)
    window.recorder = Recorder(seconds=2, clock=FakeClock())
    monkeypatch.setattr(window, "notify", lambda message: toasts.append(message))
    window.open()
    try:
        window.scene = Blinker()
        for _ in range(40):
            window.step(DISPLAY_DT)
            window.recorder.clock.now += DISPLAY_DT
        assert window.recorder.frames == 10
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F9, mod=0, unicode="", scancode=0))
        window.step(DISPLAY_DT)
        assert len(toasts) == 1 and toasts[0].startswith("Saving the last 2 s to ")
        assert window.recorder.wait(SAVE_WAIT_S)
        window.step(DISPLAY_DT)  # the app hears of the finished save on its own thread, next frame
        saved = list((data_folder / "recordings").iterdir())
        assert len(saved) == 1 and saved[0].name.startswith("q-arcade-")
        assert str(saved[0]) in toasts[0]
        assert toasts[1:] == [f"Saved {saved[0]}"]
        assert abs(len(read_frames(saved[0])) - 10) <= 1
    finally:
        window.close()


def test_an_app_without_recording_says_so_on_f9():
    window = App(size=(160, 120), record=False)
    assert window.recorder is None
    toasts = []
    window.notify = toasts.append
    window.open()
    try:
        window.scene = Blinker()
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F9, mod=0, unicode="", scancode=0))
        window.step(DISPLAY_DT)
        assert toasts == ["Recording is off"]
    finally:
        window.close()
