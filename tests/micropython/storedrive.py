# The controller driven through the real storage (steadydose.storage), on MicroPython and CPython alike.
#
#   StorageDrive(start, root, fs=None, dev=None, ...)   drive.py's Drive with the journal and the plans
#       on storage: every power-on is a boot recovery (storage.recover), a storage fault found at boot
#       is logged as fault {kind: storage}. It records every record handed to the journal (`written`,
#       index = sequence number), the device write operations each took (`spans`, when `dev` counts
#       them), and any flash write made while the carousel moves (`problems`). mirror=True keeps
#       `expected[m]`: the state after the first m records, as a snapshot object.
#   BusyDrive   presses buttons (and loads a plan, sets the clock...) while the carousel turns.
#   PLAN_V1, PLAN_V2, ACTIONS, run_sequence(d)   the realistic sequence of the power-cut sweep.
#   check_boot(d, root, fs, tag, lo, hi, tally, ...)   boot what is on storage and check it against
#       what was written (used after power cuts and after corruption).
#   Lcg, corrupt(fs, root, name, rng, kind)   repeatable damage to a stored file.
# ruff: noqa: UP031

import json

import mpytest
from drive import Drive

from steadydose import gate, storage
from steadydose.controller import Controller
from steadydose.journal import MemoryPlans, State, decode, encode
from steadydose.snapshot import state_to_obj
from steadydose.timebase import parse_utc


class _JournalTap:
    # the FlashJournal as the controller sees it, watching what is written and when
    def __init__(self, inner, drive):
        self.inner = inner
        self.drive = drive

    def append(self, rec):
        d = self.drive
        d.check_still("journal append")
        if self.inner.seq != len(d.written):
            d.problems.append("sequence %d for record %d" % (self.inner.seq, len(d.written)))
        start = d.dev.ops if d.dev is not None else 0
        d.written.append(rec)
        d.times.append(d.true)
        before = self.inner.compactions
        self.inner.append(rec)
        d.compactions += self.inner.compactions - before
        d.spans.append((start, d.dev.ops if d.dev is not None else 0))
        if d.mirror is not None:
            d.mirror_apply(rec)

    def records(self):
        return self.inner.records()


class _PlansTap:
    def __init__(self, inner, drive):
        self.inner = inner
        self.drive = drive

    def put(self, obj, signed=None):
        d = self.drive
        d.check_still("plan write")
        start = d.dev.ops if d.dev is not None else 0
        self.inner.put(obj, signed)
        d.puts.append((start, d.dev.ops if d.dev is not None else 0, obj))
        d.all_plans.put(obj)

    def get(self, plan_id, version):
        return self.inner.get(plan_id, version)


def norm(obj):
    return json.loads(json.dumps(obj))


