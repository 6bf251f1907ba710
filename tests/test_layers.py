"""The package's layering, read from the import statements of every module (no module is imported to check)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import vid2vid
from vid2vid import tasks

PACKAGE = Path(vid2vid.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every module name imported by ``path`` (absolute; relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-node.level]
                module = ".".join(parts + ((module,) if module else ()))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _modules(under: str = "") -> list[Path]:
    return sorted((PACKAGE / under).rglob("*.py"))


def test_inference_never_imports_training():
    offenders = {str(p.relative_to(PACKAGE)): sorted(n for n in _imports(p) if n.startswith("vid2vid.training"))
                 for p in _modules("inference")}
    assert not {k: v for k, v in offenders.items() if v}


def test_only_the_cli_parses_arguments():
    users = [str(p.relative_to(PACKAGE)) for p in _modules() if "argparse" in {n.split(".")[0] for n in _imports(p)}]
    assert users and all(u.startswith("cli/") for u in users), users


def test_models_know_no_task_names():
    """Task names live in the registry; the layers below the CLI ask it instead of spelling them."""
    names = [n for t in tasks.tasks() for n in t.names]
    quoted = re.compile(r"""["'](%s)["']""" % "|".join(map(re.escape, names)))
    found = {}
    for layer in ("models", "training", "inference", "evaluation"):
        for p in _modules(layer):
            hits = [line.strip() for line in p.read_text(encoding="utf-8").splitlines() if quoted.search(line)]
            if hits:
                found[str(p.relative_to(PACKAGE))] = hits
    assert not found, found


def test_no_module_is_named_like_its_package():
    assert not [p for p in _modules() if p.stem == "vid2vid"]
