"""Stop requests: SIGINT (Ctrl-C) and SIGTERM ask a long job to stop at its next safe point (between training steps,
between generated frames) instead of killing it in the middle of a write. A second Ctrl-C stops at once.

    with StopRequests("generation") as stop:
        for item in work:
            ...
            if stop.signal is not None:
                break
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

log = logging.getLogger("vid2vid")


class StopRequests:
    def __init__(self, what: str) -> None:
        self.what = what
        self.signal: int | None = None
        self._old: dict[int, Any] = {}

    def _on_signal(self, signum: int, _frame: Any) -> None:
        if self.signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # asked twice: stop now, without saving
        self.signal = signum
        log.warning(f"{signal.Signals(signum).name}: stopping the {self.what} at the next safe point "
                    "(Ctrl-C again stops at once, without saving)")

    def __enter__(self) -> "StopRequests":
        if threading.current_thread() is threading.main_thread():  # handlers can only be set there
            self._old = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc: Any) -> None:
        for s, handler in self._old.items():
            signal.signal(s, handler)
        self._old = {}
