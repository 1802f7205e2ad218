# Durable device state: the journal, the plan store and boot recovery (a shell module: it does I/O).
#
# The same code runs on the Pico (littlefs, mounted by MicroPython's _boot.py) and on CPython (a plain
# folder, for the simulator): it uses only open/read/write/flush/close, listdir, remove, rename and
# mkdir, through a small `fs` object (OsFS by default; tests pass their own).
#
# Files under `root`:
#   j<N>.log       journal segment N: each record as two identical frames, written and flushed together
#   s<N>.snp       snapshot: the state rebuilt from every record before segment N (one frame)
#   p<crc>_<v>.pla / .plb   a plan as received (signed form when signed), two copies (one frame each)
#   *.tmp          a file being written, renamed into place when complete (removed at boot if stale)
# Frame: 0xD5, payload length (u16 BE), sequence number (u32 BE), CRC-32 (u32 BE) of the 7 bytes before
# it and of the payload; payload: UTF-8 JSON (journal.encode for records).
#
# Power cuts: a record is durable once append() returns (flush = littlefs sync, fsync on CPython). A
# compaction writes the snapshot to a temp file and renames it into place (atomic on littlefs and
# POSIX) before the new segment gets any record, so a cut at any point leaves either the old snapshot
# and segment or the new ones. Damage (bit flips, truncation): frames are checked one by one; after a
# bad one the reader resynchronises on the next frame whose CRC holds (a record after a damaged one may
# be a dispense: it must not be forgotten); a bad snapshot falls back to the one before it (the segments
# since are kept); a bad plan copy falls back to the other. Every problem is reported in `faults` (the
# app logs `fault {kind: storage}`), none is fatal.
# Flash writes stall the RP2040: the controller appends only while the motor is still (see controller).
#
# API
#   recover(root, fs, verify, seg_bytes, keep) -> (state, journal, plans, faults)   at boot, before the
#       controller acts: stale temp files removed, snapshot + journal read, State rebuilt, plan checked
#   FlashJournal   append(rec), records(), entries() -> [(seq, rec)], due(), compact(state), close(),
#       take_faults(); seq (next sequence number), damaged, fresh, write_errors, stale, start
#   PlanStore      put(obj, signed=None), get(plan_id, version), check(plan_id, version), prune(keep),
#       take_faults()
#   mount(bdev, path, progsize=256) -> True when the flash had to be formatted (state lost: report it)
#   OsFS(sync=True)   the fs interface over os + open; frame(), scan(), scan_spans(), crc32(), crc32_py()

import json
import os
import struct
import sys

from steadydose.journal import State, decode, encode
from steadydose.snapshot import state_from_obj, state_to_obj

try:
    from binascii import crc32 as _crc32
except ImportError:  # a port built without binascii.crc32: the table version below
    _crc32 = None

MAGIC = 0xD5
HDR = 11  # magic 1 + length 2 + sequence 4 + CRC 4
MAX_PAYLOAD = 65535
SEG_BYTES = 8192  # a segment this long is due for compaction into a snapshot (about 2 days of a TID
# plan); at twice this, append compacts by itself. A segment is read whole at boot: this bounds the heap.
COPIES = 2  # each record's frame is written twice in the same write (one flush, no extra erase):
# a bit flip in one copy loses no record
KEEP = 2  # older segments (and their snapshots) kept: the log's history and the fallback if a snapshot is bad
MAX_FAULTS = 16
SIGNED_FORMAT = "steadydose.signed/1"
_VALIDATOR = "steadydose.plan"  # loaded to re-check plans read back at boot, then let go (heap)
DEFAULT_ROOT = "/data"

_TABLE = None


def _crc_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        t.append(c)
    return t


def crc32_py(data, crc=0):
    """CRC-32 (IEEE, as zlib/binascii) in plain Python: the fallback where binascii has none."""
    global _TABLE
    if _TABLE is None:
        _TABLE = _crc_table()
    t = _TABLE
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


if _crc32 is None:
    _TABLE = _crc_table()  # built once at import, only where it is needed
    crc32 = crc32_py
else:

    def crc32(data, crc=0):
        return _crc32(data, crc) & 0xFFFFFFFF


# ---- frames ----


