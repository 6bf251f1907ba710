"""Streaming video and image-folder I/O with PyAV (ships its own ffmpeg): frames one at a time, constant memory.

``open_frames(path)`` reads an mp4 (or any ffmpeg-readable video) or a folder of images; ``VideoWriter`` writes H.264
mp4 at a given frame rate and can copy the audio track of a source video.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import cv2
import numpy as np

from vid2vid.errors import UserError
from vid2vid.files import PendingFile

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
logging.getLogger("libav").setLevel(logging.ERROR)


def read_image(path: str | Path) -> np.ndarray:
    """An image file as (H, W, 3) uint8 RGB; UserError naming the file if it is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"image not found: {path}")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise UserError(f"cannot read {path} as an image (corrupt or unsupported format; use PNG or JPEG)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


class FrameSource:
    """Frames of a video file or an image folder, decoded lazily. ``fps`` is the source frame rate (images: 25)."""

    def __init__(self, path: str | Path, folder_fps: float = 25.0) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise UserError(f"input not found: {self.path}")
        self.container = None
        if self.path.is_dir():
            self.files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not self.files:
                raise UserError(f"folder {self.path} holds no images ({', '.join(IMAGE_SUFFIXES)})")
            self.fps = Fraction(folder_fps).limit_denominator(1001)
            first = read_image(self.files[0])
            self.count = len(self.files)
            self.has_audio = False
        else:
            try:
                self.container = av.open(str(self.path))
            except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as err:
                raise UserError(f"{self.path} is not a readable video ({err.__class__.__name__}); give an mp4 file "
                                "or a folder of images") from None
            if not self.container.streams.video:
                self.container.close()
                raise UserError(f"{self.path} contains no video frames (no video stream)")
            stream = self.container.streams.video[0]
            stream.thread_type = "AUTO"
            rate = stream.average_rate or stream.guessed_rate or Fraction(25)
            self.fps = Fraction(rate)
            self.count = int(stream.frames or 0)  # 0: unknown until decoded
            self.has_audio = bool(self.container.streams.audio)
            self._frames = self._decode()
            first = next(self._frames, None)
            if first is None:
                self.container.close()
                raise UserError(f"{self.path} contains no video frames")
        self.first = first
        self.height, self.width = first.shape[:2]

    def _decode(self) -> Iterator[np.ndarray]:
        try:
            for frame in self.container.decode(video=0):
                yield frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as err:
            raise UserError(f"{self.path}: decoding failed ({err}); the file may be truncated") from None

    def __iter__(self) -> Iterator[np.ndarray]:
        """Every frame, (H, W, 3) uint8 RGB; frames of a folder must all have the first one's size."""
        if self.container is None:
            yield self.first
            for path in self.files[1:]:
                image = read_image(path)
                if image.shape != self.first.shape:
                    raise UserError(f"{path} is {image.shape[1]}x{image.shape[0]}, but {self.files[0].name} is "
                                    f"{self.width}x{self.height}; all frames of a folder must have one size")
                yield image
            return
        yield self.first
        yield from self._frames
        self.close()

    def close(self) -> None:
        if self.container is not None:
            self.container.close()

    def __enter__(self) -> "FrameSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class VideoWriter:
    """Writes RGB frames to an H.264 mp4 at ``fps``, optionally copying the audio track of ``audio_from``.

    The file is written under a temporary name next to ``path`` and renamed into place by ``close()``: a file already
    at ``path`` is untouched until then, and a run killed mid-way leaves no truncated file there. ``abort()`` (or an
    exception inside ``with``) removes it; ``close(partial_to=...)`` finishes a stopped run's frames as a playable
    file elsewhere (audio cut to match). ``lossless``: RGB H.264 at qp 0 (libx264rgb), bit-exact frames."""

    def __init__(self, path: str | Path, fps: Fraction | float, width: int, height: int,
                 audio_from: str | Path | None = None, crf: int = 18, lossless: bool = False) -> None:
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise UserError(f"output folder {self.path.parent} does not exist; create it or choose another --out")
        self.width, self.height = width + width % 2, height + height % 2  # yuv420p needs even sizes
        self.pending = PendingFile(self.path)
        self.container = av.open(str(self.pending.tmp), mode="w")
        self.rate = Fraction(fps).limit_denominator(100000)
        self.stream = self.container.add_stream("libx264rgb" if lossless else "libx264", rate=self.rate)
        self.stream.width, self.stream.height = self.width, self.height
        self.stream.pix_fmt = "rgb24" if lossless else "yuv420p"
        self.stream.options = {"qp": "0"} if lossless else {"crf": str(crf)}
        self.audio_source = self.audio_in = self.audio_out = None
        if audio_from is not None:
            src = av.open(str(audio_from))
            if src.streams.audio:
                self.audio_source, self.audio_in = src, src.streams.audio[0]
                self.audio_out = self.container.add_stream_from_template(self.audio_in)
            else:
                src.close()
        self.frames = 0

    def write(self, rgb: np.ndarray) -> None:
        """Append one (H, W, 3) uint8 RGB frame (padded by one pixel if a side is odd)."""
        if rgb.shape[0] != self.height or rgb.shape[1] != self.width:
            rgb = np.pad(rgb, ((0, self.height - rgb.shape[0]), (0, self.width - rgb.shape[1]), (0, 0)), mode="edge")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self.frames
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        self.frames += 1

    def close(self, partial_to: str | Path | None = None) -> Path:
        """Flush the encoder, copy the audio packets (up to the last frame's time with ``partial_to``), finish the
        file and rename it to ``path`` (or ``partial_to``); returns where it went."""
        try:
            for packet in self.stream.encode():
                self.container.mux(packet)
            if self.audio_source is not None:
                self._copy_audio(self.frames / self.rate if partial_to is not None else None)
            self.container.close()
        except BaseException:
            self.abort()
            raise
        return self.pending.commit(partial_to)

    def _copy_audio(self, until: Fraction | None) -> None:
        for packet in self.audio_source.demux(self.audio_in):
            if packet.dts is None:
                continue
            if until is not None and packet.pts is not None and packet.pts * packet.time_base >= until:
                break
            packet.stream = self.audio_out
            self.container.mux(packet)
        self.audio_source.close()
        self.audio_source = None

    def abort(self) -> None:
        """Drop the file being written (a file already at ``path`` stays as it was)."""
        for thing in (self.container, self.audio_source):
            try:
                if thing is not None:
                    thing.close()
            except (av.error.FFmpegError, ValueError, OSError):
                pass
        self.audio_source = None
        self.pending.discard()

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def probe(path: str | Path) -> tuple[int, Fraction, bool]:
    """(frame count by decoding, frame rate, has audio) of a video file."""
    with FrameSource(path) as src:
        count = sum(1 for _ in src)
        return count, src.fps, src.has_audio
