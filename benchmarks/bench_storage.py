"""Flash wear of the durable state (steadydose.storage on littlefs), measured in the real MicroPython binary.

An adherent patient on a three-times-daily plan (refills every 9 days) for a year, the journal on littlefs
(vfs.VfsLfs2, progsize 256 and MicroPython's block_cycles 100, as the Pico mounts it) over a RAM block device
with the Pico's 4096-byte blocks that counts block erases (ioctl 6) and programs (writeblocks calls; bytes
shown as 256-byte flash pages). Then the ten-year arithmetic for the Pico's 2 MB flash, of which 1408 KiB
(352 blocks) is the filesystem (848 KiB, 212 blocks, on the Pico W).

Run: `./dev bench storage` (or `.venv/bin/python -m benchmarks storage`)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from tests.mpy import FIRMWARE, MPY_HELPERS, micropython_binary, mpy_cross_binary, run_micropython

DAYS = 365
YEARS = 10
ENDURANCE = 100_000  # erase cycles per block (RP2040 boards' QSPI NOR flash: W25Q16JV datasheet, min 100k)
BOARDS = [("Pico (1408 KiB filesystem)", 352), ("Pico W (848 KiB filesystem)", 212)]


def measure(blocks: int, days: int = DAYS) -> dict:
    proc = run_micropython(
        f"import flashsim, json\nprint(json.dumps(flashsim.wear({days}, {blocks})))\n", heapsize="64M", timeout=300
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


BOOT = """
import sys, vfs, gc


class FileBlockDev:  # the flash image stays in its file, not in the heap
    def __init__(self, path):
        self.f = open(path, "r+b")
        self.f.seek(0, 2)
        self.n = self.f.tell() // 4096

    def readblocks(self, block, buf, off=0):
        self.f.seek(block * 4096 + off)
        self.f.readinto(buf)

    def writeblocks(self, block, buf, off=0):
        self.f.seek(block * 4096 + off)
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.n
        if op == 5:
            return 4096
        if op == 6:
            self.f.seek(arg * 4096)
            self.f.write(b"\\xff" * 4096)
        return 0


vfs.mount(vfs.VfsLfs2(FileBlockDev(sys.argv[1]), progsize=256), "/w")
from steadydose.controller import Controller
from steadydose.journal import MemoryJournal, State
from steadydose import storage
if sys.argv[2] == "storage":
    st, j, plans, faults = storage.recover("/w/data")
    c = Controller(st, j)
    c.power_on(st.last_t + 60, 0)
else:
    st = State(None)
    c = Controller(st, MemoryJournal())
gc.collect()
print("ok", gc.mem_alloc())
"""


def boot_heap(tmp: Path, image: Path, mode: str) -> tuple[int, int]:
    """Smallest -X heapsize (KiB, to 4 KiB) in which the boot completes, and the heap it holds after."""
    script = tmp / "boot.py"
    script.write_text(BOOT)
    lo, hi, held = 16, 1024, 0
    while hi - lo > 4:
        mid = (lo + hi) // 2
        work = tmp / "work.bin"
        work.write_bytes(image.read_bytes())
        proc = subprocess.run([micropython_binary(), "-X", f"heapsize={mid}K", str(script), str(work), mode],
                              capture_output=True, text=True, timeout=120,
                              env={"MICROPYPATH": f"{tmp / 'fw'}:{MPY_HELPERS}"})
        if proc.returncode == 0 and proc.stdout.startswith("ok"):
            hi, held = mid, int(proc.stdout.split()[1])
        else:
            lo = mid
    return hi, held


def heap_figures() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "fw" / "steadydose").mkdir(parents=True)
        for src in sorted((FIRMWARE / "steadydose").glob("*.py")):
            subprocess.run([mpy_cross_binary(), "-o", str(tmp / "fw" / "steadydose" / (src.stem + ".mpy")), str(src)],
                           check=True)
        image = tmp / "flash.bin"
        proc = run_micropython(f"import flashsim\nprint(flashsim.full_segment_image({str(image)!r}))\n",
                               heapsize="64M", timeout=300)
        seg = int(proc.stdout.split()[-1])
        base, base_held = boot_heap(tmp, image, "base")
        full, full_held = boot_heap(tmp, image, "storage")
        print(f"Boot heap (unix port, 64-bit objects: about twice the Pico's; compiled .mpy; the journal segment at "
              f"its longest, {seg} bytes):")
        print(f"  controller with an empty state, no storage: smallest heap {base} KiB, {base_held // 1024} KiB held")
        print(f"  recover() + the rebuilt state + power_on:   smallest heap {full} KiB, {full_held // 1024} KiB held "
              f"(+{full - base} KiB peak for reading a segment and rebuilding; fragmentation makes these vary by ~15 KiB)")


def main() -> None:
    heap_figures()
    print()
    for name, blocks in BOARDS:
        r = measure(blocks)
        assert not r["problems"], r["problems"]
        days, doses = r["days"], r["doses"]
        per_day_e = r["erases"] / days
        per_day_p = r["progs"] / days
        per_day_pages = r["prog_bytes"] / 256 / days
        ten_years = YEARS * 365.25
        total = per_day_e * ten_years
        mean_block = total / blocks
        worst_rate = r["max_block"] / days
        worst = worst_rate * ten_years
        print(f"{name}: {blocks} blocks of 4096 bytes, {days} days, {doses} doses, {r['records']} records, "
              f"{r['compactions']} compactions (segment {r['seg_bytes']} bytes)")
        print(f"  per day:          {per_day_e:6.2f} block erases, {per_day_p:6.1f} programs "
              f"({per_day_pages:6.1f} pages of 256 bytes), {r['records'] / days:5.1f} records")
        print(f"  per dose:         {per_day_e / 3:6.2f} erases, {per_day_p / 3:6.1f} programs "
              f"(everything a day writes / 3 doses)")
        print(f"  per TAKE itself:  {r['take_erases'] / doses:6.2f} erases, {r['take_progs'] / doses:6.1f} programs "
              f"({r['take_records'] / doses:.1f} records: dispensed, alarm cleared...)")
        print(f"  per record:       {r['erases'] / r['records']:6.2f} erases (littlefs copies the file's last block "
              "on each synced append)")
        print(f"  blocks erased at least once: {r['blocks_used']} of {blocks}; most-erased block: {r['max_block']} "
              f"in {days} days")
        print(f"  {YEARS} years: {per_day_e:.2f} x {ten_years:.0f} days = {total:,.0f} erases; spread over {blocks} "
              f"blocks = {mean_block:,.0f} cycles per block ({100 * mean_block / ENDURANCE:.2f} % of {ENDURANCE:,});")
        print(f"            the most-erased block at its measured rate: {worst:,.0f} cycles "
              f"({100 * worst / ENDURANCE:.2f} %), margin x{ENDURANCE / max(worst, 1):,.0f} (an upper bound: littlefs "
              "moves a metadata pair after 100 erases)")
        print()


if __name__ == "__main__":
    main()
