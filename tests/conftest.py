"""Shared test set-up: Hypothesis profiles and the real-MicroPython fixtures.

Hypothesis profile: HYPOTHESIS_PROFILE=default|ci|quick (default "default").
    default  200 examples, no deadline
    ci       as default, plus print_blob=True (a failure prints the blob to @reproduce_failure it)
    quick    25 examples, no deadline (fast local runs: HYPOTHESIS_PROFILE=quick ./dev test)
The too_slow health check is off everywhere (some properties run whole simulated days or a micropython
process per example). Tests that run MicroPython per example should set their own lower max_examples.

MicroPython helpers live in tests/mpy.py (`from tests.mpy import run_micropython, mpy_json, mpy_call,
py_call`); the same functions are offered here as fixtures for tests that prefer fixtures.
"""

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests import mpy

# tests/ itself must not be on CPython's path (it is when pytest runs as `python -m pytest` from inside
# tests/): its micropython/ directory would then import as a namespace package named `micropython` and
# break device code's `try: import micropython / except ImportError:` fallbacks.
_TESTS = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != _TESTS]

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("default", max_examples=200, **_COMMON)
settings.register_profile("ci", max_examples=200, derandomize=False, print_blob=True, **_COMMON)
settings.register_profile("quick", max_examples=25, **_COMMON)

_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
if _PROFILE not in ("default", "ci", "quick"):
    raise pytest.UsageError(f"HYPOTHESIS_PROFILE={_PROFILE!r}: use default, ci or quick")
settings.load_profile(_PROFILE)


def pytest_report_header(config):
    return f"hypothesis profile: {_PROFILE}"


@pytest.fixture(scope="session")
def micropython_bin():
    """Path of the micropython binary (fails clearly if `./dev setup` was not run)."""
    return mpy.micropython_binary()


@pytest.fixture(scope="session")
def run_micropython(micropython_bin):
    """tests.mpy.run_micropython(script, *, stdin=None, heapsize=None, timeout=120, ...)."""
    return mpy.run_micropython


@pytest.fixture(scope="session")
def mpy_json(micropython_bin):
    """tests.mpy.mpy_json(script, payload, *, heapsize="64M", ...) -> last stdout line as JSON."""
    return mpy.mpy_json


@pytest.fixture(scope="session")
def mpy_call(micropython_bin):
    """tests.mpy.mpy_call("module:attr", cases) -> results; compare with tests.mpy.py_call(func, cases)."""
    return mpy.mpy_call
