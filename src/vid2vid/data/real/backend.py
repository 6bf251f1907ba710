"""Import mediapipe with a clear error when it is missing, and keep its C++ start-up log lines off the terminal."""

from __future__ import annotations

import contextlib
import os
import sys
from types import ModuleType
from typing import Iterator

from vid2vid.errors import UserError

_INSTALL = ("pip install absl-py attrs flatbuffers 'protobuf==4.25.9' && pip install --no-deps mediapipe==0.10.21 "
            "(or pip install -e '.[pose]' then the mediapipe line)")


def mediapipe() -> ModuleType:
    """The ``mediapipe`` module; UserError with the install command if it cannot be imported."""
    try:
        with quiet_stderr():
            import mediapipe as mp  # noqa: PLC0415

            _ = mp.solutions  # mediapipe >= 0.10.30 dropped the solutions API and its bundled models
    except (ImportError, AttributeError) as err:
        raise UserError(f"real photos and videos need mediapipe 0.10.21 ({err}); install it with: {_INSTALL}") from None
    return mp


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 for the block (mediapipe's glog / TF Lite lines at graph start-up and first run;
    setting GLOG_minloglevel from Python comes too late). Python exceptions still propagate normally."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (e.g. some embedded interpreters)
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