class StorageDrive(Drive):
    def __init__(self, start, root, fs=None, dev=None, seg_bytes=storage.SEG_BYTES, keep=storage.KEEP,
                 n=28, mirror=False):
        Drive.__init__(self, start, n)
        self.root = root
        self.fsobj = fs
        self.dev = dev
        self.seg_bytes = seg_bytes
        self.keep = keep
        self.store = None
        self.written = []
        self.times = []
        self.spans = []
        self.puts = []  # (first, end) device write operations and the plan, of each plan written
        self.all_plans = MemoryPlans()
        self.boot_faults = []  # the storage faults each boot reported
        self.problems = []
        self.compactions = 0
        self.moves_made = []  # compartment of each move asked for (0: home)
        self.depth = 0
        self.idle_compact = True  # False: only append's own compaction at twice seg_bytes
        self.remount = None  # remount() is called at every power-on after the first (a reboot)
        self.booted = False
        self.mirror = None
        self.ref = None
        self.expected = None
        if mirror:
            self.mirror = State(self.all_plans)
            self.expected = [norm(state_to_obj(self.mirror))]

    def mirror_apply(self, rec):
        self.mirror.apply(rec)
        if rec["event"] == "plan_loaded":
            self.ref = [rec["plan_id"], rec["version"]]
        self.expected.append(norm(state_to_obj(self.mirror, self.ref)))

    def check_still(self, what):
        if self.ctrl is not None and self.ctrl.motion is not None:
            self.problems.append("%s while the carousel moves (%s)" % (what, self.ctrl.motion[0]))

    def perform(self, actions):
        self.depth += 1
        try:
            Drive.perform(self, actions)
        finally:
            self.depth -= 1
        # as the app does: compact when due, at a quiet moment, from the controller's live state
        c = self.ctrl
        if (self.depth == 0 and self.idle_compact and self.store is not None and self.store.due()
                and c is not None and c.motion is None and not c.pending):
            if self.store.compact(c.st):
                self.compactions += 1

    def moving(self, k):
        self.moves_made.append(k)
        self.during_move()

    def during_move(self):
        pass

    def boot_storage(self):
        if self.booted and self.remount is not None:
            self.remount()
        self.booted = True
        st, j, plans, faults = storage.recover(self.root, self.fsobj, seg_bytes=self.seg_bytes, keep=self.keep)
        self.boot_faults.append(faults)
        self.attach(st, j, plans)
        return faults

    def attach(self, st, j, plans):
        self.store = j
        self.journal = _JournalTap(j, self)
        self.plans = _PlansTap(plans, self)
        st.plans = self.plans
        self.ctrl = Controller(st, self.journal, compartments=self.n)

    def power_off(self):
        # The power goes. Every record was flushed when written, so closing the file writes nothing
        # (checked); it is closed so that no abandoned littlefs file is finalised later.
        if self.store is not None:
            ops = self.dev.ops if self.dev is not None else 0
            self.store.close()
            if self.dev is not None and self.dev.ops != ops:
                self.problems.append("closing the journal wrote to flash: a record was not flushed")
        self.on = False
        self.ctrl = None
        self.store = None

    def do(self, what, arg=None):
        if what == "power_off":
            return self.power_off()
        if what == "compact":
            if self.on and self.ctrl.motion is None and not self.ctrl.pending:
                if self.store.compact(self.ctrl.st):
                    self.compactions += 1
            return None
        return Drive.do(self, what, arg)


class BusyDrive(StorageDrive):
    """While the carousel turns (between a move and motor_done), the patient and the caregiver keep
    using the device: `busy` lists the inputs made during each move, 2 s apart."""

    def __init__(self, start, root, busy, **kw):
        StorageDrive.__init__(self, start, root, **kw)
        self.busy = busy
        self.moves = 0

    def during_move(self):
        self.moves += 1
        for what in self.busy:
            self.true += 2
            arg = {"refill": 10, "set_clock_by": 600, "load_plan": PLAN_V3}.get(what)
            acts = self.act(what, arg)
            for a in acts:
                if a[0] == "move":
                    self.problems.append("a move asked for while the carousel moves")
            self.perform([a for a in acts if a[0] != "move"])


# ---- the realistic sequence ----


def plan_v(version, evening_mg):
    # v1: 300 mg three times a day; v2, v3 (replacements): a first day at 900 mg, then more
    steps = [{"doses": [{"time": "08:00", "mg": 300}, {"time": "14:00", "mg": 300},
                        {"time": "21:00", "mg": evening_mg}]}]
    if evening_mg != 300:
        steps.insert(0, {"days": 1, "doses": [{"time": "08:00", "mg": 300}, {"time": "14:00", "mg": 300},
                                              {"time": "21:00", "mg": 300}]})
    return {
        "format": "steadydose.plan/1", "plan_id": "cut-test", "version": version,
        "medication": {"name": "gabapentin", "unit_mg": 300, "form": "capsule"},
        "timezone": "Europe/London", "posix_tz": "GMT0BST,M3.5.0/1,M10.5.0", "start_date": "2026-03-01",
        "limits": {"max_daily_mg": 1800, "min_interval_min": 180, "early_min": 30},
        "steps": steps,
        "taper": {"step_mg": 300, "step_days": 7, "min_days": 7},
        "acknowledged": [],
    }


