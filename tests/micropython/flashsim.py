# Flash on a RAM block device, power cuts, and the controller driven through the real storage.
# Runs inside MicroPython only (the unix port has vfs.VfsLfs2); storedrive.py is the part CPython shares.
#
#   FlashSim(blocks, data=None, log=False)   block device with the Pico's geometry (4096-byte blocks),
#       MicroPython's extended interface (readblocks/writeblocks with offset, ioctl 4/5/6). Counts
#       erases and programs; `cut_at = k` kills the power at the k-th write operation (erase or
#       program, from 0), `torn = True` does half of that operation first; after the cut every write
#       raises OSError(EIO). `log=True` keeps every write operation so images can be replayed:
#       image_before(base, log, k, torn) is the flash a cut at operation k leaves.
#       Programming bytes not erased ANDs them, as NOR flash does (and is counted in `overwrites`).
#   mount(dev, path, fresh=False) / umount(path)   littlefs as the Pico mounts it (progsize 256).
#   golden() / sweep() / validate_replay()   the power-cut sweep (tests/test_storage_micropython.py):
#       storedrive.py's sequence on littlefs, then a boot from the flash every cut leaves.
#   damage()   bit flips, bursts and truncations of the stored files (same test file).
#   wear(), full_segment_image()   erases and programs per dose and per day, boot heap
#       (benchmarks/bench_storage.py).
# ruff: noqa: UP031

import vfs
from storedrive import START, StorageDrive, check_boot, count, damage_trials, run_sequence

BS = 4096
EIO = 5


