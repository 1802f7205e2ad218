"""Heap budgets in the real MicroPython binary, on the code as the Pico runs it (compiled with mpy-cross).

The unix port is 64-bit: every object is about twice its size on the RP2040, so a budget met here is met
on the Pico with room to spare. `./dev bench` prints the measured figures (benchmarks/bench_heap.py)."""

from __future__ import annotations

import subprocess

import pytest

from tests.mpy import FIRMWARE, MPY_HELPERS, micropython_binary, mpy_cross_binary


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    out = tmp_path_factory.mktemp("mpy")
    (out / "steadydose").mkdir()
    for src in (FIRMWARE / "steadydose").glob("*.py"):
        subprocess.run([mpy_cross_binary(), "-o", str(out / "steadydose" / (src.stem + ".mpy")), str(src)],
                       check=True)
    return out


def run(compiled, heap, script, *args):
    return subprocess.run([micropython_binary(), "-X", f"heapsize={heap}", str(MPY_HELPERS / script), *args],
                          capture_output=True, text=True, timeout=120,
                          env={"MICROPYPATH": f"{compiled}:{MPY_HELPERS}"})


def test_the_decision_core_decides_a_month_in_64k(compiled):
    res = run(compiled, "64K", "gaterun.py", "30")
    assert res.stdout.startswith("gaterun ok"), res.stdout + res.stderr
    given, refused = map(int, res.stdout.split()[2:4])
    # every dose of the month and nothing more: 7 days x 2, 23 days x 3, and day 31's 08:00 before noon
    assert given == 7 * 2 + 23 * 3 + 1 and refused > 0


def test_the_whole_controller_runs_a_month_with_a_taper_in_128k(compiled):
    res = run(compiled, "128K", "heaprun.py", "30")
    assert res.stdout.startswith("heaprun ok"), res.stdout + res.stderr


def test_heap_budgets_fail_loudly_when_too_small(compiled):
    """The budget tests can fail: the same month in a heap far too small dies with MemoryError."""
    res = run(compiled, "24K", "gaterun.py", "30")
    assert "MemoryError" in res.stdout + res.stderr