PLAN_V1 = plan_v(1, 300)
PLAN_V2 = plan_v(2, 600)
PLAN_V3 = plan_v(3, 600)


def _t(s):
    return parse_utc("2026-03-%sZ" % s)


START = _t("01T05:00:00")
# plan load, a day of doses with alarms (LOW, MEDIUM, silence, a late dose), a reboot, a clock drift
# correction, a refill, a new plan version, a stop request that starts the taper, an explicit
# compaction (and the ones a small seg_bytes forces), a missed dose, a jam and its clearing
ACTIONS = [
    [_t("01T07:40:00"), "take", None],
    [_t("01T14:20:00"), "silence", None],
    [_t("01T14:35:00"), "take", None],
    [_t("01T23:00:00"), "take", None],  # late, still inside the window (closes 02:30)
    [_t("02T03:10:00"), "power_off", None],
    [_t("02T03:20:00"), "power_on", None],
    [_t("02T07:00:00"), "set_clock_by", -90],  # drift: logged, still trusted
    [_t("02T08:05:00"), "take", None],
    [_t("02T09:00:00"), "refill", 20],
    [_t("02T10:00:00"), "load_plan", PLAN_V2],
    [_t("02T14:02:00"), "take", None],
    [_t("02T14:03:00"), "take", None],  # already dispensed
    [_t("02T15:00:00"), "request_stop", None],
    [_t("02T16:00:00"), "compact", None],
    [_t("02T20:55:00"), "take", None],
    [_t("02T23:00:00"), "take", None],  # too early
    [_t("03T11:20:00"), "silence", None],  # the 08:00 dose was missed at 11:00: acknowledged
    [_t("03T13:00:00"), "jam", None],
    [_t("03T14:05:00"), "take", None],  # the move fails twice: fault jam, refused
    [_t("03T14:08:00"), "clear_jam", None],
    [_t("03T14:10:00"), "take", None],  # homes, then dispenses
]
UNTIL = _t("03T15:00:00")


def run_sequence(d, actions=ACTIONS, until=UNTIL, stop=None):
    """Boot, refill, load plan v1, then the actions. stop(): True ends the run early (power cut)."""
    for what, arg in (("power_on", None), ("refill", 28), ("load_plan", PLAN_V1)):
        d.do(what, arg)
        if stop is not None and stop():
            return d
    for t, what, arg in actions:
        if t > until:
            break
        d.advance(t)
        if stop is not None and stop():
            return d
        d.do(what, arg)
        if stop is not None and stop():
            return d
    d.advance(until)
    return d


# ---- checking what a boot finds ----

PROMPTING = ("dose_ready", "idle", "no_plan", "empty", "ended")


def count(tally, key, n=1):
    tally[key] = tally.get(key, 0) + n