def frame(seq, payload):
    """bytes of one frame holding `payload` (bytes) with sequence number `seq`."""
    n = len(payload)
    if n > MAX_PAYLOAD:
        raise ValueError("frame payload too long")
    head = struct.pack(">BHI", MAGIC, n, seq)
    return head + struct.pack(">I", crc32(payload, crc32(head))) + payload


def _frame_at(mv, i, n):
    # (seq, payload start, end) of a valid frame at mv[i], else None
    if n - i < HDR or mv[i] != MAGIC:
        return None
    ln, seq, c = struct.unpack_from(">HII", mv, i + 1)
    end = i + HDR + ln
    if end > n or (ln and mv[i + HDR] != 0x7B):  # payloads are JSON objects: "{"
        return None
    if crc32(mv[i + HDR:end], crc32(mv[i:i + 7])) != c:
        return None
    return seq, i + HDR, end


def scan_spans(data, expect=None):
    """Frames in `data` -> ([(seq, payload start, payload end)], problem text or None). Offsets, not
    copies: a 16 KiB segment is decoded one record at a time.
    expect: the sequence number the first frame should carry (None: any). The second copy of a record
    is skipped. A damaged stretch is skipped up to the next frame that checks out with a sequence
    number not below the expected one."""
    mv = memoryview(data)
    n = len(data)
    out = []
    problem = None
    i = 0
    while i < n:
        fr = _frame_at(mv, i, n)
        if fr is not None:
            seq = fr[0]
            if expect is not None and seq < expect:
                if not (out and seq == out[-1][0] and fr[2] - fr[1] == out[-1][2] - out[-1][1]
                        and mv[fr[1]:fr[2]] == mv[out[-1][1]:out[-1][2]]):
                    problem = problem or "stale record %d at byte %d" % (seq, i)
                i = fr[2]  # else: the second copy of the record just read
                continue
            if expect is not None and seq > expect and problem is None:
                problem = "records %d..%d missing" % (expect, seq - 1)
            out.append(fr)
            expect = seq + 1
            i = fr[2]
            continue
        j = i + 1
        found = -1
        while j + HDR <= n:
            if mv[j] == MAGIC:
                fr = _frame_at(mv, j, n)
                if fr is not None and (expect is None or fr[0] >= expect):
                    found = j
                    break
            j += 1
        if found < 0:
            if problem is None:
                problem = "damaged tail of %d bytes at byte %d dropped" % (n - i, i)
            else:
                problem += "; tail of %d bytes dropped" % (n - i)
            break
        if problem is None:
            problem = "%d damaged bytes at byte %d skipped" % (found - i, i)
        i = found
    return out, problem


def scan(data, expect=None):
    """As scan_spans, with the payloads: -> ([(seq, payload bytes)], problem text or None)."""
    spans, problem = scan_spans(data, expect)
    return [(s, bytes(data[a:b])) for s, a, b in spans], problem


# ---- the file system ----


class OsFS:
    """The file operations storage needs, on `os` and `open` (MicroPython and CPython alike).
    sync: fsync after flush where `os` has it (CPython; on littlefs flush already commits). A simulator
    that only pretends power cuts may pass sync=False."""

    def __init__(self, sync=True):
        self.sync = sync and hasattr(os, "fsync")

    def open(self, path, mode):
        return open(path, mode)

    def listdir(self, path):
        return os.listdir(path)

    def remove(self, path):
        os.remove(path)

    def rename(self, old, new):
        # littlefs and POSIX replace `new` atomically; os.replace does it on Windows too
        getattr(os, "replace", os.rename)(old, new)

    def mkdir(self, path):
        os.mkdir(path)

    def flush(self, f):
        f.flush()
        if self.sync:
            os.fsync(f.fileno())


def _join(root, name):
    if root in ("", "/"):
        return "/" + name if root else name
    return root.rstrip("/") + "/" + name


def _num(name, prefix, suffix):
    # "j12.log" -> 12, else None
    if not (name.startswith(prefix) and name.endswith(suffix)):
        return None
    mid = name[len(prefix):len(name) - len(suffix)]
    if not mid or not mid.isdigit():
        return None
    return int(mid)


def _nums(names, prefix, suffix):
    out = []
    for name in names:
        n = _num(name, prefix, suffix)
        if n is not None:
            out.append(n)
    out.sort()
    return out


def _read(fs, path):
    f = fs.open(path, "rb")
    try:
        return f.read()
    finally:
        f.close()


