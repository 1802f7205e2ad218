"""steadydose.storage on CPython: the same code the Pico runs on littlefs, on a plain folder (the simulator's
store). Frames and CRC, snapshots, the plan store, boot recovery, power cuts at every file operation (with
torn writes), damaged files, failing writes, and random runs through storage with compactions.

The littlefs side (real MicroPython, RAM flash with the Pico's geometry) is in test_storage_micropython.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import shutil
import sys
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steadydose import storage
from steadydose.journal import State, decode, encode, rebuild
from steadydose.snapshot import state_from_obj, state_to_obj
from tests.mpy import MPY_HELPERS
from tests.safety import assert_same_state, check_run
from tests.test_core_properties import runs


def _helpers(*names):
    # The MicroPython-side helpers, imported on CPython. They import each other by bare name, so each is in
    # sys.modules while the next loads; then the names are taken out again (CPython must not find
    # `mpytest` or `drive` as top-level modules: see test_micropython_harness.py).
    mods = []
    try:
        for name in names:
            spec = importlib.util.spec_from_file_location(name, MPY_HELPERS / f"{name}.py")
            mod = importlib.util.module_from_spec(spec)
            sys.modules[name] = mod
            spec.loader.exec_module(mod)
            mods.append(mod)
    finally:
        for name in names:
            sys.modules.pop(name, None)
    return mods


mpytest, drive, sd = _helpers("mpytest", "drive", "storedrive")


@pytest.fixture
def checks(capsys):
    """mpytest's counters around a test: fails with the FAIL lines the helpers printed."""
    mpytest.reset()
    yield mpytest
    passed, failed = mpytest.counts()
    out = capsys.readouterr().out
    assert failed == 0, f"{failed} checks failed ({passed} passed):\n" + "\n".join(
        line for line in out.splitlines() if line.startswith("FAIL")
    )[:6000]


def fs_plain():
    return storage.OsFS(sync=False)  # power cuts are simulated at the operation level: no fsync needed


def golden(tmp_path, seg_bytes=2048, keep=2, dev=None, fs=None):
    root = str(tmp_path / "golden")
    d = sd.StorageDrive(sd.START, root, fs or fs_plain(), dev=dev, seg_bytes=seg_bytes, keep=keep, mirror=True)
    sd.run_sequence(d)
    d.power_off()
    return d, root


# ---- frames and CRC ----


