"""What every sub-command shares, so the command line speaks one vocabulary: task names from the task registry
(older names accepted with a note), ``--size H [W]``, ``-k/--num-examples``, ``--checkpoint``, ``--device`` and
``--quiet``/``--verbose`` (logging)."""

from __future__ import annotations

import argparse
import logging
import sys

from vid2vid import tasks
from vid2vid.devices import DEVICES
from vid2vid.errors import UserError

log = logging.getLogger("vid2vid")


def task_help() -> str:
    """One line per registered task: its name, what it turns into what, and the older name it also accepts."""
    return "; ".join(f"{t.name} ({t.title}; also '{t.dataset}')" for t in tasks.tasks())


def add_task_argument(parser: argparse.ArgumentParser, *flags: str, **kwargs) -> None:
    """A --task style option whose values are the registry's names (aliases accepted)."""
    kwargs.setdefault("choices", tasks.all_names())
    kwargs.setdefault("metavar", "{" + ",".join(tasks.names()) + "}")
    parser.add_argument(*flags, **kwargs)


def resolve_task(name: str) -> str:
    """The canonical task name for ``name``; an alias logs a one-line note."""
    canonical, note = tasks.canonical(name)
    if note:
        log.warning(f"note: {note}")
    return canonical


def add_size_argument(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--size", type=int, nargs="+", metavar=("H", "W"),
                        help=f"frame height and width in pixels; one number is the height, the width then follows the "
                             f"task's aspect (street: twice the height) (default {default})")


def resolve_size(values: list[int] | None, task: str) -> tuple[int, int] | None:
    """(height, width) from ``--size H [W]`` for ``task``; None when not given."""
    if not values:
        return None
    if len(values) > 2:
        raise UserError(f"--size takes a height and optionally a width, got {len(values)} numbers")
    return (values[0], values[1]) if len(values) == 2 else tasks.get(task).size(values[0])


def add_num_examples(parser: argparse.ArgumentParser, default: int, what: str = "example frames") -> None:
    parser.add_argument("-k", "--num-examples", type=int, default=default, metavar="K",
                        help=f"K, the number of {what} (default {default})")


def add_checkpoint_argument(parser: argparse.ArgumentParser, required: bool = True, help: str = "") -> None:
    parser.add_argument("--checkpoint", required=required,
                        help=help or "training checkpoint (.pt) or exported generator (.safetensors)")


def add_fill_depth_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fill-depth", type=int, default=0, metavar="D",
                        help="models that fill in from a second example (the few-shot pose and face models): compose "
                        "each frame from the D examples the attention ranks first, each filling what those before it "
                        "cannot show (0, the default: all of them, the best on held-out dancers; 2: as trained, "
                        "fewer flow passes per frame)")


def add_example_flow_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--example-flow", choices=("learned", "parts", "landmarks"),
                        help="few-shot pose and face models: where each example's flow and mask come from; learned "
                        "(the flow network), parts (computed from the pose maps' body-part channels, one affine map "
                        "per part; measured far better on held-out dancers, docs/learning.md) or landmarks (face "
                        "models: piecewise affine over the 68 face landmarks of the data where it covers the face, "
                        "the flow network elsewhere); default: the model's own setting")


def add_finetune_all_examples_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--finetune-all-examples", action="store_true",
                        help="while finetuning, give the model every example, the one it reconstructs included "
                        "(default with K >= 2: leave that one out, as training never shows the model its target; "
                        "measured better on held-out faces and dancers, docs/learning.md)")


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", choices=DEVICES, default="auto",
                        help="where to run: auto (CUDA, then Apple MPS, then the CPU; default), cpu, cuda or mps")


def add_verbosity(parser: argparse.ArgumentParser) -> None:
    """--quiet / --verbose on a (sub-)command that does not have them yet."""
    have = {a for action in parser._actions for a in action.option_strings}
    if "--quiet" not in have:
        parser.add_argument("--quiet", action="store_true", help="no progress bars; only warnings and errors")
    if "--verbose" not in have:
        parser.add_argument("--verbose", action="store_true", help="also debug messages")


class _Stderr(logging.StreamHandler):
    """A handler writing to whatever ``sys.stderr`` is at the time of each message (as print would)."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def setup_logging(quiet: bool = False, verbose: bool = False) -> None:
    """Messages of the library (logger "vid2vid") to stderr, one line each; --quiet keeps warnings and errors.
    A program that uses vid2vid as a library configures the "vid2vid" logger itself instead."""
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    if not any(isinstance(h, _Stderr) for h in log.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(level)
