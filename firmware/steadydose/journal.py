# Journal, pure part: event records and the device state rebuilt from them.
# The controller changes its durable state *only* by recording events and applying them here, so the
# state after a power cycle (rebuilt from the stored records) is the state the device had before it.
# A record is a dict: {"t": device time (int), "e": elapsed seconds (int), "event": name, ...fields}.
# Storage (flash, files) sits behind a small interface: anything with append(rec) and records().

import json

from steadydose.regimen import parse_plan, taper_plan
from steadydose.schedule import Schedule
from steadydose.timebase import days_from_civil, format_utc, parse_date, parse_utc

_KEEP_DAYS = 4  # slot names kept for R-ONCE; slots of older days count as done (see State.floor)
_PRUNE_AT = 24  # names kept before pruning: a few days of a 4-a-day plan


class MemoryPlans:
    """Plan store behind the same interface as the flash one: plan objects by (plan_id, version)."""

    def __init__(self):
        self._plans = {}

    def put(self, obj, signed=None):
        self._plans[(obj["plan_id"], obj["version"])] = obj

    def get(self, plan_id, version):
        return self._plans.get((plan_id, version))


class MemoryJournal:
    """Record storage in RAM (simulator, tests); the flash journal has the same two methods."""

    def __init__(self, recs=None):
        self.recs = list(recs) if recs else []

    def append(self, rec):
        self.recs.append(rec)

    def records(self):
        return list(self.recs)


def encode(rec):
    # JSON text of a record with its times written out (DESIGN.md event format).
    out = dict(rec)
    out["t"] = format_utc(rec["t"])
    if "opens_at" in rec:
        out["opens_at"] = format_utc(rec["opens_at"])
    return json.dumps(out, separators=(",", ":"))  # compact: fewer bytes on flash


def decode(text):
    rec = json.loads(text)
    rec["t"] = parse_utc(rec["t"])
    if "opens_at" in rec:
        rec["opens_at"] = parse_utc(rec["opens_at"])
    return rec


