"""What every speed report shares: the CPU's name and writing JSON + Markdown."""

from __future__ import annotations

import platform
from pathlib import Path

from vid2vid.errors import UserError
from vid2vid.files import write_json_atomic, write_text_atomic



def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo, else what the platform module knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def write_report(out: str | Path, name: str, data: dict, markdown: str) -> list[Path]:
    """Write <out>/<name>.json and <out>/<name>.md (creating <out>); the two paths."""
    paths = [Path(out) / f"{name}.json", Path(out) / f"{name}.md"]
    try:
        Path(out).mkdir(parents=True, exist_ok=True)
        write_json_atomic(paths[0], data)
        write_text_atomic(paths[1], markdown)
    except OSError as err:
        raise UserError(f"cannot write the report to --out {out}: {err.strerror or err}; "
                        "choose a writable folder") from None
    return paths
