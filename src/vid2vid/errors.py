"""The one exception type for problems the user can fix (bad input, bad config, bad paths).

The CLI prints its message as one line and exits non-zero; anything else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """A problem with the user's input. The message names the file or value and says what to do."""


class Stopped(Exception):
    """A long job stopped by SIGINT / SIGTERM at a safe point, its work so far saved. The message says what was
    kept and how to continue; the CLI prints it and exits 128 + the signal number (130 / 143)."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.exit_code = 128 + signum