def check_boot(d, root, fs, tag, lo, hi, tally, seg_bytes, keep, faults_ok=False, strict=True):
    """Boot from what is on storage at `root` and check it against the run `d` (a mirror run).
    Always: the boot does not fail; every record read back is one that was written; every dispensed
    slot is refused a second time; the device homes and comes up prompting (or showing the fault, the
    storage fault logged); the next boot reads back whole what this one wrote.
    strict: lo <= records recovered <= hi, they follow one another from the snapshot on, the state is
    exactly the one they make, the plan is read back as written, and no fault is left at the next
    boot. faults_ok: storage faults are allowed (damage tests), else a fault fails. -> (ok, faults)"""
    st, j, plans, faults = storage.recover(root, fs, seg_bytes=seg_bytes, keep=keep)
    if j.stale:
        count(tally, "stale temp files removed", j.stale)
    if j.start is not None:
        count(tally, "boots from a snapshot")
    try:
        m = j.seq
        ok = faults_ok or mpytest.check(faults == [], "%s: storage faults: %r" % (tag, faults))
        if strict:
            ok &= mpytest.check(lo <= m <= hi, "%s: %d records recovered, expected %d..%d" % (tag, m, lo, hi))
        ents = j.entries()
        prev = None
        for seq, rec in ents:
            if seq >= len(d.written) or rec != decode(encode(d.written[seq])):
                ok &= mpytest.check(False, "%s: record %d is not the one written" % (tag, seq))
                break
            if strict and prev is not None and seq > j.start_seq and seq != prev + 1:
                ok &= mpytest.check(False, "%s: records missing before %d" % (tag, seq))
                break
            prev = seq
        # the records after the snapshot run up to the next sequence number (older kept segments, damaged
        # or not, are history the snapshot already holds)
        live = [e for e in ents if j.start_seq is None or e[0] >= j.start_seq]
        if strict and live:
            ok &= mpytest.check(live[-1][0] == m - 1, "%s: last record %d, next %d" % (tag, live[-1][0], m))
        elif strict and j.start_seq is not None:
            ok &= mpytest.check(m == j.start_seq, "%s: no record after the snapshot, next %d" % (tag, m))
        ref = None
        if strict and m < len(d.expected):
            want = d.expected[m]
            ref = want["base"]
            got = norm(state_to_obj(st, j.ref))
            if got != want:
                diff = [k for k in got["fields"] if got["fields"][k] != want["fields"].get(k)]
                ok &= mpytest.check(False, "%s: state after %d records differs in %r (base %r, want %r)"
                                    % (tag, m, diff, got["base"], want["base"]))
        if ref is not None:
            plan = d.all_plans.get(ref[0], ref[1])
            ok &= mpytest.check(st.base is not None and norm(st.base.raw) == norm(plan),
                                "%s: plan %r not read back as written" % (tag, ref))
            count(tally, "plan v%d" % ref[1])
        if j.ref is not None and st.base is None:
            ok &= mpytest.check(faults != [], "%s: the plan is gone and no fault says so" % tag)
        # no slot can be dispensed twice
        for name in st.dispensed:
            s = st.sched.find(name) if st.sched is not None else None
            if s is None:
                continue
            dec = gate.decide(st.sched, st, s.t, st.last_rec_e + 1, True, False, 20)
            ok &= mpytest.check(dec.reason == gate.ALREADY_DISPENSED,
                                "%s: slot %s could be dispensed again (%r)" % (tag, name, dec))
            count(tally, "gate refusals")
        # the device comes up prompting (and logs the storage fault, alarming the caregiver)
        when = d.times[m - 1] + 60 if 0 < m <= len(d.times) else START
        b = StorageDrive(when, root, fs, seg_bytes=seg_bytes, keep=keep)
        b.written = [None] * m
        b.on = True
        b.attach(st, j, plans)
        b.perform(b.ctrl.power_on(b.wall(), b.mono(), False))
        if faults:
            b.perform(b.ctrl.storage_fault(b.wall(), b.mono(), faults))
            logged = [r for _, r in b.out if r["event"] == "fault" and r.get("kind") == "storage"]
            ok &= mpytest.check(len(logged) == 1 and ("storage" in b.ctrl.alarms.active
                                                    or "storage" in b.ctrl.alarms.latched),
                                "%s: storage fault not logged and alarmed" % tag)
            count(tally, "storage faults logged")
        ok &= mpytest.check(b.ctrl.homed and b.moves_made[:1] == [0],
                            "%s: the first move after boot is not homing (%r)" % (tag, b.moves_made))
        # prompting, or (the plan file lost) showing the storage fault to the caregiver
        lost = b.ctrl.st.base is None and b.ctrl.st.base_ref is not None
        ok &= mpytest.check(len(b.screens) > 0 and (b.screens[-1] in PROMPTING or lost and b.screens[-1] == "fault"),
                            "%s: comes up showing %r" % (tag, b.screens[-1:]))
        if strict and ref is not None:
            ok &= mpytest.check(st.sched is not None or st.discontinued, "%s: no plan after boot" % tag)
        ok &= mpytest.check(not b.problems, "%s: %r" % (tag, b.problems))
        # what it wrote is read back whole at the next boot, and the damage is gone (a plan both
        # copies of which are lost stays reported)
        j.close()
        st2, j2, _, faults2 = storage.recover(root, fs, seg_bytes=seg_bytes, keep=keep)
        left = faults2 if strict else [f for f in faults2 if not f.startswith("plan ")]
        ok &= mpytest.check(left == [] and j2.seq == len(b.written) and st2.boots == st.boots,
                            "%s: second boot: %r, %d records of %d" % (tag, faults2, j2.seq, len(b.written)))
        j2.close()
        count(tally, "ok" if ok else "failed")
        return ok, faults
    finally:
        j.close()


