"""The real-MicroPython harness works: right version, heap limits, our paths, the helpers' contracts."""

import importlib.util
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steadydose.profile import GABAPENTIN, HARD
from tests.mpy import (
    FIRMWARE,
    MPY_HELPERS,
    RAISED,
    mpy_call,
    mpy_exception_name,
    mpy_json,
    py_call,
    run_micropython,
)


def test_version_is_1_29():
    proc = run_micropython("import sys\nprint(sys.implementation.name, sys.implementation.version[:2])\n")
    assert proc.stdout.split() == ["micropython", "(1,", "29)"]


def test_micropypath_has_firmware_and_helpers():
    out = mpy_json("import sys, mpytest\nmpytest.emit(sys.path)\n", None)
    assert str(FIRMWARE) in out and str(MPY_HELPERS) in out and ".frozen" in out


def test_heapsize_64k():
    script = "import gc\ngc.collect()\nprint(gc.mem_free() + gc.mem_alloc())\n"
    total = int(run_micropython(script, heapsize="64K").stdout)
    assert 32 * 1024 < total <= 64 * 1024
    proc = run_micropython("b = bytearray(200000)\n", heapsize="64K", check=False)
    # This build prints uncaught tracebacks on stdout, not stderr.
    assert proc.returncode != 0 and "MemoryError" in proc.stdout + proc.stderr


def test_profile_in_micropython_matches_cpython():
    script = "from steadydose.profile import GABAPENTIN\nprint(GABAPENTIN.max_dose.classify(1201))\n"
    assert GABAPENTIN.max_dose.classify(1201) == HARD == 2
    assert int(run_micropython(script).stdout) == GABAPENTIN.max_dose.classify(1201)


def test_nonzero_exit_raises_with_stderr():
    with pytest.raises(AssertionError, match=r"(?s)status 1.*ZeroDivisionError"):
        run_micropython("print('before')\n1 // 0\n")


def test_timeout_raises():
    with pytest.raises(AssertionError, match="timed out"):
        run_micropython("while True:\n    pass\n", timeout=0.5)


def test_stdin_and_args():
    proc = run_micropython(
        "import sys\nprint(sys.stdin.read().upper(), sys.argv[1:])\n", stdin="abc", args=["x"]
    )
    assert proc.stdout.strip() == "ABC ['x']"


def test_mpytest_harness():
    ok = (
        "import mpytest\n"
        "mpytest.check(1 + 1 == 2, 'sum')\n"
        "mpytest.check_eq([1, 2], [1, 2], 'list')\n"
        "mpytest.check_raises(KeyError, {}.__getitem__, 'k')\n"
        "mpytest.summary()\n"
    )
    assert run_micropython(ok).stdout.splitlines()[-1] == "3 passed, 0 failed"
    bad = "import mpytest\nmpytest.check(True)\nmpytest.check_eq(1, 2, 'one is two')\nmpytest.summary()\n"
    with pytest.raises(AssertionError, match=r"(?s)FAIL: one is two: got 1, want 2.*1 passed, 1 failed"):
        run_micropython(bad)


def test_mpy_json_round_trip():
    payload = {"ints": [0, -1, 2**30, 2**62], "s": "fünf", "nested": {"a": [True, None]}}
    script = "import mpytest\nprint('noise first')\nmpytest.emit(mpytest.payload())\n"
    assert mpy_json(script, payload) == payload


def test_mpy_call_reports_exceptions_like_cpython():
    cases = [["[1, 2]"], ["{"], [5]]
    assert (
        mpy_call("json:loads", cases)
        == py_call(json.loads, cases)
        == [
            [1, 2],
            {RAISED: "ValueError"},  # CPython's JSONDecodeError is a ValueError, as MicroPython says
            {RAISED: "TypeError"},
        ]
    )


def test_exception_names():
    assert mpy_exception_name(json.JSONDecodeError("x", "", 0)) == "ValueError"
    assert mpy_exception_name(RecursionError()) == "RuntimeError"
    assert mpy_exception_name(ModuleNotFoundError()) == "ImportError"
    assert mpy_exception_name(KeyError()) == "KeyError"


@settings(max_examples=5)
@given(st.lists(st.integers(min_value=-(2**40), max_value=2**40), min_size=1, max_size=300))
def test_differential_classify_batch(values):
    # The pattern for differential tests: one micropython process per Hypothesis example, a batch per example.
    cases = [[v] for v in values]
    target = "steadydose.profile:GABAPENTIN.max_daily.classify"
    assert mpy_call(target, cases) == py_call(GABAPENTIN.max_daily.classify, cases)


def test_cpython_does_not_see_tests_micropython_as_a_module():
    # tests/micropython/ is for MicroPython's path only; in CPython `import micropython` must fail, or
    # device code's `try: import micropython except ImportError:` fallbacks would break under pytest.
    assert importlib.util.find_spec("micropython") is None
    assert importlib.util.find_spec("mpytest") is None
