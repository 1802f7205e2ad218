"""No flash write while the stepper turns (RP2040 flash writes stall interrupts): records and plans that
arise during a move are stored after it, and `dispensed` is stored only once the move completed."""

from __future__ import annotations

import copy

from steadydose.controller import Controller
from steadydose.journal import MemoryJournal, MemoryPlans, rebuild
from steadydose.timebase import parse_utc
from tests.test_runtime_boundaries import BASE


class Flash:
    """Journal and plan store on one 'flash' that refuses writes while the motor is marked moving."""

    def __init__(self):
        self.moving = False
        self.writes = []
        self.journal = MemoryJournal()
        self.plans = MemoryPlans()
        outer = self

        class J:
            def append(self, rec):
                assert not outer.moving, f"flash write during a move: {rec}"
                outer.writes.append(("record", rec["event"]))
                outer.journal.append(rec)

            def records(self):
                return outer.journal.records()

        class P:
            def put(self, obj, signed=None):
                assert not outer.moving, "plan stored during a move"
                outer.writes.append(("plan", obj["version"]))
                outer.plans.put(obj)

            def get(self, pid, ver):
                return outer.plans.get(pid, ver)

        self.j, self.p = J(), P()


def test_records_and_plans_wait_for_the_move_to_end():
    f = Flash()
    ctrl = Controller(rebuild([], f.p), f.j)
    t = parse_utc("2026-03-01T07:45:00Z")

    def run(acts):
        return [a for a in acts if a[0] == "move"]

    assert run(ctrl.power_on(t, 0))  # homing move
    ctrl.motor_done(t, 0)
    ctrl.refill(t, 0, 28)
    ctrl.load_plan(copy.deepcopy(BASE), t, 0)
    moves = run(ctrl.take(t + 60, 60))
    assert moves and moves[0][1] == "2026-03-01#1"
    f.moving = True  # the stepper turns: a new plan arrives, time passes
    v2 = copy.deepcopy(BASE)
    v2["version"] = 2
    ctrl.load_plan(v2, t + 61, 61)
    ctrl.tick(t + 62, 62)
    assert ("plan", 2) not in f.writes and ("record", "dispensed") not in f.writes
    f.moving = False
    ctrl.motor_done(t + 63, 63)
    tail = f.writes[-3:]
    assert tail == [("plan", 2), ("record", "plan_loaded"), ("record", "dispensed")]
    st = rebuild(f.journal.records(), f.plans)
    assert st.base.version == 2 and "2026-03-01#1" in st.dispensed


def _boot(journal, plans, t):
    ctrl = Controller(rebuild(journal.records(), plans), journal)
    acts = ctrl.power_on(t, 0)
    for a in acts:
        if a[0] == "move":
            ctrl.motor_done(t, 0)
    return ctrl


def test_a_power_cut_during_the_move_counts_the_dose_as_given():
    """The write-ahead `dispensing` record is stored before the motor turns: power lost before
    `dispensed` is stored, the next boot counts the dose (R-ONCE, interval, 24 h), never gives it twice."""
    journal, plans = MemoryJournal(), MemoryPlans()
    t = parse_utc("2026-03-01T07:45:00Z")
    ctrl = _boot(journal, plans, t)
    ctrl.refill(t, 0, 28)
    ctrl.load_plan(copy.deepcopy(BASE), t, 0)
    acts = ctrl.take(t + 60, 60)
    assert [a[0] for a in acts if a[0] in ("record", "move")][-2:] == ["record", "move"]
    assert journal.recs[-1]["event"] == "dispensing"  # stored before the move
    # the power goes mid-move: no motor_done, no `dispensed`
    ctrl = _boot(journal, plans, t + 600)
    given = [r for r in journal.recs if r["event"] == "dispensed"]
    assert [(r["slot"], r["unconfirmed"], r["pos"]) for r in given] == [("2026-03-01#1", True, 1)]
    assert ctrl.st.last_e is not None and ctrl.st.supply == 27
    refused = [a[1] for a in ctrl.take(t + 660, 60) if a[0] == "record" and a[1]["event"] == "refused"]
    assert refused[0]["reason"] == "already_dispensed"


def test_a_jammed_move_is_not_counted_at_the_next_boot():
    journal, plans = MemoryJournal(), MemoryPlans()
    t = parse_utc("2026-03-01T07:45:00Z")
    ctrl = _boot(journal, plans, t)
    ctrl.refill(t, 0, 28)
    ctrl.load_plan(copy.deepcopy(BASE), t, 0)
    ctrl.take(t + 60, 60)
    ctrl.motor_failed(t + 61, 61)  # one retry
    ctrl.motor_failed(t + 62, 62)  # a jam: refused fault
    ctrl = _boot(journal, plans, t + 600)
    assert not [r for r in journal.recs if r["event"] == "dispensed"]
    assert ctrl.st.in_flight is None and "2026-03-01#1" not in ctrl.st.dispensed
