"""The last seconds of the window, kept small in memory and saved as a video on request.

:class:`Recorder` is offered every drawn frame and keeps one in four (15 a second at 60 fps),
scaled down to at most 640 pixels wide and zlib-compressed, in a ring with two hard bounds: a
frame count (``seconds * fps``) and a byte budget, so a booth that runs all day holds the same
memory at night as at noon. ``save(folder)`` copies the ring and writes an MP4 (H.264 through
imageio's bundled ffmpeg) or, without ffmpeg, a GIF, in a background thread; ``poll()`` hands the
outcome back to the UI thread, which alone shows notices.
"""

from __future__ import annotations

import collections
import contextlib
import math
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pygame

SECONDS = 30.0  # how much of the past a save holds
CAPTURE_FPS = 15  # frames kept per second: every 4th display frame at 60 fps
MAX_WIDTH_PX = 640  # kept frames are scaled down to at most this width
MAX_BYTES = 64 * 2**20  # compressed frames kept, at most; 30 s of arcade screens take 5-12 MiB
ZLIB_LEVEL = 1  # the fastest level: about 1 ms a frame, and arcade screens still shrink 30-70 times
MP4_QUALITY = 7  # imageio's 0-10 scale, which it turns into an x264 bit-rate setting
MP4_OPTIONS = ["-preset", "veryfast", "-movflags", "+faststart"]  # spare the CPU; playable while loading
GIF_SCALE = 2  # GIF frames are halved: Pillow holds a whole GIF in memory until it writes it
CLOSE_WAIT_S = 30.0  # how long closing waits for a save to finish, so quitting keeps the file
NAME_FORMAT = "q-arcade-%Y%m%d-%H%M%S"  # file names sort by the time they were saved
ERROR_CHARS = 120  # of a failure's text in the notice (ffmpeg's error runs to a screenful)


class RecordingRefusedError(Exception):
    """A save that cannot start now; the message is a notice for the person who asked."""


@dataclass(frozen=True)
class Frame:
    """One kept frame: its capture slot, its size and its compressed RGB bytes."""

    slot: int  # index of the 1/fps interval it was captured in, on the recorder's clock
    size: tuple[int, int]  # (width, height) in pixels, both even
    data: bytes  # zlib-compressed RGB, row by row


@dataclass(frozen=True)
class SaveResult:
    """How a background save ended: the file it wrote, or why it wrote none."""

    path: Path
    error: str | None = None

    @property
    def message(self) -> str:
        """A notice for the window."""
        if self.error is None:
            return f"Saved {self.path}"
        return f"Recording not saved: writing {self.path} failed ({self.error})"