def _write_new(fs, root, name, data):
    # temp file + flush + rename: the file `name` holds the old bytes or the new ones, never a mix
    tmp = _join(root, name + ".tmp")
    f = fs.open(tmp, "wb")
    try:
        f.write(data)
        fs.flush(f)
    finally:
        f.close()
    fs.rename(tmp, _join(root, name))


def _listdir(fs, root):
    try:
        return fs.listdir(root if root else ".")
    except OSError:
        return []


def ensure_dir(fs, root):
    if root in ("", "/"):
        return
    try:
        fs.mkdir(root.rstrip("/"))
    except OSError:
        pass  # exists


def remove_stale(fs, root):
    """Remove temp files a power cut left behind. -> how many."""
    n = 0
    for name in _listdir(fs, root):
        if name.endswith(".tmp"):
            try:
                fs.remove(_join(root, name))
                n += 1
            except OSError:
                pass
    return n


class _Faults:
    def _fault(self, text):
        if len(self.faults) < MAX_FAULTS:
            self.faults.append(text)

    def take_faults(self):
        """The storage problems found since the last call (the app logs fault {kind: storage})."""
        out, self.faults = self.faults, []
        return out


# ---- the plan store ----


_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


def plan_name(plan_id, version):
    # "p<id, its safe characters, up to 16>_<crc32 of the whole id>_<version>" (+ .pla / .plb)
    safe = "".join([c for c in plan_id[:16] if c in _NAME_CHARS])
    return "p%s_%08x_%d" % (safe, crc32(plan_id.encode()), version)


class PlanStore(_Faults):
    """Plans by (plan_id, version), as MemoryPlans, on flash: each as received (the signed form when
    given), in two copies written by temp file + rename. verify(payload, key_id, sig) -> bool, when
    given, re-checks a signed plan's signature as it is read back; every plan read back is validated
    again (check_plan)."""

    def __init__(self, root=DEFAULT_ROOT, fs=None, verify=None):
        self.fs = fs if fs is not None else OsFS()
        self.root = root
        self.verify = verify
        self.faults = []
        self.last_put = None  # [plan_id, version] of the newest plan put (its record may be pending)
        self._cache = []  # [(key, obj)] of the plans last put or read, newest last

    def _remember(self, key, obj):
        self._cache = [kv for kv in self._cache if kv[0] != key][-1:] + [(key, obj)]

    def put(self, obj, signed=None):
        """Store plan `obj` (validated). signed: the signed envelope it came in, stored instead.
        Raises OSError when the flash cannot take it (then the plan must not be recorded as loaded)."""
        text = json.dumps(signed if signed is not None else obj)
        data = frame(obj["version"], text.encode())
        name = plan_name(obj["plan_id"], obj["version"])
        _write_new(self.fs, self.root, name + ".pla", data)
        _write_new(self.fs, self.root, name + ".plb", data)
        key = (obj["plan_id"], obj["version"])
        self._remember(key, obj)
        self.last_put = [obj["plan_id"], obj["version"]]

    def get(self, plan_id, version):
        """The plan object, or None (reported in faults) when neither copy can be read."""
        key = (plan_id, version)
        for k, obj in self._cache:
            if k == key:
                return obj
        obj, bad = self._read_copies(plan_id, version)
        if obj is None:
            self._fault("plan %s v%d unreadable: %s" % (plan_id, version, "; ".join(bad)))
            return None
        if bad:
            self._fault("plan %s v%d: a copy is damaged (%s), the other one is used"
                        % (plan_id, version, "; ".join(bad)))
        self._remember(key, obj)
        return obj

    def check(self, plan_id, version):
        """Boot check of the active plan's two copies: a copy whose frame does not check out is
        rewritten from the good one (get() has validated the plan itself). -> True when one is good."""
        name = plan_name(plan_id, version)
        good = None
        bad = []
        for ext in (".pla", ".plb"):
            try:
                data = _read(self.fs, _join(self.root, name + ext))
                frames, problem = scan(data)
                if problem is not None or len(frames) != 1 or frames[0][0] != version:
                    raise ValueError("damaged")
                good = data
            except (OSError, ValueError):
                bad.append(ext)
        if good is None:
            return False
        if bad:
            try:
                _write_new(self.fs, self.root, name + bad[0], good)
            except OSError:
                self._fault("plan %s v%d: could not repair copy %s" % (plan_id, version, bad[0]))
                return True
            self._fault("plan %s v%d: damaged copy %s rewritten" % (plan_id, version, bad[0]))
        return True

    def _read_copies(self, plan_id, version):
        name = plan_name(plan_id, version)
        bad = []
        for ext in (".pla", ".plb"):
            try:
                return self._parse(_read(self.fs, _join(self.root, name + ext)), plan_id, version), bad
            except OSError as ex:
                bad.append("%s: %s" % (ext, "missing" if ex.args and ex.args[0] == 2 else "read error"))
            except (ValueError, KeyError, TypeError, AttributeError) as ex:
                bad.append("%s: %s" % (ext, ex.args[0] if ex.args else "damaged"))
        return None, bad

    def _parse(self, data, plan_id, version):
        frames, problem = scan(data)
        if problem is not None or len(frames) != 1:
            raise ValueError("damaged")
        obj = json.loads(frames[0][1].decode())
        from steadydose.plan import check_plan, unwrap_signed  # the validator: see recover()

        if isinstance(obj, dict) and obj.get("format") == SIGNED_FORMAT:
            payload, key_id, sig = unwrap_signed(obj)
            if self.verify is not None and not self.verify(payload, key_id, sig):
                raise ValueError("signature does not verify")
            obj = json.loads(payload)
        if not isinstance(obj, dict) or obj.get("plan_id") != plan_id or obj.get("version") != version:
            raise ValueError("holds another plan")
        if check_plan(obj):
            raise ValueError("fails validation")
        return obj

    def prune(self, keep):
        """Remove plan files but those of `keep` ([plan_id, version] or None each) and the last put."""
        names = []
        for ref in list(keep) + [self.last_put]:
            if ref is not None:
                names.append(plan_name(ref[0], ref[1]))
        for name in _listdir(self.fs, self.root):
            if name.startswith("p") and (name.endswith(".pla") or name.endswith(".plb")):
                if name[:-4] not in names:
                    try:
                        self.fs.remove(_join(self.root, name))
                    except OSError:
                        pass


