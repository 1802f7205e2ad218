"""Static gates over the device code (firmware/ and boards/).

- every .py compiles with mpy-cross 1.29 for the RP2040 (catches `match`, positional-only `/`, `{**d}`...);
- no device module imports what MicroPython on the Pico lacks (AST walk, guards understood);
- the pure core imports no hardware, I/O or host-side module;
- every core module imports cleanly inside the real micropython binary;
- `ruff check .` is clean.
Files are collected when the tests are collected, so new modules are picked up without editing this file;
a gate with no files yet reports a skip, not a failure.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

from tests.mpy import FIRMWARE, REPO, mpy_cross_binary, run_micropython, venv_tool

DEVICE_DIRS = (REPO / "firmware", REPO / "boards")
PACKAGE = FIRMWARE / "steadydose"
# The shells: they need `machine` and real buses, so they are not imported in the unix port here
# (their own tests put a `machine` shim on the path) and the purity rule does not apply to them.
SHELL = ("drivers", "app", "storage")

# Modules MicroPython 1.29 on the Pico does not have (some exist in micropython-lib, but the device
# code must not depend on them), plus host-side packages device code must never import.
FORBIDDEN = frozenset(
    """
    typing typing_extensions dataclasses enum abc logging datetime zoneinfo pathlib __future__
    functools itertools contextlib textwrap decimal fractions inspect pydantic numpy
    subprocess threading multiprocessing statistics unittest pickle tempfile shutil glob string secrets
    sim host_tools pytest hypothesis click rich cryptography serial tzdata matplotlib PIL
    """.split()
)
FORBIDDEN_DOTTED = frozenset({"os.path"})  # MicroPython's os has no os.path

# The pure core (DESIGN.md): no hardware, no I/O, no event loop. Time is passed in, never read.
CORE_FORBIDDEN = frozenset(
    "machine rp2 framebuf network socket bluetooth neopixel asyncio uasyncio os vfs select".split()
)


def _py_files(*roots: Path) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        if root.is_dir():
            files += [p for p in root.rglob("*.py") if "__pycache__" not in p.parts]
    return sorted(files)


def _rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def _is_shell(path: Path) -> bool:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] in SHELL or rel.parts[0] in tuple(s + ".py" for s in SHELL)


def _module_name(path: Path) -> str:
    rel = path.relative_to(FIRMWARE).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


DEVICE_FILES = _py_files(*DEVICE_DIRS)
CORE_FILES = [p for p in _py_files(PACKAGE) if not _is_shell(p)]


# --- the import walker ---------------------------------------------------------------------------


def _is_type_checking(test: ast.expr) -> bool:
    # `if TYPE_CHECKING:`, `if typing.TYPE_CHECKING:`, `if False:`
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    if isinstance(test, ast.Attribute):
        return test.attr == "TYPE_CHECKING"
    return isinstance(test, ast.Constant) and test.value is False


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    # Only ImportError: MicroPython has no ModuleNotFoundError (naming it there is a NameError).
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(k, ast.Name) and k.id == "ImportError" for k in kinds)


def iter_imports(tree: ast.AST):
    """Yield (lineno, dotted module name, guard) for every absolute import; guard is None,
    "type_checking" (inside `if TYPE_CHECKING:`) or "import_error" (in a try that catches ImportError)."""

    def walk(node: ast.AST, guard: str | None):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, guard
            return
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                yield node.lineno, node.module, guard
                for alias in node.names:  # `from os import path` is os.path
                    dotted = node.module + "." + alias.name
                    if dotted in FORBIDDEN_DOTTED:
                        yield node.lineno, dotted, guard
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from walk(child, "type_checking")
            for child in node.orelse:
                yield from walk(child, guard)
            return
        if isinstance(node, ast.Try) and any(_catches_import_error(h) for h in node.handlers):
            for child in node.body:
                yield from walk(child, guard or "import_error")
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                yield from walk(child, guard)
            return
        for child in ast.iter_child_nodes(node):
            yield from walk(child, guard)

    yield from walk(tree, None)


def _is_forbidden(module: str, names: frozenset[str], dotted: frozenset[str] = frozenset()) -> bool:
    return module.split(".")[0] in names or module in dotted


def forbidden_imports(source: str, filename: str = "<src>") -> list[tuple[int, str]]:
    """Unguarded imports of modules the Pico lacks: [(lineno, module)]."""
    tree = ast.parse(source, filename)
    return [
        (line, mod)
        for line, mod, guard in iter_imports(tree)
        if guard is None and _is_forbidden(mod, FORBIDDEN, FORBIDDEN_DOTTED)
    ]


def impure_imports(source: str, filename: str = "<src>") -> list[tuple[int, str]]:
    """Core modules: hardware/I-O imports, even inside try/except ImportError: [(lineno, module)]."""
    tree = ast.parse(source, filename)
    return [
        (line, mod)
        for line, mod, guard in iter_imports(tree)
        if guard != "type_checking" and _is_forbidden(mod, CORE_FORBIDDEN)
    ]


# --- the gates -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", DEVICE_FILES, ids=_rel)
def test_mpy_cross_compiles(path, tmp_path):
    # -march=armv6m: the RP2040's Cortex-M0+ (needed for @micropython.native/viper); 31-bit small ints.
    out = tmp_path / (path.stem + ".mpy")
    proc = subprocess.run(
        [mpy_cross_binary(), "-march=armv6m", "-msmall-int-bits=31", "-o", str(out), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, f"mpy-cross rejects {_rel(path)}:\n{proc.stderr}{proc.stdout}"
    assert out.stat().st_size > 0


def test_no_forbidden_imports():
    problems = []
    for path in DEVICE_FILES:
        for line, mod in forbidden_imports(path.read_text(encoding="utf-8"), str(path)):
            problems.append(f"{_rel(path)}:{line}: imports {mod}, which MicroPython on the Pico lacks")
    assert not problems, (
        "Device code imports modules MicroPython lacks (guard them with `if TYPE_CHECKING:` or "
        "try/except ImportError, or do without):\n" + "\n".join(problems)
    )


def test_core_is_pure():
    problems = []
    for path in CORE_FILES:
        for line, mod in impure_imports(path.read_text(encoding="utf-8"), str(path)):
            problems.append(f"{_rel(path)}:{line}: imports {mod}")
    assert not problems, (
        "The core must not touch hardware, I/O or the event loop (DESIGN.md: pure core, thin shells); "
        "move this to drivers/ or app, or pass it in:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("path", CORE_FILES, ids=_rel)
def test_core_module_imports_in_micropython(path):
    name = _module_name(path)
    proc = run_micropython(f"import {name}\nprint('imported', {name!r})\n")
    assert f"imported {name}" in proc.stdout


def test_ruff_clean():
    proc = subprocess.run(
        [venv_tool("ruff", "STEADYDOSE_RUFF"), "check", "--no-fix", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"`ruff check .` reports problems:\n{proc.stdout}{proc.stderr}"


# --- the gates have teeth ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "def f(a, /, b):\n    return a\n",
        "match x:\n    case 1:\n        pass\n",
        "d = {**{}}\n",
    ],
    ids=["positional-only", "match", "dict-unpack"],
)
def test_mpy_cross_rejects_cpython_only_syntax(source, tmp_path):
    src = tmp_path / "bad.py"
    src.write_text(source)
    proc = subprocess.run(
        [mpy_cross_binary(), "-march=armv6m", "-o", str(tmp_path / "bad.mpy"), str(src)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0


_WALKER_CASES = {
    "typing": ("import typing\n", [(1, "typing")]),
    "from-dataclasses": ("from dataclasses import dataclass\n", [(1, "dataclasses")]),
    "os.path": ("import os.path\n", [(1, "os.path")]),
    "from-os-import-path": ("from os import path\n", [(1, "os.path")]),
    "TYPE_CHECKING-unguarded": ("from typing import TYPE_CHECKING\n", [(1, "typing")]),
    "in-function": ("def f():\n    import functools\n", [(2, "functools")]),
    "in-class": ("class C:\n    import enum\n", [(2, "enum")]),
    "one-of-several": ("import json, logging\n", [(1, "logging")]),
    "submodule": ("import logging.handlers\n", [(1, "logging.handlers")]),
    "future": ("from __future__ import annotations\n", [(1, "__future__")]),
    "host-side": ("import host_tools.cli\n", [(1, "host_tools.cli")]),
    # guarded: fine
    "try-TYPE_CHECKING": (
        "try:\n    from typing import TYPE_CHECKING\nexcept ImportError:\n    TYPE_CHECKING = False\n",
        [],
    ),
    "if-TYPE_CHECKING": ("if TYPE_CHECKING:\n    from typing import List\n", []),
    "if-typing.TYPE_CHECKING": ("import typing\nif typing.TYPE_CHECKING:\n    import abc\n", [(1, "typing")]),
    "if-False": ("if False:\n    import typing\n", []),
    "except-tuple": (
        "try:\n    import logging\nexcept (ImportError, AttributeError):\n    logging = None\n",
        [],
    ),
    # not guards
    "ModuleNotFoundError": (
        "try:\n    import logging\nexcept ModuleNotFoundError:\n    pass\n",
        [(2, "logging")],
    ),
    "wrong-exception": ("try:\n    import logging\nexcept ValueError:\n    pass\n", [(2, "logging")]),
    "in-handler": ("try:\n    pass\nexcept ImportError:\n    import typing\n", [(4, "typing")]),
    "in-else": ("if TYPE_CHECKING:\n    pass\nelse:\n    import typing\n", [(4, "typing")]),
    # allowed modules and relative imports
    "allowed": ("import re, json, time, struct, collections, gc, micropython\nfrom . import profile\n", []),
    "relative": ("from .typing import x\n", []),
}


@pytest.mark.parametrize(("source", "expected"), list(_WALKER_CASES.values()), ids=list(_WALKER_CASES))
def test_forbidden_import_walker(source, expected):
    assert forbidden_imports(source) == expected


def test_purity_walker():
    assert impure_imports("import machine\nfrom steadydose import profile\n") == [(1, "machine")]
    assert impure_imports("try:\n    import os\nexcept ImportError:\n    os = None\n") == [(2, "os")]
    assert impure_imports("if TYPE_CHECKING:\n    import machine\n") == []
    assert impure_imports("import time, json\n") == []
