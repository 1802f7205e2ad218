"""Flash wear of the durable state (steadydose.storage on littlefs), measured in the real MicroPython binary.

An adherent patient on a three-times-daily plan (refills every 9 days) for 60 days, the journal on littlefs
(vfs.VfsLfs2, progsize 256 and MicroPython's block_cycles 100, as the Pico mounts it) over a RAM block device
with the Pico's 4096-byte blocks that counts block erases (ioctl 6) and programs (writeblocks calls; bytes
shown as 256-byte flash pages). Then the ten-year arithmetic for the Pico's 2 MB flash, of which 1408 KiB
(352 blocks) is the filesystem (848 KiB, 212 blocks, on the Pico W).

Run: `./dev bench storage` (or `.venv/bin/python -m benchmarks storage`)."""

from __future__ import annotations

import json

from tests.mpy import run_micropython

DAYS = 60
YEARS = 10
ENDURANCE = 100_000  # erase cycles per block (RP2040 boards' QSPI NOR flash: W25Q16JV datasheet, min 100k)
BOARDS = [("Pico (1408 KiB filesystem)", 352), ("Pico W (848 KiB filesystem)", 212)]


def measure(blocks: int, days: int = DAYS) -> dict:
    proc = run_micropython(
        f"import flashsim, json\nprint(json.dumps(flashsim.wear({days}, {blocks})))\n", heapsize="64M", timeout=300
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
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
              f"({100 * worst / ENDURANCE:.2f} %), margin x{ENDURANCE / max(worst, 1):,.0f}")
        print()


if __name__ == "__main__":
    main()
