"""What every sub-command shares: the task vocabulary (names from the task registry, aliases accepted with a note)."""

from __future__ import annotations

import argparse
import sys

from vid2vid import tasks


def task_help() -> str:
    """One line per registered task: its name, what it turns into what, and the older name it also accepts."""
    return "; ".join(f"{t.name} ({t.title}; also '{t.dataset}')" for t in tasks.tasks())


def add_task_argument(parser: argparse.ArgumentParser, *flags: str, **kwargs) -> None:
    """A --task style option whose values are the registry's names (aliases accepted)."""
    kwargs.setdefault("choices", tasks.all_names())
    kwargs.setdefault("metavar", "{" + ",".join(tasks.names()) + "}")
    parser.add_argument(*flags, **kwargs)


def resolve_task(name: str) -> str:
    """The canonical task name for ``name``; an alias prints a one-line note on stderr."""
    canonical, note = tasks.canonical(name)
    if note:
        print(f"note: {note}", file=sys.stderr)
    return canonical