# ---- the journal ----


def _seg_name(n):
    return "j%d.log" % n


def _snap_name(n):
    return "s%d.snp" % n


class FlashJournal(_Faults):
    """Event records on flash, for the controller: append(rec) and records(), as MemoryJournal.
    load() (boot) rebuilds the State from the newest good snapshot and the records after it.
    plans: the PlanStore (snapshots name their plan; a rebuild reads it). copies: frames per record.
    seg_bytes: a segment that reaches this is due() for compaction; one that reaches twice this is
    compacted inside the append that crossed it (append is only called while the motor is still).
    keep: older segments/snapshots kept (history, fallback)."""

    def __init__(self, root=DEFAULT_ROOT, fs=None, plans=None, seg_bytes=SEG_BYTES, keep=KEEP, copies=COPIES):
        self.fs = fs if fs is not None else OsFS()
        self.copies = copies
        self.root = root
        self.plans = plans
        self.seg_bytes = seg_bytes
        self.keep = keep
        self.clock_jump_s = 300
        self.seg = 0  # segment appends go to
        self.seq = 0  # sequence number of the next record
        self.size = 0  # bytes in the current segment
        self.ref = None  # [plan_id, version] of the base plan, per the records
        self.snap_ref = None  # the base plan the newest snapshot names (a rebuild reads it first)
        self.start = None  # the snapshot the last load started from (None: from the first record)
        self.start_seq = 0  # the sequence number of the first record that load applied
        self.stale = 0  # temp files a power cut left, removed at boot (recover)
        self.faults = []
        self.damaged = 0  # journal/snapshot problems found at load
        self.fresh = False  # nothing on flash at load (first boot, or the flash was reformatted)
        self.backlog = []  # frames a failed write left in RAM, retried first at the next append
        self.write_errors = 0
        self.compactions = 0
        self._f = None

    def _path(self, name):
        return _join(self.root, name)

    # -- boot --
    def load(self, clock_jump_s=300):
        """Rebuild the State from flash. Problems land in faults; a damaged journal or snapshot is
        compacted at once (so later records never follow garbage). -> State"""
        self.clock_jump_s = clock_jump_s
        names = _listdir(self.fs, self.root)
        st, ref, seq, seg, size, problems = self._chain(names)
        if self.plans is not None and hasattr(self.plans, "faults"):
            # a plan the snapshot names but a later record replaced may be gone: only the plan in
            # force at the end counts (recover() checks it); every plan_loaded resets all plan state
            self.plans.faults = []
        self.fresh = not names or (not _nums(names, "j", ".log") and not _nums(names, "s", ".snp"))
        top = _nums(names, "j", ".log") + _nums(names, "s", ".snp")
        self.seg = max(top) if top else seg
        self.seq, self.size, self.ref = seq, size, ref
        for p in problems:
            self._fault(p)
        self.damaged = len(problems)
        if problems:
            self.compact(st, ref)
        else:
            self._prune()
        return st

    def _chain(self, names):
        # -> (state, base ref, next seq, last segment, its size, [problem texts])
        problems = []
        snaps = _nums(names, "s", ".snp")
        segs = _nums(names, "j", ".log")
        st = None
        ref = None
        seq = None
        start = 0
        for n in reversed(snaps):
            try:
                frames, problem = scan(_read(self.fs, self._path(_snap_name(n))))
                if problem is not None or len(frames) != 1:
                    raise ValueError("damaged")
                body = json.loads(frames[0][1].decode())
                if body["seg"] != n or body["seq"] != frames[0][0]:
                    raise ValueError("names another segment")
                st = state_from_obj(body["state"], self.plans, self.clock_jump_s)
                ref = body["state"].get("base")
                self.snap_ref = ref
                self.start = n
                seq = body["seq"]
                self.start_seq = seq
                start = n
                break
            except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as ex:
                problems.append("snapshot %d unreadable (%s)" % (n, ex.args[0] if ex.args else ex))
        if st is None:
            st = State(self.plans, self.clock_jump_s)
            start = segs[0] if segs else (snaps[-1] if snaps else 0)
            if start != 0:
                problems.append("records before segment %d lost" % start)
        last, size = start, 0
        for n in segs:
            if n < start:
                continue
            try:
                data = _read(self.fs, self._path(_seg_name(n)))
            except OSError:
                problems.append("segment %d unreadable" % n)
                continue
            spans, problem = scan_spans(data, seq)
            for s, a, b in spans:
                try:
                    rec = decode(bytes(data[a:b]).decode())
                    st.apply(rec)
                except (ValueError, KeyError, TypeError, IndexError, AttributeError) as ex:
                    problems.append("record %d not applied (%s)" % (s, ex))
                    continue
                finally:
                    seq = s + 1
                if rec["event"] == "plan_loaded":
                    ref = [rec["plan_id"], rec["version"]]
            if problem is not None:
                problems.append("segment %d: %s" % (n, problem))
            last, size = n, len(data)
        return st, ref, seq if seq is not None else 0, last, size, problems

    # -- running --
    def append(self, rec):
        """Store one record, durably before returning (unless the flash fails: then the record waits in
        RAM, the failure is in faults, and the next append tries again)."""
        self.backlog.append(frame(self.seq, encode(rec).encode()) * self.copies)
        self.seq += 1
        if rec["event"] == "plan_loaded":
            self.ref = [rec["plan_id"], rec["version"]]
        if self._drain() and self.size >= 2 * self.seg_bytes:
            self.compact()  # the app did not compact when it was due: do it now, from flash

    def due(self):
        """True when the segment is long enough to compact: the app then calls compact(controller
        state) at a quiet moment (motor still, no record pending), which needs no second rebuild."""
        return self.size >= self.seg_bytes and not self.backlog

    def _drain(self):
        try:
            if self._f is None:
                self._f = self.fs.open(self._path(_seg_name(self.seg)), "ab")
            while self.backlog:
                data = self.backlog[0]
                self._f.write(data)
                self.fs.flush(self._f)
                self.size += len(data)
                self.backlog.pop(0)
        except OSError as ex:
            self.write_errors += 1
            self._fault("journal write failed (%s)" % (ex.args[0] if ex.args else ex))
            self._close()
            return False
        return True

    def _close(self):
        f, self._f = self._f, None
        if f is not None:
            try:
                f.close()
            except OSError:
                pass

    def close(self):
        self._close()

    def compact(self, st=None, ref=None):
        """Fold the journal into a snapshot and start a new segment. st: the state after exactly the
        records appended so far (None: rebuilt from flash). Call only while the motor is still.
        -> True when done."""
        if self.backlog:
            return False
        if st is None:
            st, ref, seq, _, _, problems = self._chain(_listdir(self.fs, self.root))
            for p in problems:
                self._fault("compaction: " + p)
            if seq != self.seq:
                self._fault("compaction: %d records on flash, %d appended" % (seq, self.seq))
        if ref is None:
            ref = self.ref
        new = self.seg + 1
        body = {"seg": new, "seq": self.seq, "state": state_to_obj(st, ref)}
        try:
            data = frame(self.seq, json.dumps(body).encode())
            self._close()
            _write_new(self.fs, self.root, _snap_name(new), data)
        except (OSError, ValueError) as ex:
            self._fault("compaction failed (%s)" % (ex.args[0] if ex.args else ex))
            return False
        self.seg, self.size, self.ref, self.snap_ref = new, 0, ref, ref
        self.compactions += 1
        self._prune()
        return True

    def _prune(self):
        low = self.seg - self.keep
        for name in _listdir(self.fs, self.root):
            n = _num(name, "j", ".log")
            if n is None:
                n = _num(name, "s", ".snp")
            if n is not None and n < low:
                try:
                    self.fs.remove(self._path(name))
                except OSError:
                    pass
        if self.plans is not None and hasattr(self.plans, "prune"):
            self.plans.prune([self.ref, self.snap_ref])

    # -- reading back --
    def iter_entries(self):
        """(seq, record) of every record still on flash (kept older segments too), oldest first."""
        for n in _nums(_listdir(self.fs, self.root), "j", ".log"):
            try:
                data = _read(self.fs, self._path(_seg_name(n)))
            except OSError:
                continue
            spans, _ = scan_spans(data)
            for s, a, b in spans:
                try:
                    rec = decode(bytes(data[a:b]).decode())
                except (ValueError, KeyError, TypeError):
                    continue
                yield s, rec

    def entries(self):
        return list(self.iter_entries())

    def records(self):
        return [rec for _, rec in self.iter_entries()]


