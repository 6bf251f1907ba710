"""Files that appear whole or not at all: written to a temporary name in the same folder, then renamed into place.

A file already at the path stays untouched until the new one is complete, and an interrupted write leaves only a
hidden temporary file next to it (never a truncated file under the real name). Every writer of the project goes
through `PendingFile` (files written over time: videos, memory-mapped arrays) or `atomic_path` (files written at
once); the temporary name holds the writer's process id and keeps the suffix, so libraries that pick the format from
it (OpenCV, matplotlib, PyAV, numpy) work unchanged.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, Iterator


class PendingFile:
    """``tmp``: where to write; ``commit()`` renames it to ``path`` (or another name next to it; a failed commit
    removes it), ``discard()`` removes it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # the process id keeps two processes writing one path (benchmark tasks run side by side all redraw the
        # shared report) from renaming each other's temporary file away
        self.tmp = self.path.with_name(f".{self.path.stem}.{os.getpid()}.tmp{self.path.suffix}")

    def commit(self, to: str | Path | None = None) -> Path:
        """Sync the temporary file and rename it into place (``to`` instead of ``path`` if given)."""
        target = Path(to) if to is not None else self.path
        try:
            with open(self.tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.chmod(self.tmp, 0o666 & ~_umask())  # as a plain open() would have made it (some writers use 0600)
            os.replace(self.tmp, target)
        except BaseException:
            self.discard()
            raise
        return target

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; when the block ends without error it is synced and renamed to
    ``path``, otherwise removed."""
    pending = PendingFile(path)
    try:
        yield pending.tmp
        pending.commit()
    finally:
        pending.discard()


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text_atomic(path: str | Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """``data`` as indented JSON with a final newline."""
    return write_text_atomic(path, json.dumps(data, indent=2) + "\n")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_image_atomic(path: str | Path, image, params: tuple[int, ...] = ()) -> Path:
    """An (H, W, 3) RGB or (H, W[, 1]) gray uint8 array as an image file (format from the suffix, via OpenCV)."""
    import cv2

    from vid2vid.errors import UserError

    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    elif image.ndim == 3:
        image = image[:, :, 0]
    with atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), image, list(params)):
            raise UserError(f"cannot write {path} (check that the folder is writable and the disk not full)")
    return Path(path)


def save_figure_atomic(fig, path: str | Path, dpi: int) -> Path:
    """A matplotlib figure as an image file (format from the suffix)."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi)
    return Path(path)


@contextlib.contextmanager
def folder_lock(folder: str | Path, what: str, enabled: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (its ``.lock`` file, holding this process's id) for the block, so two
    processes never write one run folder at once; a UserError names the holder's pid when another process has it
    (``what``: what this caller wanted the folder for). The operating system drops the lock when its process ends,
    so a killed process leaves no stale lock. A folder this call created is removed again if the block left nothing
    in it but the lock. Without ``fcntl`` (Windows) or with ``enabled`` False (ranks other than 0) the block runs
    unlocked."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        fcntl = None
    if not enabled or fcntl is None:
        yield
        return
    from vid2vid.errors import UserError

    folder = Path(folder)
    created = not folder.exists()
    path = folder / ".lock"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        f = open(path, "a+")
    except OSError as err:
        raise UserError(f"cannot use {folder} for {what}: {err.strerror or err} ({path}); choose a folder you can "
                        f"write to") from None
    with f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            raise UserError(f"cannot use {folder} for {what}: another process (pid {holder}) is using it; wait for it "
                            f"to end, stop it (a training run saves a checkpoint when stopped), or choose another "
                            f"folder") from None
        try:
            f.seek(0)
            f.truncate()
            f.write(str(os.getpid()))
            f.flush()
            yield
        finally:
            f.truncate(0)
            if created and [p.name for p in folder.iterdir()] == [".lock"]:
                path.unlink()
                folder.rmdir()
            fcntl.flock(f, fcntl.LOCK_UN)