def test_crc32_fallback_matches_zlib():
    rng = random.Random(4)
    for n in (0, 1, 7, 255, 256, 1000):
        data = bytes(rng.randrange(256) for _ in range(n))
        assert storage.crc32_py(data) == zlib.crc32(data)
        assert storage.crc32_py(data[n // 2:], storage.crc32_py(data[:n // 2])) == zlib.crc32(data)
        assert storage.crc32(data) == zlib.crc32(data)


RECS = [{"t": 68274000 + 60 * i, "e": 60 * i, "event": "dispensed", "slot": f"2026-03-01#{i % 3 + 1}",
         "mg": 300, "units": 1, "pos": i % 28 + 1} for i in range(12)]


def stream(recs, copies=2, seq0=0):
    return b"".join(storage.frame(seq0 + i, encode(r).encode()) * copies for i, r in enumerate(recs))


def read_back(data, expect=None):
    frames, problem = storage.scan(data, expect)
    return [decode(p.decode()) for _, p in frames], [s for s, _ in frames], problem


def test_frames_round_trip_and_skip_their_second_copy():
    recs, seqs, problem = read_back(stream(RECS), 0)
    assert problem is None
    assert seqs == list(range(len(RECS)))
    assert recs == [decode(encode(r)) for r in RECS]


@settings(max_examples=300)
@given(st.data())
def test_any_damage_inside_one_frame_loses_no_record(data):
    raw = bytearray(stream(RECS))
    at = data.draw(st.integers(0, len(raw) - 1))
    n = data.draw(st.integers(1, 8))
    # the damage stays inside the frame copy that holds byte `at`
    pos = 0
    for i in range(2 * len(RECS)):
        size = storage.HDR + len(encode(RECS[i // 2]).encode())
        if pos + size > at:
            break
        pos += size
    end = min(pos + size, at + n)
    for i in range(at, end):
        raw[i] ^= data.draw(st.integers(1, 255))
    recs, seqs, problem = read_back(bytes(raw), 0)
    assert seqs == list(range(len(RECS)))
    assert problem is not None


@settings(max_examples=200)
@given(st.integers(0, len(stream(RECS))))
def test_a_truncated_journal_keeps_the_records_before_the_cut(cut):
    raw = stream(RECS)
    recs, seqs, problem = read_back(raw[:cut], 0)
    assert seqs == list(range(len(seqs)))
    # a record survives when its first copy is whole
    bounds = []
    pos = 0
    for r in RECS:
        size = storage.HDR + len(encode(r).encode())
        bounds.append((pos + size, pos + 2 * size))
        pos += 2 * size
    assert len(seqs) == sum(1 for first, _ in bounds if first <= cut)
    at_boundary = cut == 0 or any(cut in b for b in bounds)
    assert (problem is None) == at_boundary


def test_a_gap_in_the_sequence_is_reported_and_later_records_kept():
    raw = stream(RECS[:3]) + stream(RECS[5:], seq0=5)
    _, seqs, problem = read_back(raw, 0)
    assert seqs == [0, 1, 2] + list(range(5, len(RECS)))
    assert "missing" in problem


# ---- snapshots ----


def _same_state(a: State, b: State) -> None:
    assert set(a.__dict__) == set(b.__dict__)
    for k in a.__dict__:
        if k == "plans":
            continue
        x, y = a.__dict__[k], b.__dict__[k]
        if k in ("base", "plan"):
            assert (x is None) == (y is None) and (x is None or x.raw == y.raw), k
        elif k == "sched":
            assert (x is None) == (y is None) and (x is None or x.plan.raw == y.plan.raw), k
        else:
            assert x == y and type(x) is type(y), k


def _scenario_runs():
    runs = []
    plans = {}
    seq = [a for a in sd.ACTIONS if a[1] not in ("compact",)]
    d = drive.run(sd.PLAN_V1, sd.START, sd.UNTIL, seq)
    runs.append(d)
    with open(MPY_HELPERS.parent / "scenarios" / "discontinue_immediate.json") as f:
        sc = json.load(f)
    from steadydose.timebase import parse_utc

    acts = [[parse_utc(a["at"]), a["do"], a.get("plan") or a.get("doses") or a.get("to")] for a in sc["actions"]]
    runs.append(drive.run(sc["plan"], parse_utc(sc["start"]), parse_utc(sc["until"]), acts))
    return runs, plans


def test_snapshot_round_trip_after_every_record():
    runs, _ = _scenario_runs()
    n = 0
    for d in runs:
        recs = d.journal.records()
        for m in range(len(recs) + 1):
            st = rebuild(recs[:m], d.plans)
            obj = json.loads(json.dumps(state_to_obj(st)))
            back = state_from_obj(obj, d.plans)
            _same_state(st, back)
            # and records applied after the snapshot give the state of all of them
            for r in recs[m:]:
                back.apply(r)
            _same_state(rebuild(recs, d.plans), back)
            n += 1
    assert n > 50


# ---- the folder store ----


def test_folder_store_runs_the_sequence_and_boots_back(tmp_path, checks):
    d, root = golden(tmp_path, fs=storage.OsFS())  # with fsync, as the simulator would keep it for real
    assert not d.problems and all(not f for f in d.boot_faults)
    assert d.compactions >= 3
    names = os.listdir(root)
    assert any(n.endswith(".snp") for n in names) and any(n.endswith(".log") for n in names)
    assert not any(n.endswith(".tmp") for n in names)
    tally = {}
    n = len(d.written)
    ok, faults = sd.check_boot(d, root, None, "folder", n, n, tally, 2048, 2)
    assert ok and faults == []
    # the state after the boot is the live one the run ended with, by the safety module's measure
    st, j, _, _ = storage.recover(root, fs_plain(), seg_bytes=2048)
    assert_same_state(st, d.mirror)
    j.close()
    check_run(d.out, d.all_plans)


class FaultyFS(storage.OsFS):
    """OsFS with the power cut at the k-th changing operation (open for writing, write, flush, rename,
    remove, mkdir); a torn write writes half its bytes first. After the cut every operation fails."""

    def __init__(self, cut_at=None, torn=False):
        storage.OsFS.__init__(self, sync=False)
        self.ops = 0
        self.cut_at = cut_at
        self.torn = torn
        self.dead = False

    def op(self):
        if self.dead:
            raise OSError(5, "power cut")
        k = self.ops
        self.ops += 1
        if self.cut_at is not None and k >= self.cut_at:
            self.dead = True
            return False
        return True

    def open(self, path, mode):
        if "r" in mode:
            return open(path, mode)
        if not self.op():
            raise OSError(5, "power cut")
        return FaultyFile(open(path, mode), self)

    def rename(self, old, new):
        if not self.op():
            raise OSError(5, "power cut")
        storage.OsFS.rename(self, old, new)

    def remove(self, path):
        if not self.op():
            raise OSError(5, "power cut")
        os.remove(path)

    def mkdir(self, path):
        if os.path.isdir(path):
            raise OSError(17, "exists")
        if not self.op():
            raise OSError(5, "power cut")
        os.mkdir(path)

    def flush(self, f):
        if not self.op():
            raise OSError(5, "power cut")
        f.flush()


class FaultyFile:
    def __init__(self, f, fs):
        self.f = f
        self.fs = fs

    def write(self, data):
        if not self.fs.op():
            if self.fs.torn:
                self.f.write(data[: len(data) // 2])
                self.f.flush()
            raise OSError(5, "power cut")
        return self.f.write(data)

    def flush(self):
        self.f.flush()

    def close(self):
        self.f.close()


def test_folder_store_power_cut_at_every_operation(tmp_path, checks):
    """A plain folder has no atomic append: a cut in a write leaves half a frame. Boot drops it, reports it
    and compacts it away; the state is always that of a prefix of the records, durable ones included."""
    fs = FaultyFS()
    d, _ = golden(tmp_path, fs=fs, dev=fs)
    total_ops = fs.ops
    tally = {}
    cuts = 0
    for k in range(total_ops):
        for torn in (False, True):
            root = str(tmp_path / f"cut{k}{'t' if torn else ''}")
            cut = FaultyFS(k, torn)
            run = sd.StorageDrive(sd.START, root, cut, dev=cut, seg_bytes=2048, keep=2)
            try:
                sd.run_sequence(run, stop=lambda c=cut: c.dead)
            except OSError:
                assert cut.dead
            if run.store is not None:
                run.store._close()
            acked = sum(1 for s, e in d.spans if e <= k)
            tried = sum(1 for s, e in d.spans if s <= k)
            sd.check_boot(d, root, fs_plain(), f"cut {k}{' torn' if torn else ''}", acked, tried, tally,
                          2048, 2, faults_ok=torn)
            cuts += 1
            shutil.rmtree(root)
    print(f"folder store: {cuts} power cuts over {total_ops} file operations: {tally}")
    assert tally.get("failed", 0) == 0 and tally["ok"] == cuts


def test_folder_store_damaged_files(tmp_path, checks):
    d, root = golden(tmp_path)
    tally = {}
    n = [0]

    def fresh():
        n[0] += 1
        dst = str(tmp_path / f"copy{n[0]}")
        shutil.copytree(root, dst)
        return dst, fs_plain()

    sd.damage_trials(d, None, None, 2048, 2, 150, 7, fresh, tally)
    sd.damage_trials(d, None, None, 2048, 2, 60, 8, fresh, tally, multi=True)
    print(f"folder store damage: {tally}")
    assert tally.get("failed", 0) == 0
    assert tally["reported"] > 20 and tally["multi"] == 60


# ---- the plan store ----


def test_plan_store_keeps_the_signed_form_and_checks_it(tmp_path):
    root = str(tmp_path)
    plan = sd.PLAN_V1
    payload = json.dumps(plan)
    signed = {"format": "steadydose.signed/1", "key_id": "k1", "payload": payload, "sig": "c2ln"}
    seen = []

    def verify(p, key_id, sig):
        seen.append((p, key_id, sig))
        return sig == "c2ln"

    ps = storage.PlanStore(root, fs_plain(), verify)
    ps.put(plan, signed)
    name = storage.plan_name("cut-test", 1)
    frames, problem = storage.scan(open(os.path.join(root, name + ".pla"), "rb").read())
    assert problem is None and json.loads(frames[0][1]) == signed  # stored as received
    fresh = storage.PlanStore(root, fs_plain(), verify)
    assert fresh.get("cut-test", 1) == plan and seen == [(payload, "k1", "c2ln")]
    assert fresh.take_faults() == []
    # a signature that no longer verifies (another provisioned key): unreadable, reported
    other = storage.PlanStore(root, fs_plain(), lambda p, k, s: False)
    assert other.get("cut-test", 1) is None
    assert "unreadable" in other.take_faults()[0]
    assert other.get("cut-test", 7) is None and "missing" in other.take_faults()[0]


def test_plan_store_repairs_a_damaged_copy_and_boot_removes_stale_temps(tmp_path, checks):
    d, root = golden(tmp_path)
    ref = d.expected[-1]["base"]
    name = storage.plan_name(*ref)
    with open(os.path.join(root, name + ".pla"), "r+b") as f:
        f.seek(40)
        b = f.read(1)
        f.seek(40)
        f.write(bytes([b[0] ^ 0x10]))
    for stale in ("s9.snp.tmp", name + ".pla.tmp"):
        with open(os.path.join(root, stale), "wb") as f:
            f.write(b"half")
    st, j, plans, faults = storage.recover(root, fs_plain(), seg_bytes=2048)
    assert st.base is not None and st.base.raw == d.all_plans.get(*ref)
    assert any("copy" in f for f in faults) and j.stale == 2
    assert not any(n.endswith(".tmp") for n in os.listdir(root))
    j.close()
    st, j, plans, faults = storage.recover(root, fs_plain(), seg_bytes=2048)
    assert faults == [] and st.base is not None
    j.close()


def test_an_unreadable_plan_is_reported_and_the_device_keeps_going(tmp_path, checks):
    d, root = golden(tmp_path)
    ref = d.expected[-1]["base"]
    for ext in (".pla", ".plb"):
        os.remove(os.path.join(root, storage.plan_name(*ref) + ext))
    tally = {}
    ok, faults = sd.check_boot(d, root, fs_plain(), "no plan", 0, len(d.written), tally, 2048, 2,
                               faults_ok=True, strict=False)
    assert ok and any("unreadable" in f for f in faults)
    # the dispensed slots are still remembered (R-ONCE), the caregiver is alarmed (checked in check_boot)
    st, j, _, _ = storage.recover(root, fs_plain(), seg_bytes=2048)
    assert st.base is None and st.sched is None and st.dispensed == d.mirror.dispensed
    j.close()


# ---- failing writes ----


class FlakyFS(storage.OsFS):
    def __init__(self):
        storage.OsFS.__init__(self, sync=False)
        self.fail = False

    def flush(self, f):
        if self.fail:
            raise OSError(28, "no space")
        f.flush()


def test_a_failing_write_is_reported_kept_in_ram_and_written_later(tmp_path):
    fs = FlakyFS()
    st, j, plans, faults = storage.recover(str(tmp_path), fs)
    assert faults == [] and j.fresh
    j.append(RECS[0])
    fs.fail = True
    j.append(RECS[1])
    j.append(RECS[2])
    assert j.write_errors == 2 and len(j.backlog) == 2
    assert "journal write failed" in j.take_faults()[0]
    fs.fail = False
    j.append(RECS[3])
    assert j.backlog == []
    j.close()
    st, j, plans, faults = storage.recover(str(tmp_path), fs)
    # the frame whose flush failed was written, then written again: read once, no record lost
    assert [s for s, _ in j.entries()] == [0, 1, 2, 3]
    assert j.records() == [decode(encode(r)) for r in RECS[:4]]
    j.close()


# ---- random runs through storage ----


@settings(max_examples=25)
@given(st.data())
def test_random_runs_through_storage_keep_state_and_safety(tmp_path_factory, data):
    """Random valid plans and behaviour (power cycles, clock sets, jams...), with the journal on a folder
    compacted every ~1 KiB: the state each boot rebuilds is the live state, and the run stays safe."""
    plan, start, until, acts, filled = data.draw(runs())
    root = str(tmp_path_factory.mktemp("run"))
    d = sd.StorageDrive(start, root, fs_plain(), seg_bytes=1024, keep=1, mirror=True)
    drive.run(plan, start, until, acts, filled, d)
    assert not d.problems and all(not f for f in d.boot_faults)
    if d.on:
        assert_same_state(d.ctrl.st, d.mirror)
        d.power_off()
    st, j, _, faults = storage.recover(root, fs_plain(), seg_bytes=1024, keep=1)
    assert faults == []
    assert_same_state(st, d.mirror)
    j.close()
    check_run(d.out, d.all_plans)