# ---- boot ----


def mount(bdev, path="/", progsize=256):
    """Mount littlefs from block device `bdev` at `path` as the Pico's _boot.py does (progsize 256);
    format it when it cannot be mounted. -> True when it had to be formatted (state lost: report it)."""
    import vfs

    try:
        fs = vfs.VfsLfs2(bdev, progsize=progsize)
        formatted = False
    except OSError:
        vfs.VfsLfs2.mkfs(bdev, progsize=progsize)
        fs = vfs.VfsLfs2(bdev, progsize=progsize)
        formatted = True
    vfs.mount(fs, path)
    return formatted


def recover(root=DEFAULT_ROOT, fs=None, verify=None, seg_bytes=SEG_BYTES, keep=KEEP, clock_jump_s=300,
            copies=COPIES):
    """Boot recovery, before the controller acts: remove stale temp files, read snapshot + journal,
    rebuild the State, check the active plan. -> (state, journal, plans, faults); faults: text of each
    storage problem (the app logs fault {kind: storage} and alarms the caregiver when not empty)."""
    if fs is None:
        fs = OsFS()
    loaded = _VALIDATOR in sys.modules
    ensure_dir(fs, root)
    stale = remove_stale(fs, root)
    plans = PlanStore(root, fs, verify)
    journal = FlashJournal(root, fs, plans, seg_bytes, keep, copies)
    st = journal.load(clock_jump_s)
    journal.stale = stale
    if journal.ref is not None:
        ref = journal.ref
        if plans.get(ref[0], ref[1]) is not None:
            plans.check(ref[0], ref[1])
    if not loaded:
        _let_go(_VALIDATOR)
    return st, journal, plans, journal.take_faults() + plans.take_faults()


def _let_go(name):
    # On the device, drop a module imported only for the boot check (the plan validator, ~20 KB of
    # heap): the controller imports it again when a plan arrives. CPython keeps it (tests rely on
    # module identity there, and memory does not matter).
    if sys.implementation.name != "micropython" or name not in sys.modules:
        return
    del sys.modules[name]
    pkg, leaf = name.rsplit(".", 1)
    parent = sys.modules.get(pkg)
    if parent is not None and hasattr(parent, leaf):
        delattr(parent, leaf)