# ---- damage ----


class Lcg:
    """A small repeatable random source (same numbers on MicroPython and CPython)."""

    def __init__(self, seed):
        self.s = seed & 0x7FFFFFFF

    def below(self, n):
        self.s = (self.s * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.s >> 8) % n if n > 0 else 0


def stored_files(fs, root):
    names = [n for n in fs.listdir(root) if not n.endswith(".tmp")]
    names.sort()
    return names


def corrupt(fs, root, name, rng, kind):
    """Damage file `name`: kind "flip" (one bit), "burst" (up to 8 bytes overwritten), "truncate"
    (cut at a random length). -> (offset, description), or None when the file is empty."""
    path = storage._join(root, name)
    f = fs.open(path, "rb")
    data = bytearray(f.read())
    f.close()
    n = len(data)
    if n == 0:
        return None
    at = rng.below(n)
    if kind == "flip":
        data[at] ^= 1 << rng.below(8)
    elif kind == "burst":
        for i in range(at, min(n, at + 1 + rng.below(8))):
            data[i] = rng.below(256)
    else:
        data = data[:at]
    f = fs.open(path, "wb")
    f.write(data)
    f.close()
    return at


def on_boot_path(names, name, ref):
    """Is file `name` read at boot? (newest snapshot, segments from it, the active plan's copies)"""
    snaps = storage._nums(names, "s", ".snp")
    start = snaps[-1] if snaps else 0
    n = storage._num(name, "s", ".snp")
    if n is not None:
        return n == start
    n = storage._num(name, "j", ".log")
    if n is not None:
        return n >= start
    if ref is not None and name[:-4] == storage.plan_name(ref[0], ref[1]):
        return True
    return False


def damage_trials(d, root, fs, seg_bytes, keep, trials, seed, copy_fresh, tally, multi=False):
    """`trials` times: copy_fresh() -> (root, fs) of a fresh copy of the final storage of run `d`;
    damage one stored file (multi: three, anywhere) and check the boot.
    Single damage: every bit flip or burst in any file loses no record (two frames per record, two plan
    copies, a fallback snapshot); a truncation loses at most the records after the cut; damage on the
    boot path is reported (a truncation exactly between records may not be: it is a shorter journal)."""
    rng = Lcg(seed)
    total = len(d.written)
    kinds = ("flip", "burst", "truncate")
    for t in range(trials):
        r, f = copy_fresh()
        if f is None:
            f = storage.OsFS()
        names = stored_files(f, r)
        kind = kinds[t % 3]
        hits = []
        for _ in range(3 if multi else 1):
            name = names[rng.below(len(names))]
            at = corrupt(f, r, name, rng, kind)
            if at is not None:
                hits.append((name, at))
        tag = "damage %d %s %r" % (t, kind, hits)
        ref = d.expected[total]["base"]
        path = False
        for name, _ in hits:
            path = path or on_boot_path(names, name, ref)
        if multi:
            ok, faults = check_boot(d, r, f, tag, 0, total, tally, seg_bytes, keep, faults_ok=True, strict=False)
            count(tally, "multi")
            continue
        lo = total if kind != "truncate" else 0
        ok, faults = check_boot(d, r, f, tag, lo, total, tally, seg_bytes, keep, faults_ok=True)
        if path and kind != "truncate":
            mpytest.check(faults != [], "%s: damage on the boot path not reported" % tag)
        if not path:
            mpytest.check(faults == [], "%s: damage off the boot path reported %r" % (tag, faults))
        count(tally, "reported" if faults else "silent")
        count(tally, kind)
