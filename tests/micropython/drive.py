# Drives the controller through timed actions with a jumping clock, in code that runs on MicroPython
# and CPython alike: the differential tests feed both the same actions and compare every record.
# (sim/device.py does the same for the simulator but uses CPython-only features.)

from steadydose.controller import Controller
from steadydose.journal import MemoryJournal, MemoryPlans, rebuild
from steadydose.timebase import parse_utc

RTC_LOST = parse_utc("2000-01-01T00:00:00Z")


class Drive:
    def __init__(self, start, n=28):
        self.true = start
        self.off = 0  # RTC - true
        self.boot = start
        self.on = False
        self.lost = False
        self.jam = False
        self.n = n
        self.journal = MemoryJournal()
        self.plans = MemoryPlans()
        self.ctrl = None
        self.out = []  # [true time, record] in order
        self.sounds = []  # [true time, priority or None]
        self.screens = []  # screen names in the order shown

    def mono(self):
        return self.true - self.boot

    def wall(self):
        return self.true + self.off

    def perform(self, actions):
        q = list(actions)
        while q:
            a = q.pop(0)
            if a[0] == "record":
                self.out.append([self.true, a[1]])
            elif a[0] == "alarm":
                self.sounds.append([self.true, a[1]])  # what the buzzer repeats from then on
            elif a[0] == "show":
                self.screens.append(a[1])
            elif a[0] == "move":
                self.moving(a[2])
                fn = self.ctrl.motor_failed if self.jam else self.ctrl.motor_done
                q.extend(fn(self.wall(), self.mono()))

    def moving(self, k):
        """Called as the carousel turns to compartment k (0: home), before it reports back."""

    def advance(self, t):
        while self.on:
            due = self.ctrl.next_due()
            if due is None or due - self.off > t:
                break
            if due - self.off > self.true:
                self.true = due - self.off
            self.perform(self.ctrl.tick(self.wall(), self.mono()))
        if t > self.true:
            self.true = t

    def power_on(self):
        if self.on:
            return
        self.on = True
        self.boot = self.true
        if self.lost:
            self.off = RTC_LOST - self.true
        faults = self.boot_storage()
        lost, self.lost = self.lost, False
        self.perform(self.ctrl.power_on(self.wall(), self.mono(), lost))
        if faults:
            self.perform(self.ctrl.storage_fault(self.wall(), self.mono(), faults))

    def boot_storage(self):
        """Rebuild the state from what survived the power cut and make the controller. -> faults"""
        self.ctrl = Controller(rebuild(self.journal.records(), self.plans), self.journal, compartments=self.n)
        return []

    def do(self, what, arg=None):
        if what == "power_on":
            return self.power_on()
        if what == "power_off":
            self.on = False
            self.ctrl = None
            return None
        if what == "rtc_lost_power":
            self.lost = True
            return None
        if what in ("jam", "clear_jam"):
            self.jam = what == "jam"
            return None
        if not self.on:
            return None  # a person's action on a device that is off changes nothing
        self.perform(self.act(what, arg))
        return None

    def act(self, what, arg=None):
        """The controller's answer to one input, at the drive's clocks (actions not yet performed)."""
        c, w, m = self.ctrl, self.wall(), self.mono()
        if what == "tick":
            return c.tick(w, m)
        if what == "take":
            return c.take(w, m)
        if what == "request_stop":
            return c.request_stop(w, m)
        if what == "silence":
            return c.silence(w, m)
        if what == "confirm_clock":
            return c.confirm_clock(w, m)
        if what == "refill":
            return c.refill(w, m, arg)
        if what == "load_plan":
            return c.load_plan(arg, w, m)
        if what == "set_clock" or what == "set_clock_by":
            to = arg if what == "set_clock" else w + arg  # set_clock_by: relative to the RTC now
            self.off = to - self.true
            return c.set_clock(to, w, m)
        raise ValueError("unknown action " + what)


def run(plan, start, until, actions, filled=28, d=None):
    """actions: [[true time, what, arg], ...] in time order. Returns the Drive (a new one, or `d`)
    after `until`."""
    if d is None:
        d = Drive(start)
    d.do("power_on")
    d.do("refill", filled)
    d.do("load_plan", plan)
    for t, what, arg in actions:
        if t > until:
            break
        d.advance(t)
        d.do(what, arg)
    d.advance(until)
    return d


def main():
    # stdin: JSON list of cases {plan, start, until, actions, filled}; stdout: JSON list of record lists
    import json
    import sys

    cases = json.loads(sys.stdin.read())
    res = []
    for c in cases:
        d = run(c["plan"], c["start"], c["until"], c["actions"], c.get("filled", 28))
        res.append(d.out)
    print(json.dumps(res))
