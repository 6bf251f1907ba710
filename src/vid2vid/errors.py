"""The one exception type for problems the user can fix (bad input, bad config, bad paths).

The CLI prints its message as one line and exits non-zero; anything else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """A problem with the user's input. The message names the file or value and says what to do."""
