# The device's state machine. Inputs in (time passes, TAKE, stop request, silence, plan loaded, clock
# set/confirmed, power on, motor done/failed, refill); actions out:
#   ("record", rec)            an event record (already applied to the state; the shell stores it)
#   ("move", slot|None, k)     turn the carousel forward to present compartment k (0: home); the shell
#                              answers with motor_done() or motor_failed()
#   ("close",)                 turn to the closed position between compartments
#   ("sound", "chime")         play the chime once
#   ("alarm", prio|None)       repeat this priority's pattern until told otherwise (None: silence)
#   ("show", screen, fields)   what the display shows
# Every input takes the device clock `wall` (device seconds, settable) and `mono` (monotonic seconds
# since boot). Time-driven events at an instant come before the person's action at that instant.
# Durable state changes only through recorded events (journal.State.apply), so a reboot rebuilds it.

import json

from steadydose import alarm as A
from steadydose import gate
from steadydose.profile import GABAPENTIN
from steadydose.regimen import parse_plan
from steadydose.taper import taper_levels
from steadydose.timebase import DAY, format_date, format_utc, parse_utc

# Clocks reading before this were never set (R-CLOCK before_build_date). Kept early so plans written
# for any date since the project began are accepted.
BUILD_DATE = parse_utc("2025-01-01T00:00:00Z")
NOTE_S = 60  # a refusal or confirmation stays on the screen this long
COMPARTMENTS = 28


