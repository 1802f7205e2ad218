"""Hypothesis properties of the dose-decision core (CLINICAL_RULES.md), over random valid plans and random
patient, caregiver and world behaviour: TAKE at any time, stop requests, clock sets and confirmations,
RTC power loss, power cycles, jams and refills.

Every run is checked by tests/safety.py: no two dispenses closer than the interval and never over the
rolling 24 h limit (both on true elapsed time), no slot twice, no dispense outside its window, missed
slots never come back, every taper obeys the reduction rules and validates, and the state rebuilt from
the records equals the live state. The same runs are replayed inside the real MicroPython binary.
"""

from __future__ import annotations

import importlib.util
import json

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from steadydose.journal import rebuild
from steadydose.plan import parse_plan
from steadydose.timebase import DAY, parse_date
from tests.mpy import MPY_HELPERS, run_micropython
from tests.safety import assert_same_state, check_run
from tests.strategies import valid_plans

_spec = importlib.util.spec_from_file_location("drive", MPY_HELPERS / "drive.py")
drive = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(drive)

MIN = 60
KINDS = (["take"] * 12 + ["burst", "request_stop", "confirm_clock", "power_cycle", "clear_jam"] * 2
         + ["silence", "set_clock", "drift", "rtc_lost_power", "jam", "refill", "load_same"])


@st.composite
def behaviour(draw, plan):
    """A start instant near the plan's start and a time-ordered list of [true time, action, arg]."""
    day0 = parse_date(plan["start_date"])
    start = day0 * DAY + draw(st.integers(-DAY, 2 * DAY))
    horizon = draw(st.integers(1, 4)) * DAY
    n = draw(st.integers(0, 25))
    acts = []
    for _ in range(n):
        t = start + draw(st.integers(0, horizon))
        kind = draw(st.sampled_from(KINDS))
        if kind == "burst":  # several presses within minutes: the double-dose attempt
            for k in range(draw(st.integers(2, 4))):
                acts.append([t + k * draw(st.integers(0, 5)) * MIN, "take", None])
        elif kind == "set_clock":
            acts.append([t, "set_clock_by", draw(st.integers(-2 * DAY, 2 * DAY))])
        elif kind == "drift":
            acts.append([t, "set_clock_by", draw(st.integers(-300, 300))])
        elif kind == "power_cycle":
            acts.append([t, "power_off", None])
            acts.append([t + draw(st.integers(0, DAY)), "power_on", None])
        elif kind == "refill":
            acts.append([t, "refill", draw(st.integers(0, 28))])
        elif kind == "load_same":
            acts.append([t, "load_plan", plan])  # same version again: PLAN-VERSION
        else:
            acts.append([t, kind, None])
        if draw(st.booleans()):  # keep the plan moving: takes near the next dose times too
            acts.append([t + draw(st.integers(0, 6 * 3600)), "take", None])
    # a patient who mostly comes when called: presses around each scheduled dose time
    parsed = parse_plan(plan)
    keen = draw(st.one_of(st.just(100), st.integers(0, 100)))
    for day in range(start // DAY - 1, (start + horizon) // DAY + 2):
        for minute, _mg in parsed.doses_on(day):
            if draw(st.integers(0, 99)) < keen:
                t = parsed.tz.to_device(day, minute * 60) + draw(st.one_of(st.integers(-10, 30), st.integers(-90, 120))) * MIN
                if start <= t <= start + horizon:
                    acts.append([t, "take", None])
        # the clock set back (and confirmed) into the window of a dose that may have been missed
        if draw(st.integers(0, 9)) == 0:
            t = parsed.tz.to_device(day, draw(st.sampled_from(parsed.doses_on(day) or [(0, 0)]))[0] * 60)
            later = draw(st.integers(3600, 10 * 3600))
            if start <= t + later <= start + horizon:
                acts.append([t + later, "set_clock_by", -(later - draw(st.integers(0, 20)) * MIN)])
                acts.append([t + later + 1, "confirm_clock", None])
                acts.append([t + later + 2, "take", None])
    acts.sort(key=lambda a: a[0])
    return start, start + horizon + DAY, acts


@st.composite
def runs(draw):
    plan = draw(valid_plans())
    start, until, acts = draw(behaviour(plan))
    filled = draw(st.sampled_from([28, 28, 5, 1]))
    return plan, start, until, acts, filled


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(runs())
def test_safety_properties_hold_for_any_behaviour(case):
    plan, start, until, acts, filled = case
    note(json.dumps(plan))
    d = drive.run(plan, start, until, acts, filled)
    events = [(t, rec) for t, rec in d.out]
    note("\n".join(f"{t} {rec}" for t, rec in events))
    live = d.ctrl.st if d.ctrl is not None else rebuild(d.journal.records(), d.plans)
    check_run(events, d.plans, live)
    # and what survives a power cut is what the device knew: rebuild from the stored records alone
    assert_same_state(rebuild(d.journal.records(), d.plans), live)


@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(runs(), min_size=8, max_size=16))
def test_micropython_makes_the_same_decisions(cases):
    """Differential: the real MicroPython binary and CPython give the same records for the same runs."""
    payload = []
    want = []
    for plan, start, until, acts, filled in cases:
        d = drive.run(plan, start, until, acts, filled)
        want.append(json.loads(json.dumps(d.out)))
        payload.append({"plan": plan, "start": start, "until": until, "filled": filled,
                        "actions": acts})
    script = "import drive\ndrive.main()\n"
    proc = run_micropython(script, stdin=json.dumps(payload), heapsize="8M", timeout=300)
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g == w, f"case {i}: MicroPython and CPython disagree"
