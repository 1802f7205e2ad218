"""Heap the device code needs, measured in the real MicroPython binary (64-bit unix port: objects are about
twice their size on the Pico's 32-bit RP2040, so these figures are an upper bound for the device).

Prints the compiled size of each core module, the RAM each takes once imported, and the smallest
`-X heapsize` in which a month of dosing (controller, schedule, gate, alarms, a taper) completes."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from tests.mpy import FIRMWARE, MPY_HELPERS, micropython_binary, mpy_cross_binary

IMPORTS = """
import gc
gc.collect(); a = gc.mem_alloc()
for m in ('timebase', 'profile', 'taper', 'regimen', 'schedule', 'gate', 'alarm', 'journal', 'controller',
          'plan', 'screens'):
    __import__('steadydose.' + m)
    gc.collect(); b = gc.mem_alloc(); print(m, b - a); a = b
"""


def compile_firmware(out: Path) -> dict[str, int]:
    (out / "steadydose").mkdir()
    sizes = {}
    for src in sorted((FIRMWARE / "steadydose").glob("*.py")):
        dst = out / "steadydose" / (src.stem + ".mpy")
        subprocess.run([mpy_cross_binary(), "-march=armv6m", "-o", str(dst), str(src)], check=True)
        sizes[src.stem] = dst.stat().st_size
    return sizes


def run(path: Path, heap: str, script: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([micropython_binary(), "-X", f"heapsize={heap}", *script], capture_output=True,
                          text=True, env={"MICROPYPATH": f"{path}:{MPY_HELPERS}"}, timeout=120)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        sizes = compile_firmware(out)
        print("device code compiled with mpy-cross (-march=armv6m), bytes:")
        print("  " + ", ".join(f"{k} {v}" for k, v in sizes.items()) + f"; total {sum(sizes.values())}")
        imp = run(out, "4M", ["-c", IMPORTS])
        print("RAM taken by each module once imported (64-bit unix port), bytes:")
        print("  " + ", ".join(line.replace(" ", " ") for line in imp.stdout.split("\n") if line))
        month = smallest_heap(out, "heaprun.py")
        print(f"smallest heap for 30 days of dosing with a taper (controller + core): {month} KiB")
        core = smallest_heap(out, "gaterun.py")
        print(f"smallest heap for the decision core alone (schedule + gate + state) over 30 days: {core} KiB")


def smallest_heap(out: Path, script: str) -> int:
    """Bisect the smallest -X heapsize (KiB) in which the script's 30 days complete."""
    lo, hi = 16, 1024
    while lo < hi:
        mid = (lo + hi) // 2
        if " ok " in run(out, f"{mid}K", [str(MPY_HELPERS / script), "30"]).stdout:
            hi = mid
        else:
            lo = mid + 1
    return lo

if __name__ == "__main__":
    main()