class Controller:
    def __init__(self, state, journal, profile=GABAPENTIN, compartments=COMPARTMENTS, verify=None,
                 require_signature=False):
        self.st = state
        self.journal = journal  # storage: append(rec)
        self.p = profile
        self.n = compartments
        self.verify = verify  # verify(payload_text, key_id, sig_b64) -> bool, for signed plans
        self.require_signature = require_signature
        self.silence_s = profile.default_silence_min * 60
        self.alarms = A.Alarms()
        self.e0 = 0
        self.wall = 0
        self.elapsed = 0
        self.scan_from = None  # missed-slot scan done up to this device time
        self.homed = False
        self.motion = None  # (kind "home"|"dispense", Slot or None) while the motor turns
        self.ready_at = None  # (slot, device time) when that slot's dose became available
        self._next_close = None  # (schedule, from, time): no window of that schedule closes in between
        self._many_day = None  # (plan, local day, 3+ doses that day)
        self._due = None  # next_due(), worked out at the end of each input
        self._due_other = None  # the same without screen notes: before it, ticks need no _advance
        self._fields = None  # (slot, its screen fields), the last asked for
        self._supply_due = None  # device time the supply stops covering 24 h (checked then)
        self.tries = 0
        self.then = None  # slot to present once homing is done
        self.pending = []  # records made while the motor turns: stored after (no flash writes then)
        self.deferred_plans = []  # plans that arrived while the motor turned, stored after it
        self.note = None  # (screen, fields, until elapsed)
        self.shown = None
        self.sounding = -1
        self.out = []
        self.last_violations = []

    # ---- plumbing ----
    def _begin(self, wall, mono):
        # start handling one input: actions of this input collect in self.out
        self.out = []
        self._at(wall, mono)
        self._advance()

    def _at(self, wall, mono):
        self.wall = wall
        self.elapsed = self.e0 + mono

    def _end(self):
        # a quiet moment (motor still, nothing held back): fold the journal into a snapshot when due
        due = getattr(self.journal, "due", None)
        if self.motion is None and not self.pending and due is not None and due():
            self.journal.compact(self.st)
        lvl = self.alarms.sounding(self.elapsed)
        if lvl != self.sounding:
            self.sounding = lvl
            self.out.append(("alarm", A.NAMES[lvl] if lvl >= 0 else None))
        scr = self._screen()
        if scr != self.shown:
            self.shown = scr
            self.out.append(("show", scr[0], scr[1]))
        # while the motor turns, motor_done/motor_failed come next and work it out then
        self._due = self._next_due() if self.motion is None else None
        if self.motion is not None:
            self._due_other = None
        return self.out

    def _record(self, event, **fields):
        rec = {"t": self.wall, "e": self.elapsed, "event": event}
        for k in fields:
            rec[k] = fields[k]
        self.st.apply(rec)
        if self.motion is None:
            self.journal.append(rec)
        else:
            self.pending.append(rec)  # RP2040 flash writes stall interrupts: never while stepping
        self.out.append(("record", rec))
        return rec

    def _raise(self, cause, prio):
        if self.alarms.raise_(cause, prio):
            self._record("alarm", priority=A.NAMES[prio], cause=cause)

    def _clear(self, cause, latch=False):
        if self.alarms.clear(cause, latch) and self.alarms.level() < A.LOW:
            self._record("alarm_cleared", cause=cause)

    def _show_note(self, screen, fields):
        self.note = (screen, fields, self.elapsed + NOTE_S)

    # ---- time ----
    def _advance(self):
        st, w = self.st, self.wall
        if st.trusted and w < BUILD_DATE:
            self._untrust("before_build_date")
        sched = st.sched
        cur = None
        ready = False  # the current slot can be had now (R-MIN-INTERVAL: its window opens later)
        if sched is not None:
            cur = sched.slot_at(w)
            if st.trusted:
                self._scan_missed(w, "window_closed")
                opened = cur is not None and self._open(cur) and self._wait(cur, False) <= 0
                ready = opened and self._wait(cur) <= 0
                if opened and cur.name not in st.announced:
                    self._record("window_open", slot=cur.name, mg=cur.mg)
                    self.out.append(("sound", "chime"))
                    self._check_supply()
        # dose-due escalation: LOW 15 min, MEDIUM 30 min after the dose time (or after the dose became
        # available, when the interval or the 24 h limit held it back), on the device clock
        if ready:
            ref = cur.t
            if self.ready_at is None or self.ready_at[0] != cur.name:
                self.ready_at = (cur.name, w)
            if self.ready_at[1] > ref:
                ref = self.ready_at[1]
            late = w - ref
            if late >= self.p.alarm_medium_min * 60:
                self._raise("dose_due", A.MEDIUM)
            elif late >= self.p.alarm_low_min * 60:
                self._raise("dose_due", A.LOW)
        elif "dose_due" in self.alarms.active:
            self._clear("dose_due")
        if self._supply_due is not None and w >= self._supply_due:
            self._check_supply()
        self._check_gap()
        self._check_cannot(cur)
        if self.note is not None and self.elapsed >= self.note[2]:
            self.note = None

    def _wait(self, slot, rolling=True):
        # Seconds of elapsed time before R-MIN-INTERVAL (and R-ROLLING-24H) allow this slot's dose (<= 0:
        # allowed now). The interval holds the window itself back ("opens later, never earlier"); the
        # 24 h limit holds back the "dose ready" screen and the alarms that ask for the dose.
        st = self.st
        if st.last_e is None or st.plan is None:
            return 0
        wait = st.last_e + st.plan.min_interval_s - self.elapsed
        if rolling and gate.dosed_within(st.doses, self.elapsed, self.p.rolling_s) + slot.mg > st.plan.max_daily_mg:
            roll = gate.rolling_wait(st.doses, self.elapsed, slot.mg, st.plan.max_daily_mg, self.p.rolling_s)
            if roll > wait:
                wait = roll
        return wait

    def _open(self, slot):
        st = self.st
        return not st.done(slot) and slot.name not in st.missed  # done: dispensed, or being dispensed

    def _scan_missed(self, upto, reason):
        st = self.st
        lo = self.scan_from
        if lo is None or lo < st.since:
            lo = st.since  # slots that closed before the plan ran produce no events
        nc = self._next_close
        if nc is not None and nc[0] is st.sched and lo >= nc[1] and upto < nc[2]:
            self.scan_from = upto  # no window closes before nc[2]: nothing to look at
            return
        if upto > lo:
            for s in st.sched.closing_between(lo, upto):
                if self._open(s):
                    self._record("missed", slot=s.name, reason=reason)
                    self._clear("dose_due")
                    self.alarms.raise_("missed", A.MEDIUM)
                    self._record("alarm", priority="medium", cause="missed")
                    self.alarms.clear("missed", latch=True)
        if self.scan_from is None or upto > self.scan_from:
            self.scan_from = upto
        nxt = st.sched.next_close(upto)
        self._next_close = (st.sched, upto, nxt) if nxt is not None else None

    def _check_gap(self):
        # R-GAP-ALARM: on a plan with 3+ doses a day, 12 h of elapsed time without a dispense
        st = self.st
        if st.sched is None or st.gap_from is None:
            return
        if self._many() and self.elapsed - st.gap_from >= self.p.gap_alarm_min * 60:
            self._raise("gap", A.HIGH)
        elif "gap" in self.alarms.active:
            self._clear("gap")

    def _many(self):
        # R-GAP-ALARM applies on a plan giving 3+ doses today
        st = self.st
        day = st.sched.local_day(self.wall)
        c = self._many_day
        if c is None or c[0] is not st.plan or c[1] != day:
            c = self._many_day = (st.plan, day, len(st.plan.doses_on(day)) >= self.p.tid_min_doses)
        return c[2]

    def _blocked(self):
        st = self.st
        return not st.trusted or st.jammed or st.supply <= 0

    def _check_cannot(self, cur):
        # HIGH: a dose due within 1 h that the device cannot dispense
        st = self.st
        due = None
        if st.sched is not None:
            if cur is not None and self._open(cur):
                due = cur
            else:
                due = st.sched.next_slot(self.wall)
        if due is not None and self._blocked() and due.t - self.wall <= self.p.alarm_high_before_min * 60:
            self._raise("cannot_dispense", A.HIGH)
        elif "cannot_dispense" in self.alarms.active:
            self._clear("cannot_dispense")

    def _check_supply(self):
        # supply_low when the doses left cover less than 24 h of the plan: when the dose after the last
        # one left is due within 24 h. Otherwise note when that will be (a time-driven check).
        st = self.st
        self._supply_due = None
        if st.sched is None or st.supply_low or st.supply > 24 * 60 // self.p.min_interval.lo:
            return  # no plan, already said, or more doses left than any plan asks for in 24 h
        uncovered = None  # the first dose the supply does not cover
        left = st.supply
        d = st.sched.local_day(self.wall)
        for day in range(d, d + 2 + st.supply):
            for s in st.sched.slots(day):
                if s.t >= self.wall and self._open(s):
                    if left == 0:
                        uncovered = s
                        break
                    left -= 1
            if uncovered is not None:
                break
        if uncovered is None:
            return
        if uncovered.t - self.wall < self.p.supply_low_s:
            self._record("supply_low", doses_left=st.supply)
            self._raise("supply", A.LOW)
        else:
            self._supply_due = uncovered.t - self.p.supply_low_s + 1  # "less than 24 h": a second later

    def _untrust(self, reason):
        self._record("clock_untrusted", reason=reason)
        self._raise("clock_untrusted", A.MEDIUM)

    def next_due(self):
        """The next device time at which time alone may change something (None: nothing pending).
        Worked out once at the end of each input: only an input can change it."""
        return self._due

    def _next_due(self):
        st, w = self.st, self.wall
        cands = []
        if st.sched is not None:
            cur = st.sched.slot_at(w)
            if cur is not None and self._open(cur):
                cands.append(cur.closes)  # becomes missed then
                ref = cur.t
                wait = self._wait(cur)
                if wait > 0:
                    cands.append(w + wait)  # the dose becomes available later (interval, 24 h)
                    ref = max(ref, w + wait)
                elif self.ready_at is not None and self.ready_at[0] == cur.name:
                    ref = max(ref, self.ready_at[1])
                cands.append(ref + self.p.alarm_low_min * 60)
                cands.append(ref + self.p.alarm_medium_min * 60)
            nxt = st.sched.next_slot(w)
            if nxt is not None:
                cands.append(nxt.opens)
                if self._blocked():
                    cands.append(nxt.t - self.p.alarm_high_before_min * 60)
            if st.gap_from is not None and self._many():
                cands.append(w + st.gap_from + self.p.gap_alarm_min * 60 - self.elapsed)
        if self._supply_due is not None:
            cands.append(self._supply_due)
        if self.alarms.paused_until is not None:
            cands.append(w + self.alarms.paused_until - self.elapsed)
        best = None
        for c in cands:
            if c > w and (best is None or c < best):
                best = c
        self._due_other = best  # before this, time changes nothing but the screen
        if self.note is not None:
            c = w + self.note[2] - self.elapsed
            if c > w and (best is None or c < best):
                best = c
        return best

    # ---- inputs ----
    def power_on(self, wall, mono, rtc_lost=False):
        st = self.st
        prev = st.last_t
        # elapsed across the cut: elapsed at the last record plus the RTC time since (none if the RTC
        # lost power: then the gap is unknown and counting none is the safe side)
        e = st.last_rec_e
        if prev is not None and not rtc_lost and wall > prev:
            e += wall - prev
        self.e0 = e - mono
        self.wall, self.elapsed, self.out = wall, e, []
        self.scan_from = prev - DAY if prev is not None else wall
        self.homed = False
        self._record("power_on")
        f = st.in_flight
        if f is not None:
            # the power went while a dose was being presented: it counts as given (R-ONCE; the interval
            # and 24 h limit count it too). Never presented at all, the capsules stay in a compartment
            # that is skipped: a dose lost is safe, a dose given twice is not.
            self._record("dispensed", slot=f["slot"], mg=f["mg"], units=f["units"], pos=f["pos"], unconfirmed=True)
        if rtc_lost:
            self._untrust("rtc_lost_power")
        elif not st.trusted:
            self._raise("clock_untrusted", A.MEDIUM)
        self._advance()
        self._check_supply()
        self._start("home", None)
        return self._end()

    def tick(self, wall, mono):
        """Time passes (the app calls this every second or so; the simulator at next_due())."""
        if (self._due_other is None or wall < self._due_other) and wall >= self.wall:
            # nothing time-driven is due yet: only a screen note may have run out (cheap path)
            self.out = []
            self._at(wall, mono)
            if self.note is not None and self.elapsed >= self.note[2]:
                self.note = None
            return self._end()
        self._begin(wall, mono)
        return self._end()

    def take(self, wall, mono):
        self._begin(wall, mono)
        st = self.st
        if self.motion is not None:
            return self._end()  # already presenting: a second press changes nothing
        d = gate.decide(st.sched, st, self.wall, self.elapsed, st.trusted, st.jammed or not self.homed,
                        st.supply, self.p.rolling_s)
        if d.reason == gate.FAULT and st.supply > 0:
            # R-DEVICE: try the carousel again (home first); refused `fault` if it fails again. Never
            # with nothing left to present: that would count an empty compartment as a dose.
            if self.homed:
                self._start("dispense", d.slot)
            else:
                self.then = d.slot
                self._start("home", None)
        elif d.ok:
            self._start("dispense", d.slot)
        else:
            self._refuse(d)
        return self._end()

    def _refuse(self, d):
        fields = {"reason": d.reason, "rule": d.rule}
        if d.slot is not None:
            fields["slot"] = d.slot.name
        if d.opens_at is not None:
            fields["opens_at"] = d.opens_at
        if d.reason == gate.EMPTY and "empty" not in self.alarms.active:
            self._record("fault", kind="empty")
            self._raise("empty", A.MEDIUM)
        self._record("refused", **fields)
        note = dict(fields)
        if d.opens_at is not None and self.st.plan is not None:
            note["opens_local"] = self._local_hhmm(d.opens_at)  # the patient reads local time
        self._show_note("refused", note)

    def _start(self, kind, slot):
        if kind == "dispense":
            # Write-ahead, before the motor turns (no flash writes during a move): if the power goes
            # before `dispensed` is stored, the next boot knows this slot may have been presented.
            self._record("dispensing", slot=slot.name, mg=slot.mg, units=slot.units, pos=self.st.pos % self.n + 1)
        self.motion = (kind, slot)
        self.tries = 0
        self._emit_move()

    def _emit_move(self):
        kind, slot = self.motion
        k = 0 if kind == "home" else self.st.pos % self.n + 1
        self.out.append(("move", slot.name if slot is not None else None, k))

    def motor_done(self, wall, mono):
        self.out = []
        self._at(wall, mono)
        if self.motion is None:
            return self._end()
        kind, slot = self.motion
        self.motion = None
        self._flush()
        if kind == "home":
            self.homed = True
            if self.st.jammed:
                self._record("fault_cleared", kind=self.st.fault_kind)
                self._clear("jam")
            if self.then is not None:
                slot, self.then = self.then, None
                self._advance()
                d = gate.decide(self.st.sched, self.st, self.wall, self.elapsed, self.st.trusted, False,
                                self.st.supply, self.p.rolling_s)
                if d.ok and d.slot.name == slot.name:
                    self._start("dispense", slot)
                elif not d.ok:
                    self._refuse(d)
            else:
                self._advance()
            return self._end()
        # the record that marks the slot dispensed is written only now that the move completed
        if self.st.jammed:
            self._record("fault_cleared", kind=self.st.fault_kind)
            self._clear("jam")
        self._record("dispensed", slot=slot.name, mg=slot.mg, units=slot.units, pos=self.st.pos % self.n + 1)
        self.out.append(("close",))
        self._clear("dose_due")
        self._clear("gap")
        if self.alarms.acknowledge(("missed",)) and self.alarms.level() < A.LOW:
            self._record("alarm_cleared", cause="missed")
        taken = {"slot": slot.name, "mg": slot.mg, "units": slot.units}
        nxt = self.st.sched.next_slot(self.wall) if self.st.sched is not None else None
        if nxt is not None:
            taken["next"] = self._local_hhmm(nxt.t)
        self._show_note("taken", taken)
        self._check_supply()
        # time stood still since the take's own _advance: only what the dose changed needs a look (a
        # carousel now empty with the next dose within the hour is a HIGH alarm)
        self._check_cannot(None)
        return self._end()

    def motor_failed(self, wall, mono):
        self.out = []
        self._at(wall, mono)
        if self.motion is None:
            return self._end()
        if self.tries == 0:
            self.tries = 1  # one retry before calling it a jam
            self._emit_move()
            return self._end()
        kind, slot = self.motion
        slot = slot or self.then
        self.motion, self.then = None, None
        self._flush()
        if kind == "home":
            self.homed = False
        if not self.st.jammed:
            self._record("fault", kind="jam" if kind == "dispense" else "home_lost")
        self._raise("jam", A.MEDIUM)
        if slot is not None:
            self._record("refused", reason=gate.FAULT, rule=gate.RULE_OF[gate.FAULT], slot=slot.name)
            self._show_note("refused", {"reason": gate.FAULT, "rule": "R-DEVICE", "slot": slot.name})
        self._advance()
        return self._end()

    def _flush(self):
        # what was held back while the motor turned: plans first (a plan_loaded record needs its plan)
        for raw, signed in self.deferred_plans:
            try:
                self.st.plans.put(raw, signed)
            except OSError as ex:
                self._storage_fault("plan not stored (%s)" % (ex.args[0] if ex.args else ex))
        self.deferred_plans = []
        for rec in self.pending:
            self.journal.append(rec)
        self.pending = []

    def storage_fault(self, wall, mono, faults):
        """Storage damage found at boot or a failed write (storage faults): logged and alarmed; dosing
        goes on with what the records prove."""
        self._begin(wall, mono)
        self._storage_fault(faults[0] if faults else "")
        return self._end()

    def _storage_fault(self, detail):
        self._record("fault", kind="storage", detail=detail[:80])
        self._raise("storage", A.MEDIUM)
        self.alarms.clear("storage", latch=True)  # MEDIUM latches until acknowledged

    def request_stop(self, wall, mono):
        self._begin(wall, mono)
        st = self.st
        self._record("stop_requested")
        if st.taper is not None or st.plan is None:
            return self._end()  # R-STOP: during a taper a stop request changes nothing
        today = st.sched.local_day(self.wall)
        doses = st.plan.doses_on(today)
        if not doses:
            return self._end()  # therapy has already ended
        levels = None
        if st.plan.taper is not None:
            levels = taper_levels(doses, st.plan.unit_mg, st.plan.taper, self.p)
        if levels is None:  # (the taper plan the state builds from these levels exists exactly then)
            self._record("stop_refused", rule="R-STOP",
                         message="Stopping suddenly is not safe. Contact your prescriber.")
            self._show_note("stop_refused", {})
            return self._end()
        steps = []
        for days, lvl in levels:
            total = 0
            for _, mg in lvl:
                total += mg
            steps.append({"days": days, "daily_mg": total})
        self._record("taper_started", steps=steps, **{"from": format_date(today + 1)})
        self._show_note("taper", {"steps": steps})
        return self._end()

    def silence(self, wall, mono):
        self._begin(wall, mono)
        if self.alarms.latched and not self.alarms.active:
            self.alarms.acknowledge()
            self._record("alarm_cleared", cause="acknowledged")
        elif self.alarms.pause(self.elapsed, self.silence_s):
            self._record("alarm_paused")
        return self._end()

    def set_silence_minutes(self, minutes):
        """A caregiver's audio-pause length: 1-5 minutes (CLINICAL_RULES.md Alarms). False if refused."""
        if isinstance(minutes, bool) or not isinstance(minutes, int) or self.p.silence_min.classify(minutes):
            return False
        self.silence_s = minutes * 60
        return True

    def refill(self, wall, mono, doses):
        self._begin(wall, mono)
        self._record("refilled", doses=doses)
        self._clear("empty")
        self._clear("supply")
        self._check_supply()
        return self._end()

    def set_clock(self, to, wall, mono):
        """The RTC was set from `wall` to `to` (both device times)."""
        self._begin(wall, mono)
        was = self.st.trusted
        self.wall = to
        self._record("clock_set", **{"from": format_utc(wall), "to": format_utc(to)})
        if was and not self.st.trusted:  # the record itself untrusted the clock: a jump
            self._untrust(self.st.untrusted_reason)
        self._advance()
        return self._end()

    def confirm_clock(self, wall, mono):
        self._begin(wall, mono)
        st = self.st
        was = st.trusted
        since = st.last_trusted
        self._record("clock_confirmed")
        if not was:
            self._clear("clock_untrusted")
            if st.sched is not None:
                # slots that closed while time was unknown are missed for good (R-CLOCK)
                if since is not None and (self.scan_from is None or since < self.scan_from):
                    self.scan_from = since
                self._scan_missed(self.wall, "clock_jump")
            self.scan_from = self.wall
            self._advance()
        return self._end()

    def load_plan(self, obj, wall, mono):
        """A plan or signed plan arrived (USB, scenario). Valid: it takes effect at once."""
        self._begin(wall, mono)
        from steadydose.plan import check_plan  # the validator is loaded only when a plan arrives

        raw, violations = self._unwrap(obj)
        if raw is not None:
            violations = check_plan(raw)
        if not violations:
            violations = self._device_checks(raw)
        self.last_violations = violations
        if violations:
            ids = []
            for v in violations:
                if v[0] not in ids:
                    ids.append(v[0])
            fields = {"violations": ids}
            if raw is not None and isinstance(raw, dict) and isinstance(raw.get("plan_id"), str):
                fields["plan_id"] = raw["plan_id"]
            self._record("plan_rejected", **fields)
            self._show_note("plan_rejected", {"violations": ids})
            return self._end()
        signed = obj if obj is not raw else None  # stored as received: the prescriber's signed bytes
        if self.motion is None:
            try:
                self.st.plans.put(raw, signed)
            except OSError as ex:  # the flash would not take it: the old plan stays, the caregiver is told
                self._storage_fault("plan not stored (%s)" % (ex.args[0] if ex.args else ex))
                return self._end()
        else:  # no flash writes while the stepper turns: held in RAM, stored right after the move
            self.st.staged[(raw["plan_id"], raw["version"])] = raw
            self.deferred_plans.append((raw, signed))
        self._record("plan_loaded", plan_id=raw["plan_id"], version=raw["version"])
        if raw.get("discontinue") == "immediate":
            self._record("discontinued")  # R-DISCONTINUE: a prescriber's signed order
        self.scan_from = self.wall
        self._clear("dose_due")
        self._advance()
        self._check_supply()
        self._show_note("plan_loaded", {"plan_id": raw["plan_id"], "version": raw["version"]})
        return self._end()

    def _unwrap(self, obj):
        from steadydose.plan import unwrap_signed

        if isinstance(obj, dict) and obj.get("format") == "steadydose.signed/1":
            try:
                payload, key_id, sig = unwrap_signed(obj)
            except ValueError as ex:
                return None, [("PLAN-FORMAT", "signed", str(ex))]
            if self.verify is not None and not self.verify(payload, key_id, sig):
                return None, [("PLAN-SIGNATURE", "sig", "the prescriber's signature does not match")]
            if self.verify is None and self.require_signature:
                return None, [("PLAN-SIGNATURE", "sig", "no prescriber key is provisioned")]
            try:
                return json.loads(payload), []
            except ValueError:
                return None, [("PLAN-FORMAT", "payload", "the signed payload is not JSON")]
        if self.require_signature:
            return None, [("PLAN-SIGNATURE", "", "the plan is not signed")]
        return obj, []

    def _device_checks(self, raw):
        # PLAN-VERSION and R-TRANSITION need what the device remembers.
        st = self.st
        out = []
        seen = st.versions.get(raw["plan_id"])
        if seen is not None and raw["version"] <= seen:
            out.append(("PLAN-VERSION", "version", "version %d is not above version %d already loaded"
                        % (raw["version"], seen)))
        if st.plan is not None and raw.get("discontinue") != "immediate":
            new = parse_plan(raw)
            today = st.plan.tz.to_local(self.wall)[0]
            day = new.tz.to_local(self.wall)[0]
            if day < new.start_day:
                day = new.start_day
            from steadydose.plan import check_transition

            out.extend(check_transition(st.plan.total_on(today), new.total_on(day), self.p))
        return out

    # ---- display ----
    def _screen(self):
        st = self.st
        if self.motion is not None and self.motion[0] == "dispense":
            s = self.motion[1]
            return ("dispensing", {"slot": s.name, "mg": s.mg, "units": s.units})
        if self.note is not None:
            return (self.note[0], self.note[1])
        if st.jammed:
            return ("fault", {"kind": "jam"})
        if not st.trusted:
            return ("clock", {"reason": st.untrusted_reason})
        if st.sched is None:
            if st.discontinued:
                return ("stopped", {})
            if st.base_ref is not None:
                return ("fault", {"kind": "storage"})  # a plan was loaded but cannot be read back
            return ("no_plan", {})
        if st.supply <= 0:
            return ("empty", {})
        sched = st.sched
        cur = sched.slot_at(self.wall)
        if cur is not None and self._open(cur):
            wait = self._wait(cur)
            if wait <= 0:
                return ("dose_ready", self._slot_fields(cur))
            f = self._slot_fields(cur)
            f["time"] = self._local_hhmm(self.wall + wait)  # when the interval and 24 h limit allow it
            return ("idle", f)
        nxt = sched.next_slot(self.wall)
        if nxt is None:
            return ("ended", {})
        f = self._slot_fields(nxt)
        if st.taper is not None:
            f["taper"] = True
        return ("idle", f)

    def _local_hhmm(self, t):
        secs = self.st.plan.tz.to_local(t)[1]
        return "%02d:%02d" % (secs // 3600, secs // 60 % 60)

    def _slot_fields(self, s):
        c = self._fields
        if c is None or c[0] is not s:
            c = self._fields = (s, {"slot": s.name, "mg": s.mg, "units": s.units, "time": self._local_hhmm(s.t)})
        return dict(c[1])  # a copy: callers may add to it
