"""Differential tests: steadydose.plan and steadydose.taper inside the real MicroPython vs CPython.

The device and the host tools must judge a plan identically (DESIGN.md: "the same call runs on CPython
and on the device"), so the full violation lists (rule, path, message: every character) are compared
for batches of Hypothesis-generated valid and broken plans, one micropython process per batch. The
taper levels and the taper plan a stop request builds are compared the same way.
"""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from steadydose.plan import check_plan, check_plan_full, parse_plan, taper_plan
from steadydose.taper import taper_levels
from tests.mpy import mpy_call, mpy_json, py_call
from tests.strategies import broken_plans, plan_day_offsets, valid_plans
from tests.test_plan_rules import DEMO

BATCH = settings(max_examples=6)

# Awkward inputs hand-picked for the differences between the two Pythons: dict order, bool vs int,
# floats, non-ASCII keys, deep nesting, errors raised from inside the POSIX TZ parser.
FIXED = [
    DEMO,
    None,
    [],
    "plan",
    3,
    {},
    dict(DEMO, **{"z-last": 1, "a-first": 2, "m\u00e9dication": 3}),
    dict(DEMO, version=True, posix_tz="GMT0BST"),
    dict(DEMO, posix_tz="CET-1CEST,M3.5.0,M10.5.0/3x"),
    dict(DEMO, posix_tz="<+05>-5<+06,M3.5.0,M10.5.0"),
    dict(DEMO, limits={"max_daily_mg": 1800.0, "early_min": -1, "late_min": 10**30}),
    dict(DEMO, steps=[{"doses": [{"time": "08:00", "mg": 300, "zeta": 1, "alpha": 2}], "b": 1, "a": 2}]),
    dict(DEMO, steps=[{"doses": [{"mg": 300}, {"time": None, "mg": 300}, {"time": "25:00", "mg": 0}]}]),
    dict(DEMO, acknowledged=["W-REDUCE-FAST", "w-reduce-fast", 7, None]),
    dict(
        DEMO,
        taper={"step_mg": 600, "step_days": 1, "min_days": 7},
        medication={"name": "gabapentin", "unit_mg": 600},
    ),
]


def _cases(plans):
    return [[p] for p in plans]


def test_fixed_plans_same_on_micropython():
    cases = _cases(FIXED)
    assert mpy_call("steadydose.plan:check_plan_full", cases) == py_call(check_plan_full, cases)


@BATCH
@given(st.lists(valid_plans(), min_size=5, max_size=25), st.lists(broken_plans(), min_size=5, max_size=25))
def test_check_plan_same_on_micropython(valid, broken):
    cases = _cases(valid) + _cases([p for p, _rule in broken])
    got = mpy_call("steadydose.plan:check_plan", cases)
    want = py_call(check_plan, cases)
    assert got == want
    assert all(r == [] for r in got[: len(valid)])  # and the valid ones are valid there too


@BATCH
@given(st.lists(valid_plans(taper=True), min_size=5, max_size=20))
def test_check_plan_full_same_on_micropython(plans):
    # With acknowledgements removed the soft limits turn into violations: both paths compared.
    bare = [dict(p, acknowledged=[]) for p in plans]
    cases = _cases(plans) + _cases(bare)
    assert mpy_call("steadydose.plan:check_plan_full", cases) == py_call(check_plan_full, cases)


def _taper_cases(plans):
    cases = []
    for p in plans:
        unit = p["medication"]["unit_mg"]
        rule = p.get("taper") or {"step_mg": unit, "step_days": 7, "min_days": 7}
        for s in p["steps"]:
            doses = sorted([int(d["time"][:2]) * 60 + int(d["time"][3:]), d["mg"]] for d in s["doses"])
            for r in ((rule["step_mg"], rule["step_days"], rule["min_days"]), (600, 1, 7), (100, 3, 28)):
                cases.append([doses, unit, list(r)])
    return cases


@BATCH
@given(st.lists(valid_plans(), min_size=5, max_size=20))
def test_taper_levels_same_on_micropython(plans):
    cases = _taper_cases(plans)
    assert mpy_call("steadydose.taper:taper_levels", cases) == py_call(taper_levels, cases)


TAPER_PLAN_SCRIPT = """
import mpytest
from steadydose.plan import check_plan, parse_plan, taper_plan
out = []
for plan, day in mpytest.payload()["cases"]:
    p = parse_plan(plan)
    t = taper_plan(p, p.start_day + day)
    out.append([t, None if t is None else check_plan(t)])
mpytest.emit({"results": out})
"""


@BATCH
@given(st.data())
def test_taper_plan_same_on_micropython(data):
    plans = data.draw(st.lists(valid_plans(taper=True), min_size=5, max_size=15))
    cases = [[p, data.draw(plan_day_offsets(p))] for p in plans]
    got = mpy_json(TAPER_PLAN_SCRIPT, {"cases": cases})["results"]
    want = []
    for plan, off in cases:
        p = parse_plan(plan)
        t = taper_plan(p, p.start_day + off)
        want.append(json.loads(json.dumps([t, None if t is None else check_plan(t)])))
    assert got == want
    assert all(r[1] in (None, []) for r in got)  # every taper built on the device is valid there


ENVELOPES = [
    {"format": "steadydose.signed/1", "key_id": "dr-a", "payload": "{}", "sig": "c2ln"},
    {"format": "steadydose.signed/1", "key_id": "dr-a", "payload": "{}"},
    {"format": "steadydose.signed/1", "key_id": "dr-a", "payload": {}, "sig": "c2ln"},
    {"format": "steadydose.signed/1", "key_id": "", "payload": "{}", "sig": "c2ln"},
    {"format": "steadydose.signed/2", "key_id": "dr-a", "payload": "{}", "sig": "c2ln"},
    {"format": "steadydose.signed/1", "key_id": "dr-a", "payload": "{}", "sig": "c2ln", "zz": 1, "aa": 2},
    [],
]

UNWRAP_SCRIPT = """
import mpytest
from steadydose.plan import unwrap_signed
out = []
for env in mpytest.payload():
    try:
        out.append(list(unwrap_signed(env)))
    except ValueError as e:
        out.append([type(e).__name__, e.path, str(e)])
mpytest.emit(out)
"""


def test_unwrap_signed_same_on_micropython():
    from steadydose.plan import unwrap_signed

    want = []
    for env in ENVELOPES:
        try:
            want.append(list(unwrap_signed(env)))
        except ValueError as e:
            want.append([type(e).__name__, e.path, str(e)])
    assert mpy_json(UNWRAP_SCRIPT, ENVELOPES) == want
    assert want[0] == ["{}", "dr-a", "c2ln"] and want[5][1] == "aa"