class FlashSim:
    def __init__(self, blocks=64, data=None, log=False):
        self.bs = BS
        self.n = blocks
        if data is not None:
            self.data = bytearray(data)
            self.n = len(data) // BS
        else:
            self.data = bytearray(b"\xff" * (blocks * BS))
        self.erases = 0
        self.progs = 0
        self.prog_bytes = 0
        self.reads = 0
        self.overwrites = 0  # programs onto bytes not erased (littlefs never should)
        self.ops = 0
        self.cut_at = None
        self.torn = False
        self.dead = False
        self.log = [] if log else None
        self.wear = [0] * self.n  # erases per block

    def readblocks(self, block, buf, off=0):
        a = block * BS + off
        buf[:] = self.data[a:a + len(buf)]
        self.reads += 1

    def _cut(self):
        # -> True: do the operation; False: power dies now (after half of it when torn)
        if self.dead:
            raise OSError(EIO)
        k = self.ops
        self.ops += 1
        if self.cut_at is not None and k >= self.cut_at:
            self.dead = True
            return False
        return True

    def writeblocks(self, block, buf, off=None):
        if off is None:  # the simple interface: erase, then program the whole block
            self.ioctl(6, block)
            off = 0
        a = block * BS + off
        n = len(buf)
        if not self._cut():
            if self.torn:
                self.data[a:a + n // 2] = buf[:n // 2]
            raise OSError(EIO)
        old = self.data[a:a + n]
        if old != b"\xff" * n:
            # NOR flash: programming only clears bits
            self.overwrites += 1
            buf = (int.from_bytes(old, "big") & int.from_bytes(bytes(buf), "big")).to_bytes(n, "big")
        self.data[a:a + n] = buf
        self.progs += 1
        self.prog_bytes += n
        if self.log is not None:
            self.log.append((block, off, bytes(buf)))

    def ioctl(self, op, arg):
        if op == 4:
            return self.n
        if op == 5:
            return BS
        if op == 6:
            a = arg * BS
            if not self._cut():
                if self.torn:
                    self.data[a:a + BS // 2] = b"\xff" * (BS // 2)
                raise OSError(EIO)
            self.data[a:a + BS] = b"\xff" * BS
            self.erases += 1
            self.wear[arg] += 1
            if self.log is not None:
                self.log.append((arg, -1, None))
            return 0
        return 0

    def counts(self):
        return {"erases": self.erases, "progs": self.progs, "prog_bytes": self.prog_bytes}


def apply_op(data, op, torn=False):
    block, off, buf = op
    if buf is None:
        a = block * BS
        n = BS // 2 if torn else BS
        data[a:a + n] = b"\xff" * n
    else:
        a = block * BS + off
        n = len(buf) // 2 if torn else len(buf)
        data[a:a + n] = buf[:n]


def image_before(base, log, k, torn=False):
    img = bytearray(base)
    for i in range(k):
        apply_op(img, log[i])
    if torn:
        apply_op(img, log[k], True)
    return img


MTIME = [True]  # littlefs file times as on the Pico; False makes images byte-for-byte repeatable


def mount(dev, path, fresh=False):
    if fresh:
        vfs.VfsLfs2.mkfs(dev, progsize=256)
    fs = vfs.VfsLfs2(dev, progsize=256, mtime=MTIME[0])
    vfs.mount(fs, path)
    return fs


def umount(path):
    try:
        vfs.umount(path)
    except OSError:
        pass


# ---- the power-cut sweep ----

ROOT = "/flash/data"
CUT_ROOT = "/cut/data"


def _remounter(dev, path):
    def remount():
        umount(path)
        mount(dev, path)

    return remount


def golden(blocks=64, seg_bytes=2048, keep=2, idle_compact=True):
    """The sequence on a fresh littlefs with every write operation logged. -> (drive, base image)"""
    dev = FlashSim(blocks, log=True)
    vfs.VfsLfs2.mkfs(dev, progsize=256)
    base = bytes(dev.data)
    dev.log = []
    dev.ops = 0
    umount("/flash")
    mount(dev, "/flash")
    d = StorageDrive(START, ROOT, dev=dev, seg_bytes=seg_bytes, keep=keep, mirror=True)
    d.idle_compact = idle_compact
    d.remount = _remounter(dev, "/flash")
    run_sequence(d)
    umount("/flash")
    return d, base


def check_cut(d, img, k, torn, seg_bytes, keep, tally):
    """Boot the flash a cut at write operation k left, and check it. Failures print FAIL lines."""
    import mpytest

    tag = "cut %d%s" % (k, " torn" if torn else "")
    acked = 0
    tried = 0
    for i in range(len(d.spans)):
        s, e = d.spans[i]
        if e <= k:
            acked = i + 1
        if s <= k:
            tried = i + 1
    dev = FlashSim(data=img)
    umount("/cut")
    try:
        mount(dev, "/cut")
    except OSError as ex:
        mpytest.check(False, "%s: littlefs does not mount (%s)" % (tag, ex))
        return
    try:
        check_boot(d, CUT_ROOT, None, tag, acked, tried, tally, seg_bytes, keep)
        if dev.overwrites:
            count(tally, "boots that programmed over unerased bytes")
    finally:
        umount("/cut")


def sweep(chunk=0, chunks=1, blocks=64, seg_bytes=2048, keep=2, idle_compact=True):
    """Every write operation k of the sequence with k % chunks == chunk: a clean cut and a torn one.
    The sequence runs once with every write logged; the flash a cut at k leaves is that log replayed
    up to k (validate_replay shows it is what a real cut leaves). -> summary dict"""
    import mpytest

    d, base = golden(blocks, seg_bytes, keep, idle_compact)
    log = d.dev.log
    mpytest.check(not d.problems, "golden run: %r" % d.problems)
    mpytest.check(d.dev.overwrites == 0, "golden run programmed over bytes not erased")
    mpytest.check(all(not f for f in d.boot_faults), "golden run faults: %r" % d.boot_faults)
    tally = {}
    img = bytearray(base)
    cuts = 0
    for k in range(len(log) + 1):
        if k % chunks == chunk:
            check_cut(d, img, k, False, seg_bytes, keep, tally)
            cuts += 1
            if k < len(log):
                torn = bytearray(img)
                apply_op(torn, log[k], True)
                check_cut(d, torn, k, True, seg_bytes, keep, tally)
                cuts += 1
        if k < len(log):
            apply_op(img, log[k])
    return {"ops": len(log), "cuts": cuts, "records": len(d.written), "erases": d.dev.erases,
            "progs": d.dev.progs, "compactions": d.compactions, "tally": tally}


def validate_replay(every=10, blocks=64, seg_bytes=2048, keep=2):
    """With littlefs file times off (so runs are repeatable byte for byte), cut the power for real
    at every `every`-th write operation and compare the flash left with the replayed image."""
    import mpytest

    MTIME[0] = False
    try:
        d, base = golden(blocks, seg_bytes, keep)
        log = d.dev.log
        tally = {}
        n = 0
        for k in range(0, len(log), every):
            for tr in (False, True):
                data, _ = live_cut(k, tr, blocks, seg_bytes, keep)
                want = image_before(base, log, k, tr)
                mpytest.check(data == want, "live cut %d torn=%r: other flash than the replayed log" % (k, tr))
                check_cut(d, data, k, tr, seg_bytes, keep, tally)
                n += 1
        return {"live_cuts": n, "tally": tally}
    finally:
        MTIME[0] = True


def live_cut(k, torn, blocks, seg_bytes, keep):
    """The sequence again with the power cut for real at write operation k. -> the flash bytes"""
    dev = FlashSim(blocks, log=True)
    vfs.VfsLfs2.mkfs(dev, progsize=256)
    dev.log = []
    dev.ops = 0
    dev.cut_at = k
    dev.torn = torn
    umount("/live")
    mount(dev, "/live")
    d = StorageDrive(START, "/live/data", dev=dev, seg_bytes=seg_bytes, keep=keep)
    d.remount = _remounter(dev, "/live")
    try:
        run_sequence(d, stop=lambda: dev.dead)
    except OSError:
        if not dev.dead:
            raise
    if d.store is not None:
        d.store.close()
    umount("/live")
    return dev.data, dev.log


# ---- damage ----


def damage(trials=60, seed=1, multi=False, blocks=64, seg_bytes=2048, keep=2):
    """The sequence on littlefs, then `trials` fresh copies of its flash, each with stored files
    damaged (storedrive.damage_trials), booted and checked. -> tally"""
    d, _ = golden(blocks, seg_bytes, keep)
    final = bytearray(d.dev.data)
    tally = {}

    def fresh():
        umount("/dmg")
        mount(FlashSim(data=final), "/dmg")
        return "/dmg/data", None

    try:
        damage_trials(d, None, None, seg_bytes, keep, trials, seed, fresh, tally, multi)
    finally:
        umount("/dmg")
    return tally


# ---- wear ----


def wear(days=60, blocks=352, seg_bytes=None, keep=2):
    """An adherent patient on a three-times-daily plan for `days` days, the journal on littlefs over a
    flash of `blocks` 4 KiB blocks (352: the Pico's 1408 KiB filesystem). -> figures (dict)"""
    from storedrive import PLAN_V1

    from steadydose import storage as S

    if seg_bytes is None:
        seg_bytes = S.SEG_BYTES
    dev = FlashSim(blocks)
    umount("/wear")
    mount(dev, "/wear", fresh=True)
    d = StorageDrive(START, "/wear/data", dev=dev, seg_bytes=seg_bytes, keep=keep)
    d.remount = _remounter(dev, "/wear")
    d.do("power_on")
    d.do("refill", 28)
    d.do("load_plan", PLAN_V1)
    setup = dev.counts()
    day0 = (START // 86400 + 1) * 86400  # the next midnight (UTC = London in March)
    d.advance(day0)
    e0, p0, b0, r0 = dev.erases, dev.progs, dev.prog_bytes, len(d.written)
    per_take = []
    doses = 0
    for day in range(days):
        base = day0 + day * 86400
        if day % 9 == 8:
            d.advance(base + 7 * 3600)
            d.do("refill", 28)
        for hh in (8, 14, 21):
            d.advance(base + hh * 3600 + 300)
            e, p = dev.erases, dev.progs
            n = len(d.written)
            d.do("take")
            per_take.append((dev.erases - e, dev.progs - p, len(d.written) - n))
            doses += 1
        d.advance(base + 86400 - 1)
    d.power_off()
    umount("/wear")
    erases, progs, pbytes, recs = dev.erases - e0, dev.progs - p0, dev.prog_bytes - b0, len(d.written) - r0
    worn = [w for w in dev.wear]
    used = [w for w in worn if w]
    return {
        "days": days, "blocks": blocks, "seg_bytes": seg_bytes, "doses": doses, "records": recs,
        "erases": erases, "progs": progs, "prog_bytes": pbytes, "setup": setup,
        "take_erases": sum(t[0] for t in per_take), "take_progs": sum(t[1] for t in per_take),
        "take_records": sum(t[2] for t in per_take), "compactions": d.compactions,
        "max_block": max(worn), "blocks_used": len(used), "problems": d.problems,
    }


def full_segment_image(path, days=30, blocks=352):
    """Write to `path` the flash of an adherent TID run caught when its journal segment is longest
    (the most a boot has to read). -> that segment's length"""
    from storedrive import PLAN_V1

    dev = FlashSim(blocks)
    umount("/img")
    mount(dev, "/img", fresh=True)
    d = StorageDrive(START, "/img/data", dev=dev)
    d.remount = _remounter(dev, "/img")
    d.do("power_on")
    d.do("refill", 28)
    d.do("load_plan", PLAN_V1)
    day0 = (START // 86400 + 1) * 86400
    best = 0
    for day in range(days):
        for hh in (8, 14, 21):
            d.advance(day0 + day * 86400 + hh * 3600 + 300)
            d.do("take")
            if day % 9 == 8 and hh == 8:
                d.do("refill", 28)
            if d.store.size > best:
                best = d.store.size
                f = open(path, "wb")
                f.write(dev.data)
                f.close()
    d.power_off()
    umount("/img")
    return best
