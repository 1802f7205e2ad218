"""steadydose.storage inside the real MicroPython binary, on littlefs (vfs.VfsLfs2, progsize 256 as the Pico's
_boot.py mounts it) over a RAM block device with the Pico's geometry (4096-byte blocks).

- The power-cut sweep: the realistic sequence (storedrive.ACTIONS: plan load, a day of doses with alarms,
  a reboot, a refill, a new plan version, a stop request with its taper, compactions, a missed dose, a jam)
  runs once with every block write logged; then for EVERY write operation k the flash a cut at k leaves
  (and the flash a torn write at k leaves: half of it done) is mounted and booted, and checked: no
  durable record lost, records a prefix of what was written, the state exactly the one they make (so no
  dispensed slot lost and the plan the old one or the new one), every dispensed slot refused a second
  time, the device comes up homed and prompting, and the next boot reads back what this one wrote.
- The replay is a real cut: at every 4th k the sequence runs again with the power really cut there.
- Damaged files: bit flips, bursts and truncations of the stored files.
- No flash write while the carousel moves, with buttons pressed during every move.
"""

from __future__ import annotations

import json

from tests.mpy import run_micropython


def mpy(body: str, timeout: float = 170) -> dict:
    """Run `body` (it sets `out`) with mpytest; -> out, after checking no mpytest check failed."""
    script = "import mpytest\nout = None\n" + body + "\nmpytest.emit({'out': out, 'counts': mpytest.counts()})\n"
    proc = run_micropython(script, heapsize="64M", timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    res = json.loads(lines[-1])
    passed, failed = res["counts"]
    fails = "\n".join(line for line in proc.stdout.splitlines() if line.startswith("FAIL"))
    assert failed == 0, f"{failed} checks failed in MicroPython ({passed} passed):\n{fails[:8000]}"
    return res["out"]


# (seg_bytes, keep, idle_compact): compactions often, by the app between inputs / very often, by append
# itself at twice seg_bytes / the device's default (the explicit compaction of the sequence only)
CONFIGS = [(2048, 2, True), (1024, 1, False), (8192, 2, True)]


def test_power_cut_at_every_block_write_on_littlefs():
    out = mpy(
        "import flashsim\n"
        f"out = [flashsim.sweep(seg_bytes=s, keep=k, idle_compact=i) for s, k, i in {CONFIGS!r}]\n"
    )
    total = 0
    for (seg, keep, idle), r in zip(CONFIGS, out, strict=True):
        t = r["tally"]
        print(f"seg_bytes={seg} keep={keep} idle_compact={idle}: {r['cuts']} cut points over {r['ops']} block writes "
              f"({r['records']} records, {r['compactions']} compactions): {t}")
        assert t.get("failed", 0) == 0 and t["ok"] == r["cuts"] == 2 * r["ops"] + 1
        assert t["plan v1"] and t["plan v2"] and t["gate refusals"]
        total += r["cuts"]
    # the sweep covers cuts inside compactions and plan writes (a temp file left behind)
    assert out[0]["tally"]["stale temp files removed"] and out[0]["compactions"] >= 3
    assert total > 1000
    print(f"power-cut sweep: {total} cut points, all pass")


def test_a_replayed_cut_is_what_a_real_cut_leaves():
    out = mpy("import flashsim\nout = flashsim.validate_replay(every=4)\n")
    assert out["tally"].get("failed", 0) == 0 and out["live_cuts"] > 80


def test_damaged_files_on_littlefs():
    out = mpy(
        "import flashsim\n"
        "out = [flashsim.damage(300, 11), flashsim.damage(100, 12, multi=True)]\n"
    )
    single, multi = out
    print(f"damage, one file: {single}\ndamage, three hits: {multi}")
    assert single.get("failed", 0) == 0 and multi.get("failed", 0) == 0
    assert single["reported"] > 50 and single["storage faults logged"] == single["reported"]
    assert multi["multi"] == 100


BUSY = ["tick", "silence", "take", "refill", "request_stop", "set_clock_by", "confirm_clock"]
MOVING_SCRIPT = """
import flashsim, storedrive
dev = flashsim.FlashSim(64)
flashsim.mount(dev, "/busy", fresh=True)
d = storedrive.BusyDrive(storedrive.START, "/busy/data", %r, dev=dev, seg_bytes=2048)
d.remount = flashsim._remounter(dev, "/busy")
storedrive.run_sequence(d)
d.power_off()
st, j, plans, faults = storedrive.storage.recover("/busy/data", seg_bytes=2048)
out = {"moves": d.moves, "records": len(d.written), "problems": d.problems, "faults": faults,
       "loaded": [r["version"] for r in d.written if r["event"] == "plan_loaded"],
       "base": [st.base.plan_id, st.base.version] if st.base is not None else None}
"""


def test_no_flash_write_while_the_carousel_moves():
    """Records made while the motor turns (buttons pressed, time passing, the clock set during every move)
    wait in the controller and are written after motor_done / motor_failed, never during."""
    out = mpy(MOVING_SCRIPT % (BUSY,))
    assert out["moves"] >= 10 and out["records"] > 60
    assert out["problems"] == [] and out["faults"] == []


def test_no_plan_write_while_the_carousel_moves():
    """A plan loaded while the carousel turns is stored after the move (then its plan_loaded record)."""
    out = mpy(MOVING_SCRIPT % (["load_plan"],))
    assert out["problems"] == [] and out["faults"] == []
    assert out["loaded"] == [3] and out["base"] == ["cut-test", 3]  # loaded during the first (homing) move


def test_crc_fallback_and_snapshots_agree_with_cpython():
    from steadydose.journal import rebuild
    from steadydose.snapshot import state_to_obj
    from tests.test_storage import drive, sd

    out = mpy(
        "import binascii, drive, storedrive, json\n"
        "from steadydose import storage\n"
        "from steadydose.journal import rebuild\n"
        "from steadydose.snapshot import state_to_obj, state_from_obj\n"
        "data = bytes(range(256)) * 3\n"
        "mpytest.check_eq(storage.crc32_py(data), binascii.crc32(data), 'crc32 fallback')\n"
        "mpytest.check_eq(storage.crc32_py(data[9:], storage.crc32_py(data[:9])), binascii.crc32(data), 'chained')\n"
        "acts = [a for a in storedrive.ACTIONS if a[1] != 'compact']\n"
        "d = drive.run(storedrive.PLAN_V1, storedrive.START, storedrive.UNTIL, acts)\n"
        "recs = d.journal.records()\n"
        "out = []\n"
        "for m in range(len(recs) + 1):\n"
        "    st = rebuild(recs[:m], d.plans)\n"
        "    obj = json.loads(json.dumps(state_to_obj(st)))\n"
        "    back = state_to_obj(state_from_obj(obj, d.plans))\n"
        "    mpytest.check(json.loads(json.dumps(back)) == obj, 'snapshot round trip after %d records' % m)\n"
        "    out.append(obj)\n"
    )
    acts = [a for a in sd.ACTIONS if a[1] != "compact"]
    d = drive.run(sd.PLAN_V1, sd.START, sd.UNTIL, acts)
    recs = d.journal.records()
    want = [json.loads(json.dumps(state_to_obj(rebuild(recs[:m], d.plans)))) for m in range(len(recs) + 1)]
    assert out == want


def test_mount_formats_only_a_flash_littlefs_cannot_mount():
    """storage.mount, as the Pico's _boot.py: a blank (or garbage) flash is formatted and says so (the app then
    reports the state lost); a good one is mounted as it is, its files kept."""
    out = mpy(
        "import flashsim, vfs, os\n"
        "from steadydose import storage\n"
        "dev = flashsim.FlashSim(64)\n"
        "first = storage.mount(dev, '/m')\n"
        "st, j, p, faults = storage.recover('/m/data')\n"
        "fresh = j.fresh\n"
        "j.append({'t': 68274000, 'e': 0, 'event': 'power_on'})\n"
        "j.close()\n"
        "vfs.umount('/m')\n"
        "again = storage.mount(flashsim.FlashSim(data=dev.data), '/m')\n"
        "st, j, p, faults = storage.recover('/m/data')\n"
        "kept = (j.seq, j.fresh, st.boots, faults)\n"
        "j.close()\n"
        "vfs.umount('/m')\n"
        "junk = flashsim.FlashSim(data=bytes(range(256)) * 1024)\n"
        "wiped = storage.mount(junk, '/m')\n"
        "vfs.umount('/m')\n"
        "out = [first, fresh, again, kept, wiped]\n"
    )
    assert out == [True, True, False, [1, False, 1, []], True]


def test_boot_checks_the_plan_then_lets_the_validator_go():
    """recover() re-validates the stored plan with steadydose.plan, then drops that module from the heap
    (the controller imports it again when a plan arrives, and that still works)."""
    out = mpy(
        "import sys, flashsim, storedrive\n"
        "dev = flashsim.FlashSim(64)\n"
        "flashsim.mount(dev, '/v', fresh=True)\n"
        "d = storedrive.StorageDrive(storedrive.START, '/v/data', dev=dev)\n"
        "d.do('power_on'); d.do('refill', 28); d.do('load_plan', storedrive.PLAN_V1)\n"
        "d.power_off()\n"
        "sys.modules.pop('steadydose.plan', None)\n"
        "d.do('power_on')\n"
        "after_boot = 'steadydose.plan' in sys.modules\n"
        "d.do('load_plan', storedrive.PLAN_V2)\n"
        "out = [after_boot, d.ctrl.st.base.version, d.boot_faults]\n"
    )
    assert out == [False, 2, [[], []]]