def capture_size(window: tuple[int, int], max_width: int = MAX_WIDTH_PX) -> tuple[int, int]:
    """The size frames of a ``window``-sized surface are kept at: at most ``max_width`` wide, both even.

    x264 with yuv420p halves colour in both directions, so it needs even sides.
    """
    w, h = window
    assert w > 0 and h > 0, f"a window has a size, not {window}"
    width = max(2, min(max_width, w) // 2 * 2)
    height = max(2, round(h * width / w / 2) * 2)
    return width, height


def ffmpeg_available() -> bool:
    """Whether imageio-ffmpeg can find its ffmpeg binary (bundled in its wheel)."""
    try:
        import imageio_ffmpeg

        imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return False
    return True


class Recorder:
    """The last ``seconds`` of a window, at ``fps`` frames a second, in bounded memory.

    Args:
        seconds: how much of the past a save holds.
        fps: frames kept per second of the clock (and the saved file's frame rate).
        max_width: kept frames are scaled down to at most this width.
        max_bytes: the ring drops its oldest frames beyond this many compressed bytes.
        clock: seconds, monotonic; tests pass a fake one.
    """

    def __init__(
        self,
        seconds: float = SECONDS,
        fps: int = CAPTURE_FPS,
        max_width: int = MAX_WIDTH_PX,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ):
        assert seconds > 0 and fps > 0 and max_bytes > 0
        self.seconds = seconds
        self.fps = fps
        self.max_width = max_width
        self.max_bytes = max_bytes
        self.clock = clock
        self.max_frames = math.ceil(seconds * fps)
        self._ring: collections.deque[Frame] = collections.deque(maxlen=self.max_frames)
        self._nbytes = 0  # compressed bytes in the ring
        self._last_slot: int | None = None
        self._thread: threading.Thread | None = None
        self._results: collections.deque[SaveResult] = collections.deque()  # from the thread to poll()

    @property
    def frames(self) -> int:
        """Frames in the ring now."""
        return len(self._ring)

    @property
    def nbytes(self) -> int:
        """Compressed bytes in the ring now (never more than ``max_bytes``)."""
        return self._nbytes

    @property
    def busy(self) -> bool:
        """Whether a save is still being written."""
        return self._thread is not None and self._thread.is_alive()

    def offer(self, surface: pygame.Surface) -> bool:
        """Keep ``surface`` if a 1/fps interval has begun since the last kept frame; say if it was kept."""
        slot = math.floor(self.clock() * self.fps)
        if self._last_slot is not None and slot <= self._last_slot:
            return False
        self._last_slot = slot
        size = capture_size(surface.get_size(), self.max_width)
        small = surface if surface.get_size() == size else pygame.transform.smoothscale(surface, size)
        data = zlib.compress(pygame.image.tobytes(small, "RGB"), ZLIB_LEVEL)
        self._push(Frame(slot, size, data))
        return True

    def _push(self, frame: Frame) -> None:
        if len(self._ring) == self.max_frames:
            self._nbytes -= len(self._ring[0].data)  # the deque drops it on append
        self._ring.append(frame)
        self._nbytes += len(frame.data)
        while self._nbytes > self.max_bytes and len(self._ring) > 1:
            self._nbytes -= len(self._ring.popleft().data)

    def clear(self) -> None:
        """Forget every kept frame."""
        self._ring.clear()
        self._nbytes = 0
        self._last_slot = None

    def save(self, folder: Path, fmt: str | None = None) -> Path:
        """Write the ring to ``folder`` in the background; return the file it will have.

        ``fmt`` is "mp4" or "gif"; by default MP4 where ffmpeg is found, GIF otherwise. The file
        appears whole or not at all. Raises RecordingRefusedError while a save is still being written,
        before any frame was kept, or when ``folder`` cannot be made.
        """
        if self.busy:
            raise RecordingRefusedError("Still saving the last recording: press again when it is done")
        if not self._ring:
            raise RecordingRefusedError("Nothing recorded yet")
        fmt = fmt or ("mp4" if ffmpeg_available() else "gif")
        assert fmt in ("mp4", "gif"), f"a recording is an mp4 or a gif, not {fmt!r}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise RecordingRefusedError(f"Cannot write to {folder}: {error.strerror or error}") from error
        path = _free_name(folder, time.strftime(NAME_FORMAT), f".{fmt}")
        frames = list(self._ring)  # bytes are immutable: the copy costs only the list
        self._thread = threading.Thread(
            target=self._write, args=(path, frames), name="recorder-save", daemon=True
        )
        self._thread.start()
        return path

    def _write(self, path: Path, frames: list[Frame]) -> None:
        """The writer thread: encode to a hidden partial file, then rename it whole into place.

        Any failure (a full disk, a folder made read-only, an encoder error) is handed to poll() as a
        result, never raised: the app keeps running, and files already saved are never touched.
        """
        partial = partial_path(path)
        try:
            images = timeline(frames, self.fps, self.seconds)
            if path.suffix == ".mp4":
                write_mp4(partial, images, self.fps)
            else:
                _write_gif(partial, images, self.fps)
            if path.exists():  # another program took the name since save(): never replace a file
                path = _free_name(path.parent, path.stem, path.suffix)
            os.replace(partial, path)
        except Exception as error:  # any failure is reported on screen, never raised in a thread
            with contextlib.suppress(OSError):  # a folder gone read-only keeps the hidden partial
                partial.unlink(missing_ok=True)
            self._results.append(SaveResult(path, describe_error(error)))
        else:
            self._results.append(SaveResult(path))

    def poll(self) -> SaveResult | None:
        """The outcome of a finished save, once each; None when there is none new."""
        return self._results.popleft() if self._results else None

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a save in progress; return whether none is still writing."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.busy

    def close(self) -> None:
        """Let a save in progress finish (up to CLOSE_WAIT_S) and free the ring."""
        self.wait(CLOSE_WAIT_S)
        self.clear()


def describe_error(error: Exception) -> str:
    """A failure in a few words: the system's wording for an OSError ("No space left on device"),
    else the exception's name and the first line of its text."""
    if isinstance(error, OSError):
        code = error.errno
        if code is None and len(error.args) == 1 and isinstance(error.args[0], int):
            code = error.args[0]  # OSError(errno.ENOSPC): Python files a lone number under args only
        text = (error.strerror or os.strerror(code)) if code is not None else str(error)
    else:
        text = f"{type(error).__name__}: {error}" if str(error) else ""
    lines = text.strip().splitlines() or [type(error).__name__]
    return lines[0] if len(lines[0]) <= ERROR_CHARS else lines[0][: ERROR_CHARS - 3] + "..."


def timeline(frames: Sequence[Frame], fps: int, seconds: float) -> Iterator[np.ndarray]:
    """The last ``seconds`` of ``frames`` as (height, width, 3) uint8 images at ``fps``.

    A frame is repeated for each 1/fps interval it stood on screen, so a slow stretch of the app
    plays at its real speed; every image has the newest frame's size.
    """
    if not frames:
        return
    first_slot = frames[-1].slot - math.ceil(seconds * fps) + 1
    kept = [f for f in frames if f.slot >= first_slot] or [frames[-1]]
    width, height = kept[-1].size
    for frame, after in zip(kept, [*kept[1:], None], strict=True):
        image = _decode(frame)
        if frame.size != (width, height):  # the window was resized or went fullscreen
            rows = np.arange(height) * frame.size[1] // height
            cols = np.arange(width) * frame.size[0] // width
            image = image[rows][:, cols]
        for _ in range(1 if after is None else after.slot - frame.slot):
            yield image


def _decode(frame: Frame) -> np.ndarray:
    width, height = frame.size
    pixels = np.frombuffer(zlib.decompress(frame.data), dtype=np.uint8)
    assert pixels.size == width * height * 3, "a kept frame holds width * height RGB pixels"
    return pixels.reshape(height, width, 3)


def write_mp4(path: Path, images: Iterable[np.ndarray], fps: int) -> None:
    """Encode ``images`` ((height, width, 3) uint8, both sides even) as an H.264 MP4 at ``fps``.

    Raises what imageio or ffmpeg raise (OSError, RuntimeError); a partial file may be left at ``path``.
    """
    import imageio.v2 as iio  # here, not at the top: imports stay cheap (docs/ARCHITECTURE.md)

    writer = iio.get_writer(
        path,
        format="FFMPEG",
        mode="I",
        fps=fps,
        codec="libx264",
        quality=MP4_QUALITY,
        pixelformat="yuv420p",
        macro_block_size=2,  # sides are already even (capture_size): imageio must not resize
        ffmpeg_log_level="error",
        output_params=MP4_OPTIONS,
    )
    try:
        for image in images:
            writer.append_data(image)
    finally:
        writer.close()


def _write_gif(path: Path, images: Iterator[np.ndarray], fps: int) -> None:
    import imageio.v3 as iio

    with iio.imopen(path, "w", extension=".gif", plugin="pillow") as file:
        for image in images:
            # bits=8 makes each frame a 1-byte-per-pixel palette image while Pillow holds them all
            file.write(image[::GIF_SCALE, ::GIF_SCALE], is_batch=False, duration=1000 / fps, loop=0, bits=8)


def partial_path(path: Path) -> Path:
    """The hidden file a video is written to before it is renamed to ``path``: in the same folder, so
    that os.replace is atomic, and with the same suffix, which ffmpeg reads as the container."""
    return path.with_name(f".{path.stem}.part{path.suffix}")


def _free_name(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/stem+suffix``, or with -2, -3... added when two saves fall in the same second."""
    path, n = folder / f"{stem}{suffix}", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}{suffix}"
    return path
