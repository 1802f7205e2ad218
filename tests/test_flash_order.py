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