class State:
    """Everything the device must remember across a power cut, derived from records alone."""

    def __init__(self, plans, clock_jump_s=300):
        self.plans = plans
        self.staged = {}  # (plan_id, version) -> plan accepted but not yet stored (motor turning)
        self.clock_jump_s = clock_jump_s  # R-CLOCK: sets beyond this untrust the clock
        self.base = None  # the prescriber's plan (Plan), or None
        self.base_ref = None  # [plan_id, version] of the last plan loaded
        self.plan = None  # the plan being run: the base or its generated taper
        self.sched = None  # Schedule of self.plan, or None when dosing is stopped
        self.taper = None  # taper_started fields, while a taper runs
        self.since = None  # device time the active plan started running
        self.discontinued = False
        self.versions = {}  # plan_id -> highest version ever loaded (PLAN-VERSION)
        self.trusted = True
        self.untrusted_reason = None
        self.last_trusted = None  # last device time at which the clock was trusted
        self.dispensed = {}  # slot name -> local day (R-ONCE)
        self.missed = {}  # slot name -> local day (R-MISSED)
        self.announced = {}  # slot name -> local day (window_open logged)
        self.floor = None  # slots of days before this were pruned: they count as done
        self.doses = []  # (elapsed, mg) of dispenses in the last 24 h (R-ROLLING-24H)
        self.last_e = None  # elapsed at the last dispense (R-MIN-INTERVAL)
        self.gap_from = None  # elapsed from which R-GAP-ALARM counts
        self.supply = 0  # filled compartments left
        self.pos = 0  # carousel compartment last presented (0: home)
        self.jammed = False
        self.fault_kind = None  # "jam" or "home_lost" while jammed
        self.in_flight = None  # the `dispensing` record of a move not yet reported done
        self.supply_low = False  # supply_low logged since the last refill
        self.last_t = None  # time of the last record (elapsed across power cuts)
        self.last_rec_e = 0
        self.boots = 0

    # -- applying records --
    def apply(self, rec):
        ev = rec["event"]
        fn = _APPLY.get(ev)
        if fn is not None:
            fn(self, rec)
        self.last_t = rec["t"]
        self.last_rec_e = rec["e"]
        if self.trusted and ev != "clock_set":
            self.last_trusted = rec["t"]

    def _set_plan(self, plan, t):
        self.plan = plan
        self.sched = Schedule(plan) if plan is not None else None
        self.since = t

    def _plan_loaded(self, rec):
        pid, ver = rec["plan_id"], rec["version"]
        if ver > self.versions.get(pid, 0):
            self.versions[pid] = ver
        self.base_ref = [pid, ver]  # kept even when the plan cannot be read back (a storage fault)
        obj = self.staged.pop((pid, ver), None) or self.plans.get(pid, ver)
        self.base = parse_plan(obj) if obj is not None else None
        self.taper = None
        self.discontinued = False
        self._set_plan(self.base, rec["t"])
        if self.gap_from is None or self.last_e is None:
            self.gap_from = rec["e"]

    def _taper_started(self, rec):
        if self.base is None:
            return
        obj = taper_plan(self.base, parse_date(rec["from"]) - 1, acknowledge=False)
        if obj is not None:
            self.taper = rec
            self.plan = parse_plan(obj)
            self.sched = Schedule(self.plan)  # `since` stays: slots before it stay silent

    def _discontinued(self, rec):
        self.discontinued = True
        self.taper = None
        self._set_plan(None, rec["t"])

    def _dispensed(self, rec):
        self.in_flight = None
        self._remember(self.dispensed, rec["slot"])
        e = rec["e"]
        self.doses = [d for d in self.doses if e - d[0] < 86400]
        self.doses.append((e, rec["mg"]))
        self.last_e = e
        self.gap_from = e
        self.supply -= 1
        if "pos" in rec:
            self.pos = rec["pos"]
        self.jammed = False
        self.fault_kind = None

    def _dispensing(self, rec):
        self.in_flight = rec  # cleared by `dispensed`, or by the jam that stopped the move

    def _refused(self, rec):
        if self.in_flight is not None and rec.get("slot") == self.in_flight["slot"]:
            self.in_flight = None  # the move failed: nothing was presented

    def _missed(self, rec):
        self._remember(self.missed, rec["slot"])

    def _window_open(self, rec):
        self._remember(self.announced, rec["slot"])

    def _remember(self, names, slot):
        day = days_from_civil(int(slot[:4]), int(slot[5:7]), int(slot[8:10]))  # names come from schedule
        names[slot] = day
        if len(names) > _PRUNE_AT:
            cut = day - _KEEP_DAYS
            for k in list(names):
                if names[k] < cut:
                    del names[k]
            if self.floor is None or cut > self.floor:
                self.floor = cut

    def _clock_set(self, rec):
        # The record is stamped with the new time. A jump untrusts the clock in the same record, so no
        # power cut between it and the `clock_untrusted` line can leave a jumped clock trusted.
        old, new = parse_utc(rec["from"]), parse_utc(rec["to"])
        if self.trusted:
            self.last_trusted = old
            if new - old > self.clock_jump_s:
                self._untrusted({"reason": "forward_jump"})
            elif old - new > self.clock_jump_s:
                self._untrusted({"reason": "backward_jump"})

    def _untrusted(self, rec):
        self.trusted = False
        self.untrusted_reason = rec["reason"]

    def _confirmed(self, rec):
        self.trusted = True
        self.untrusted_reason = None

    def _fault(self, rec):
        if rec["kind"] in ("jam", "home_lost"):
            self.jammed = True
            self.fault_kind = rec["kind"]

    def _fault_cleared(self, rec):
        self.jammed = False
        self.fault_kind = None

    def _refilled(self, rec):
        self.supply = rec["doses"]
        self.supply_low = False

    def _supply_low(self, rec):
        self.supply_low = True

    def _power_on(self, rec):
        self.boots += 1

    # -- derived views --
    def done(self, slot):
        """True when the slot was dispensed, or is older than what is remembered (R-ONCE)."""
        if self.in_flight is not None and self.in_flight["slot"] == slot.name:
            return True
        return slot.name in self.dispensed or (self.floor is not None and slot.day < self.floor)


_APPLY = {
    "plan_loaded": State._plan_loaded,
    "taper_started": State._taper_started,
    "discontinued": State._discontinued,
    "dispensing": State._dispensing,
    "dispensed": State._dispensed,
    "refused": State._refused,
    "missed": State._missed,
    "window_open": State._window_open,
    "clock_set": State._clock_set,
    "clock_untrusted": State._untrusted,
    "clock_confirmed": State._confirmed,
    "fault": State._fault,
    "fault_cleared": State._fault_cleared,
    "refilled": State._refilled,
    "supply_low": State._supply_low,
    "power_on": State._power_on,
}


def rebuild(records, plans, clock_jump_s=300):
    """The state after applying `records` in order (boot recovery)."""
    st = State(plans, clock_jump_s)
    for rec in records:
        st.apply(rec)
    return st
