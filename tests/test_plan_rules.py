"""Table-driven boundary tests for every plan rule of CLINICAL_RULES.md (check_plan, taper, transitions).

Each case is a plan (or part of one) and the exact (rule id, path) pairs it must produce; [] = valid.
Numeric limits are tested exactly at, just inside and just outside the bound. Where a 1 mg resolution
is needed and PLAN-UNITS would get in the way (at most 4 capsules a dose), the case runs with FINE: the
gabapentin profile with the per-dose capsule count unbounded, so unit_mg 1 is usable.
"""

import copy
import json

import pytest

from steadydose.plan import (
    FORMAT,
    SignedPlanError,
    check_plan,
    check_plan_full,
    check_transition,
    parse_plan,
    taper_plan,
    unwrap_signed,
)
from steadydose.profile import GABAPENTIN, Limit
from steadydose.taper import taper_levels, taper_totals

FINE = copy.copy(GABAPENTIN)
FINE.units_per_dose = Limit("PLAN-UNITS", lo=1, hi=10**6, unit="capsules")

DEMO = json.loads(
    """{
  "format": "steadydose.plan/1",
  "plan_id": "gaba-demo", "version": 1,
  "medication": {"name": "gabapentin", "unit_mg": 300, "form": "capsule"},
  "timezone": "Europe/London", "posix_tz": "GMT0BST,M3.5.0/1,M10.5.0",
  "start_date": "2026-03-01",
  "limits": {"max_daily_mg": 1800, "min_interval_min": 180, "early_min": 30},
  "steps": [
    {"days": 1,  "doses": [{"time": "21:00", "mg": 300}]},
    {"days": 1,  "doses": [{"time": "08:00", "mg": 300}, {"time": "21:00", "mg": 300}]},
    {"days": 5, "doses": [{"time": "08:00", "mg": 300}, {"time": "14:00", "mg": 300}, {"time": "21:00", "mg": 300}]},
    {"days": 5, "doses": [{"time": "08:00", "mg": 300}, {"time": "14:00", "mg": 300}, {"time": "21:00", "mg": 600}]},
    {"days": 5, "doses": [{"time": "08:00", "mg": 600}, {"time": "14:00", "mg": 300}, {"time": "21:00", "mg": 600}]},
    {"doses": [{"time": "08:00", "mg": 600}, {"time": "14:00", "mg": 600}, {"time": "21:00", "mg": 600}]}
  ],
  "taper": {"step_mg": 300, "step_days": 7, "min_days": 7},
  "acknowledged": []
}"""
)

BOTH_ACK = ["W-DAILY-ABOVE-1800", "W-REDUCE-FAST"]


# ---- builders --------------------------------------------------------------------------------------


def step(*doses, days=None):
    """step(("08:00", 300), ("20:00", 300), days=7)"""
    s = {} if days is None else {"days": days}
    s["doses"] = [{"time": t, "mg": mg} for t, mg in doses]
    return s


def tid(total, days=None):
    """total mg/day in three doses at 08:00, 14:00, 20:00 (gaps 6 h, 6 h and 12 h overnight)."""
    a = total // 3
    return step(("08:00", a), ("14:00", a), ("20:00", total - 2 * a), days=days)


def qid(total, days=None):
    """total mg/day in four doses at 06:00, 11:00, 16:00, 21:00."""
    a = total // 4
    return step(("06:00", a), ("11:00", a), ("16:00", a), ("21:00", total - 3 * a), days=days)


def bid(total, days=None):
    a = total // 2
    return step(("08:00", a), ("20:00", total - a), days=days)


def ramp(to, days=1):
    """Titration 900, 1200, ... in +300 steps of `days` each, ending open-ended at `to` (needs unit 1)."""
    steps = []
    level = 900
    while level + 300 < to:
        steps.append(tid(level, days))
        level += 300
    steps.append(tid(level, days))
    steps.append(tid(to))
    return steps


ZERO = {"doses": []}


def plan(steps=None, unit=100, limits=None, **extra):
    p = {
        "format": FORMAT,
        "plan_id": "test",
        "version": 1,
        "medication": {"name": "gabapentin", "unit_mg": unit},
        "posix_tz": "UTC0",
        "start_date": "2026-03-01",
        "limits": {"max_daily_mg": 3600},
        "steps": steps if steps is not None else [step(("21:00", 300))],
    }
    if limits:
        p["limits"].update(limits)
    p.update(extra)
    return p


def pairs(violations):
    return sorted((v[0], v[1]) for v in violations)


def case(id_, p, expected, profile=GABAPENTIN):
    return pytest.param(p, expected, profile, id=id_)


# ---- the table -------------------------------------------------------------------------------------

CASES = [
    case("demo plan from DESIGN.md", DEMO, []),
    case("minimal plan", plan(), []),
    # PLAN-UNITS: whole capsules, 1..4 a dose
    case("units: 1 capsule", plan([step(("08:00", 100))]), []),
    case("units: 4 capsules", plan([step(("08:00", 400))]), []),
    case("units: 5 capsules", plan([step(("08:00", 500))]), [("PLAN-UNITS", "steps[0].doses[0].mg")]),
    case("units: part capsule", plan([step(("08:00", 150))]), [("PLAN-UNITS", "steps[0].doses[0].mg")]),
    case(
        "units: 300 mg part", plan([step(("08:00", 350))], unit=300), [("PLAN-UNITS", "steps[0].doses[0].mg")]
    ),
    case(
        "units: 4 x 300 = 1200 in one dose",
        plan([tid(900, days=1), step(("08:00", 1200))], unit=300),
        [],
    ),
    # G-MAX-DOSE: single dose <= 1200
    case("max dose 1200", plan([tid(900, 1), bid(1200, 1), step(("08:00", 1200))], unit=1), [], FINE),
    case(
        "max dose 1201",
        plan([tid(900, 1), bid(1200, 1), step(("08:00", 1201))], unit=1),
        [("G-MAX-DOSE", "steps[2].doses[0].mg")],
        FINE,
    ),
    case("max dose 1199", plan([tid(900, 1), step(("08:00", 1199))], unit=1), [], FINE),
    # G-MAX-DAY: limit itself <= 3600, steps <= limit
    case("max_daily_mg 3600", plan(limits={"max_daily_mg": 3600}), []),
    case("max_daily_mg 3601", plan(limits={"max_daily_mg": 3601}), [("G-MAX-DAY", "limits.max_daily_mg")]),
    case("max_daily_mg 0", plan(limits={"max_daily_mg": 0}), [("G-MAX-DAY", "limits.max_daily_mg")]),
    case("day total = limit", plan([step(("21:00", 300))], limits={"max_daily_mg": 300}), []),
    case(
        "day total over limit",
        plan([step(("21:00", 300))], limits={"max_daily_mg": 299}),
        [("G-MAX-DAY", "steps[0]")],
    ),
    case("day total 3600", plan(ramp(3600), unit=1, acknowledged=BOTH_ACK), [], FINE),
    case(
        "day total 3601 under a 3600 limit",
        plan(ramp(3600)[:-1] + [tid(3600, 1), qid(3601)], unit=1, acknowledged=BOTH_ACK),
        [("G-MAX-DAY", "steps[10]")],
        FINE,
    ),
    # W-DAILY-ABOVE-1800 (soft)
    case("day total 1800", plan(ramp(1800), unit=1), [], FINE),
    case("day total 1801", plan(ramp(1801), unit=1), [("W-DAILY-ABOVE-1800", "steps[4]")], FINE),
    case(
        "day total 1801 acknowledged", plan(ramp(1801), unit=1, acknowledged=["W-DAILY-ABOVE-1800"]), [], FINE
    ),
    # G-MIN-INTERVAL
    case("interval 180 in a day", plan([step(("08:00", 100), ("11:00", 100))]), []),
    case(
        "interval 179 in a day",
        plan([step(("08:00", 100), ("10:59", 100))]),
        [("G-MIN-INTERVAL", "steps[0].doses[1].time")],
    ),
    case(
        "interval 179, doses listed out of order",
        plan([step(("10:59", 100), ("08:00", 100))]),
        [("G-MIN-INTERVAL", "steps[0].doses[0].time")],
    ),
    case("interval 180 across midnight", plan([step(("01:00", 100), ("22:00", 100))]), []),
    case(
        "interval 179 across midnight",
        plan([step(("00:59", 100), ("22:00", 100))]),
        [("G-MIN-INTERVAL", "steps[0].doses[0].time")],
    ),
    case(
        "interval 179 across midnight in a 2-day step",
        plan([step(("00:59", 100), ("22:00", 100), days=2), step(("08:00", 200))]),
        [("G-MIN-INTERVAL", "steps[0].doses[0].time")],
    ),
    case(
        "a 1-day step does not wrap into itself",
        plan([step(("00:59", 100), ("22:00", 100), days=1), step(("08:00", 200))]),
        [],
    ),
    case("interval 180 across steps", plan([step(("23:00", 100), days=1), step(("02:00", 100))]), []),
    case(
        "interval 179 across steps",
        plan([step(("23:00", 100), days=1), step(("01:59", 100))]),
        [("G-MIN-INTERVAL", "steps[1].doses[0].time")],
    ),
    case("min_interval_min 180", plan(limits={"min_interval_min": 180}), []),
    case(
        "min_interval_min 179",
        plan(limits={"min_interval_min": 179}),
        [("G-MIN-INTERVAL", "limits.min_interval_min")],
    ),
    case(
        "min_interval_min 240 kept",
        plan([step(("08:00", 100), ("12:00", 100))], limits={"min_interval_min": 240}),
        [],
    ),
    case(
        "min_interval_min 240 broken",
        plan([step(("08:00", 100), ("11:59", 100))], limits={"min_interval_min": 240}),
        [("G-MIN-INTERVAL", "steps[0].doses[1].time")],
    ),
    # G-TID-GAP: with 3+ doses no gap over 12 h, overnight included
    case("tid overnight 720", plan([step(("08:00", 300), ("14:00", 300), ("20:00", 300))]), []),
    case("tid overnight 719", plan([step(("08:00", 300), ("14:00", 300), ("20:01", 300))]), []),
    case(
        "tid overnight 721",
        plan([step(("08:00", 300), ("14:00", 300), ("19:59", 300))]),
        [("G-TID-GAP", "steps[0].doses[0].time")],
    ),
    case("tid day gap 720", plan([step(("06:00", 300), ("18:00", 300), ("21:00", 300))]), []),
    case(
        "tid day gap 721",
        plan([step(("06:00", 300), ("18:01", 300), ("21:01", 300))]),
        [("G-TID-GAP", "steps[0].doses[1].time")],
    ),
    case("two doses may be 14 h apart", plan([step(("06:00", 300), ("20:00", 300))]), []),
    case(
        "qid overnight 720", plan([step(("06:00", 200), ("09:00", 200), ("12:00", 200), ("18:00", 200))]), []
    ),
    case(
        "qid overnight 721",
        plan([step(("07:00", 200), ("10:00", 200), ("13:00", 200), ("18:59", 200))]),
        [("G-TID-GAP", "steps[0].doses[0].time")],
    ),
    # G-TITRATE-START: first step <= 900
    case("start 900", plan([tid(900)]), []),
    case("start 901", plan([tid(901)], unit=1), [("G-TITRATE-START", "steps[0]")], FINE),
    case(
        "start 1000",
        plan([step(("08:00", 400), ("14:00", 300), ("20:00", 300))]),
        [("G-TITRATE-START", "steps[0]")],
    ),
    # G-TITRATE-STEP: +300 at most
    case("titrate +300", plan([tid(600, 1), tid(900)]), []),
    case("titrate +301", plan([tid(600, 1), tid(901)], unit=1), [("G-TITRATE-STEP", "steps[1]")], FINE),
    case(
        "titrate +400",
        plan([tid(600, 1), step(("08:00", 400), ("14:00", 300), ("20:00", 300))]),
        [("G-TITRATE-STEP", "steps[1]")],
    ),
    # G-REDUCE-STEP: cut <= 600 and <= 50 %; to 0 from <= 300
    case(
        "cut 600 from 1200",
        plan([tid(900, 1), tid(1200, 7), tid(600)], unit=1, acknowledged=BOTH_ACK),
        [],
        FINE,
    ),
    case(
        "cut 601 from 1200",
        plan([tid(900, 1), tid(1200, 7), tid(599)], unit=1, acknowledged=BOTH_ACK),
        [("G-REDUCE-STEP", "steps[2]")],
        FINE,
    ),
    case(
        "cut 600 from 1500",
        plan(ramp(1500, 7)[:-1] + [tid(1500, 7), tid(900)], unit=1, acknowledged=BOTH_ACK),
        [],
        FINE,
    ),
    case(
        "cut 601 from 1500",
        plan(ramp(1500, 7)[:-1] + [tid(1500, 7), tid(899)], unit=1, acknowledged=BOTH_ACK),
        [("G-REDUCE-STEP", "steps[3]")],
        FINE,
    ),
    case("cut 50 % of 800", plan([tid(800, 7), tid(400)], unit=1, acknowledged=BOTH_ACK), [], FINE),
    case(
        "cut 50 % + 1 mg of 800",
        plan([tid(800, 7), tid(399)], unit=1, acknowledged=BOTH_ACK),
        [("G-REDUCE-STEP", "steps[1]")],
        FINE,
    ),
    case("to 0 from 300", plan([step(("21:00", 300), days=7), ZERO]), []),
    case(
        "to 0 from 301",
        plan([step(("21:00", 301), days=7), ZERO], unit=1),
        [("G-REDUCE-STEP", "steps[1]")],
        FINE,
    ),
    case("to 0 from 400", plan([step(("21:00", 400), days=7), ZERO]), [("G-REDUCE-STEP", "steps[1]")]),
    # W-REDUCE-FAST (soft): cut > 300 or a reduced step held < 7 days; the step to 0 is not fast
    case("cut 300 held 7 days", plan([tid(900, 7), tid(600, 7), tid(600)]), []),
    case(
        "cut 301", plan([tid(900, 7), tid(599, 7), tid(599)], unit=1), [("W-REDUCE-FAST", "steps[1]")], FINE
    ),
    case(
        "cut 301 acknowledged",
        plan([tid(900, 7), tid(599, 7), tid(599)], unit=1, acknowledged=["W-REDUCE-FAST"]),
        [],
        FINE,
    ),
    case(
        "reduced step held 6 days",
        plan([tid(900, 7), tid(600, 6), tid(600)]),
        [("W-REDUCE-FAST", "steps[1]")],
    ),
    case("reduced open-ended step", plan([tid(900, 7), tid(600)]), []),
    case("final step to 0 is not fast", plan([tid(600, 7), step(("21:00", 300), days=7), ZERO]), []),
    # G-TAPER-DAYS: 0 reached >= 7 days after the taper began
    case("0 after 7 days on one step", plan([step(("21:00", 300), days=7), ZERO]), []),
    case(
        "0 after 6 days on one step",
        plan([step(("21:00", 300), days=6), ZERO]),
        [("G-TAPER-DAYS", "steps[1]")],
    ),
    case(
        "taper begins at the first reduced step of the final run (7)",
        plan(
            [tid(600, 7), step(("21:00", 300), days=3), step(("21:00", 300), days=4), ZERO],
            acknowledged=["W-REDUCE-FAST"],
        ),
        [],
    ),
    case(
        "taper begins at the first reduced step of the final run (6)",
        plan([tid(600, 7), step(("21:00", 300), days=6), ZERO], acknowledged=["W-REDUCE-FAST"]),
        [("G-TAPER-DAYS", "steps[2]")],
    ),
    case(
        "an earlier reduction before a rise does not count",
        plan(
            [tid(600, 7), step(("21:00", 300), days=7), tid(600, 7), step(("21:00", 300), days=6), ZERO],
            acknowledged=["W-REDUCE-FAST"],
        ),
        [("G-TAPER-DAYS", "steps[4]")],
    ),
    case(
        "no reduced step in the final run: the step before 0 counts",
        plan([step(("21:00", 300), days=3), step(("21:00", 300), days=4), ZERO]),
        [("G-TAPER-DAYS", "steps[2]")],
    ),
    case("0 mg from the start is no taper", plan([ZERO]), []),
    # G-END
    case("last step open-ended", plan([tid(900)]), []),
    case("last step runs out", plan([tid(900, 5)]), [("G-END", "steps[0]")]),
    case("last step runs out after titration", plan([tid(600, 1), tid(900, 30)]), [("G-END", "steps[1]")]),
    # G-TAPER-RULE
    case("taper 300/7/7", plan(taper={"step_mg": 300, "step_days": 7, "min_days": 7}), []),
    case("taper step 600", plan([tid(900)], taper={"step_mg": 600, "step_days": 1, "min_days": 7}), []),
    case(
        "taper step 601",
        plan(unit=1, taper={"step_mg": 601, "step_days": 7, "min_days": 7}),
        [("G-TAPER-RULE", "taper.step_mg")],
        FINE,
    ),
    case(
        "taper step 700",
        plan(taper={"step_mg": 700, "step_days": 7, "min_days": 7}),
        [("G-TAPER-RULE", "taper.step_mg")],
    ),
    case(
        "taper step 0",
        plan(taper={"step_mg": 0, "step_days": 7, "min_days": 7}),
        [("G-TAPER-RULE", "taper.step_mg")],
    ),
    case("taper step 1 mg", plan(unit=1, taper={"step_mg": 1, "step_days": 7, "min_days": 7}), [], FINE),
    case(
        "taper step part capsule",
        plan(taper={"step_mg": 150, "step_days": 7, "min_days": 7}),
        [("G-TAPER-RULE", "taper.step_mg")],
    ),
    case("taper step_days 1", plan(taper={"step_mg": 100, "step_days": 1, "min_days": 7}), []),
    case(
        "taper step_days 0",
        plan(taper={"step_mg": 100, "step_days": 0, "min_days": 7}),
        [("G-TAPER-RULE", "taper.step_days")],
    ),
    case("taper min_days 7", plan(taper={"step_mg": 100, "step_days": 1, "min_days": 7}), []),
    case(
        "taper min_days 6",
        plan(taper={"step_mg": 100, "step_days": 7, "min_days": 6}),
        [("G-TAPER-RULE", "taper.min_days")],
    ),
    case(
        "no taper from 600 mg tablets at 600 mg/day",
        plan([step(("21:00", 600))], unit=600, taper={"step_mg": 600, "step_days": 7, "min_days": 7}),
        [("G-TAPER-RULE", "taper")],
    ),
    case("600 mg tablets without a taper rule", plan([step(("21:00", 600))], unit=600), []),
    case(
        "no taper from 400 mg capsules at 400 mg/day",
        plan([step(("21:00", 400))], unit=400, taper={"step_mg": 400, "step_days": 7, "min_days": 7}),
        [("G-TAPER-RULE", "taper")],
    ),
    case(
        "a taper that would bring doses too close",
        plan(
            [step(("01:00", 600), ("23:00", 300), days=1), step(("04:00", 300), ("23:00", 300))],
            unit=300,
            taper={"step_mg": 300, "step_days": 7, "min_days": 7},
        ),
        [("G-TAPER-RULE", "taper")],
    ),
    case(
        "the same plan without a taper rule",
        plan([step(("01:00", 600), ("23:00", 300), days=1), step(("04:00", 300), ("23:00", 300))], unit=300),
        [],
    ),
    # G-EARLY: 0..60
    case("early 0", plan(limits={"early_min": 0}), []),
    case("early 60", plan(limits={"early_min": 60}), []),
    case("early 61", plan(limits={"early_min": 61}), [("G-EARLY", "limits.early_min")]),
    case("early -1", plan(limits={"early_min": -1}), [("G-EARLY", "limits.early_min")]),
    # late_min: 1..720 (a structural bound: PLAN-FORMAT)
    case("late 1", plan(limits={"late_min": 1}), []),
    case("late 720", plan(limits={"late_min": 720}), []),
    case("late 0", plan(limits={"late_min": 0}), [("PLAN-FORMAT", "limits.late_min")]),
    case("late 721", plan(limits={"late_min": 721}), [("PLAN-FORMAT", "limits.late_min")]),
    # G-RENAL bands: >= 60 3600/any; 30-59 1400/2; 15-29 700/1; < 15 300/1
    case("renal 60, 3 doses", plan([tid(900)], renal_crcl_ml_min=60), []),
    case("renal 59, 3 doses", plan([tid(900)], renal_crcl_ml_min=59), [("G-RENAL", "steps[0]")]),
    case(
        "renal 59, 1400 in 2",
        plan([bid(900, 1), bid(1200, 1), bid(1400)], unit=1, renal_crcl_ml_min=59),
        [],
        FINE,
    ),
    case(
        "renal 30, 1400 in 2",
        plan([bid(900, 1), bid(1200, 1), bid(1400)], unit=1, renal_crcl_ml_min=30),
        [],
        FINE,
    ),
    case(
        "renal 30, 1401 in 2",
        plan([bid(900, 1), bid(1200, 1), bid(1401)], unit=1, renal_crcl_ml_min=30),
        [("G-RENAL", "steps[2]")],
        FINE,
    ),
    case("renal 29, 2 doses", plan([bid(600)], renal_crcl_ml_min=29), [("G-RENAL", "steps[0]")]),
    case("renal 29, 700 once", plan([step(("21:00", 700))], unit=1, renal_crcl_ml_min=29), [], FINE),
    case("renal 15, 700 once", plan([step(("21:00", 700))], unit=1, renal_crcl_ml_min=15), [], FINE),
    case(
        "renal 15, 701 once",
        plan([step(("21:00", 701))], unit=1, renal_crcl_ml_min=15),
        [("G-RENAL", "steps[0]")],
        FINE,
    ),
    case(
        "renal 14, 700 once",
        plan([step(("21:00", 700))], unit=1, renal_crcl_ml_min=14),
        [("G-RENAL", "steps[0]")],
        FINE,
    ),
    case("renal 14, 300 once", plan([step(("21:00", 300))], renal_crcl_ml_min=14), []),
    case(
        "renal 14, 301 once",
        plan([step(("21:00", 301))], unit=1, renal_crcl_ml_min=14),
        [("G-RENAL", "steps[0]")],
        FINE,
    ),
    case("renal 0, 300 once", plan([step(("21:00", 300))], renal_crcl_ml_min=0), []),
    case(
        "renal 14, 2 doses over 300: both limits",
        plan([bid(400)], renal_crcl_ml_min=14),
        [("G-RENAL", "steps[0]"), ("G-RENAL", "steps[0]")],
    ),
    # G-NO-PRN
    case("dose without time", plan([{"doses": [{"mg": 300}]}]), [("G-NO-PRN", "steps[0].doses[0].time")]),
    case(
        "dose with null time",
        plan([{"doses": [{"time": None, "mg": 300}]}]),
        [("G-NO-PRN", "steps[0].doses[0].time")],
    ),
]


@pytest.mark.parametrize(("p", "expected", "profile"), CASES)
def test_rule_boundaries(p, expected, profile):
    assert pairs(check_plan(p, profile)) == sorted(expected)


# ---- PLAN-FORMAT ------------------------------------------------------------------------------------


def without(path):
    p = copy.deepcopy(DEMO)
    obj = p
    parts = path.split(".")
    for key in parts[:-1]:
        obj = obj[key]
    del obj[parts[-1]]
    return p


def with_value(path, value):
    p = copy.deepcopy(DEMO)
    obj = p
    parts = path.replace("[", ".").replace("]", "").split(".")
    for key in parts[:-1]:
        obj = obj[int(key)] if key.isdigit() else obj[key]
    last = parts[-1]
    obj[int(last) if last.isdigit() else last] = value
    return p


REQUIRED = [
    "format",
    "plan_id",
    "version",
    "medication",
    "medication.name",
    "medication.unit_mg",
    "posix_tz",
    "start_date",
    "limits",
    "limits.max_daily_mg",
    "steps",
]


@pytest.mark.parametrize("path", REQUIRED)
def test_missing_required_field(path):
    got = pairs(check_plan(without(path)))
    assert ("PLAN-FORMAT", path) in got
    assert all(rule == "PLAN-FORMAT" for rule, _ in got)


@pytest.mark.parametrize(
    ("path", "reported"),
    [("steps[2].doses", "steps[2].doses"), ("steps[2].doses[1].mg", "steps[2].doses[1].mg")],
)
def test_missing_nested_field(path, reported):
    p = copy.deepcopy(DEMO)
    step_ = p["steps"][2]
    if path.endswith(".mg"):
        del step_["doses"][1]["mg"]
    else:
        del step_["doses"]
    assert pairs(check_plan(p)) == [("PLAN-FORMAT", reported)]


OPTIONAL_ABSENT = [
    "timezone",
    "medication.form",
    "limits.min_interval_min",
    "limits.early_min",
    "taper",
    "acknowledged",
]


@pytest.mark.parametrize("path", OPTIONAL_ABSENT)
def test_optional_field_may_be_absent(path):
    assert check_plan(without(path)) == []


MISTYPED = [
    ("format", 1),
    ("format", "steadydose.plan/2"),
    ("format", "steadydose.signed/1"),
    ("plan_id", 7),
    ("plan_id", ""),
    ("version", True),
    ("version", "1"),
    ("version", 1.0),
    ("version", 0),
    ("version", None),
    ("medication", "gabapentin"),
    ("medication.name", 1),
    ("medication.name", "pregabalin"),
    ("medication.unit_mg", "300"),
    ("medication.unit_mg", True),
    ("medication.unit_mg", 300.0),
    ("medication.unit_mg", 0),
    ("medication.form", 1),
    ("timezone", 1),
    ("timezone", None),
    ("posix_tz", 0),
    ("posix_tz", ""),
    ("posix_tz", "GMT0BST"),
    ("posix_tz", "CET-1CEST"),
    ("posix_tz", "Europe/London"),
    ("posix_tz", "GMT0BST,M3.5.0/1"),
    ("start_date", 20260301),
    ("start_date", "2026-02-30"),
    ("start_date", "2025-02-29"),
    ("start_date", "2026-13-01"),
    ("start_date", "2026-3-1"),
    ("start_date", "01/03/2026"),
    ("limits", [1800]),
    ("limits.max_daily_mg", "1800"),
    ("limits.max_daily_mg", True),
    ("limits.max_daily_mg", 1800.5),
    ("limits.min_interval_min", 180.0),
    ("limits.early_min", "30"),
    ("limits.late_min", None),
    ("taper", None),
    ("taper", [300, 7, 7]),
    ("taper.step_mg", "300"),
    ("taper.step_days", 7.0),
    ("taper.min_days", False),
    ("acknowledged", "W-REDUCE-FAST"),
    ("acknowledged", [1]),
    ("acknowledged", ["W-NOT-A-WARNING"]),
    ("discontinue", "later"),
    ("discontinue", True),
    ("renal_crcl_ml_min", "50"),
    ("renal_crcl_ml_min", -1),
    ("steps[2].days", "5"),
    ("steps[2].days", 0),
    ("steps[2].days", True),
    ("steps[2].doses[1].mg", "300"),
    ("steps[2].doses[1].mg", 300.0),
    ("steps[2].doses[1].mg", 0),
    ("steps[2].doses[1].mg", -300),
    ("steps[2].doses[1].mg", True),
    ("steps[2].doses[1].time", 1400),
    ("steps[2].doses[1].time", "24:00"),
    ("steps[2].doses[1].time", "8:00"),
    ("steps[2].doses[1].time", "14:60"),
    ("steps[2].doses[1].time", "14:00:00"),
    ("steps[2].doses[1].time", "2pm"),
    ("steps[2].doses[1].time", ""),
]


@pytest.mark.parametrize(("path", "value"), MISTYPED)
def test_mistyped_field(path, value):
    got = pairs(check_plan(with_value(path, value)))
    want = path
    if path == "acknowledged" and isinstance(value, list):
        want = "acknowledged[0]"
    assert got == [("PLAN-FORMAT", want)]


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda p: p.update(colour="blue"), "colour"),
        (lambda p: p.update(max_daily_mg=1800), "max_daily_mg"),
        (lambda p: p["limits"].update(max_dose_mg=1200), "limits.max_dose_mg"),
        (lambda p: p["limits"].update(min_interval=180), "limits.min_interval"),
        (lambda p: p["medication"].update(strength="300 mg"), "medication.strength"),
        (lambda p: p["taper"].update(step_weeks=1), "taper.step_weeks"),
        (lambda p: p["steps"][1].update(note="day 2"), "steps[1].note"),
        (lambda p: p["steps"][1]["doses"][0].update(with_food=True), "steps[1].doses[0].with_food"),
        (lambda p: p["steps"][1]["doses"][0].update(prn=False), "steps[1].doses[0].prn"),
    ],
    ids=[
        "top",
        "top-limit-misplaced",
        "limits",
        "limits-misspelt",
        "medication",
        "taper",
        "step",
        "dose",
        "dose-prn",
    ],
)
def test_unknown_key_rejected(mutate, path):
    p = copy.deepcopy(DEMO)
    mutate(p)
    assert pairs(check_plan(p)) == [("PLAN-FORMAT", path)]


def test_unknown_acknowledged_id():
    p = copy.deepcopy(DEMO)
    p["acknowledged"] = ["W-REDUCE-FAST", "W-DAILY-ABOVE-2400"]
    assert pairs(check_plan(p)) == [("PLAN-FORMAT", "acknowledged[1]")]


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([tid(900), tid(900, 5)], [("PLAN-FORMAT", "steps[0]")]),  # open-ended step not last
        ([ZERO, tid(300)], [("PLAN-FORMAT", "steps[0]")]),  # empty step not last
        ([step(("21:00", 300), days=7), {"days": 3, "doses": []}], [("PLAN-FORMAT", "steps[1].days")]),
        ([], [("PLAN-FORMAT", "steps")]),
        ("daily", [("PLAN-FORMAT", "steps")]),
        ([tid(900, 1), "x"], [("PLAN-FORMAT", "steps[1]")]),
        ([{"days": 1}], [("PLAN-FORMAT", "steps[0].doses")]),
        ([{"doses": {"time": "08:00", "mg": 300}}], [("PLAN-FORMAT", "steps[0].doses")]),
        ([{"doses": ["08:00"]}], [("PLAN-FORMAT", "steps[0].doses[0]")]),
        ([step(("08:00", 300), ("08:00", 300))], [("PLAN-FORMAT", "steps[0].doses[1].time")]),
    ],
    ids=[
        "open-not-last",
        "empty-not-last",
        "empty-with-days",
        "no-steps",
        "steps-not-list",
        "step-not-object",
        "no-doses",
        "doses-not-list",
        "dose-not-object",
        "duplicate-time",
    ],
)
def test_step_structure(steps, expected):
    assert pairs(check_plan(plan(steps))) == expected


@pytest.mark.parametrize("obj", [[], "plan", 1, None, True])
def test_plan_must_be_an_object(obj):
    assert pairs(check_plan(obj)) == [("PLAN-FORMAT", "plan")]


def test_all_violations_are_reported():
    p = plan(
        [tid(1200, 3), step(("08:00", 500), ("09:00", 100), days=2), {"doses": [{"mg": 100}]}],
        limits={"early_min": 90, "min_interval_min": 120, "late_min": 0},
        colour="red",
        acknowledged=["W-BOGUS"],
        taper={"step_mg": 700, "step_days": 0, "min_days": 3},
    )
    p["format"] = "steadydose.plan/0"
    assert pairs(check_plan(p)) == sorted(
        [
            ("PLAN-FORMAT", "colour"),
            ("PLAN-FORMAT", "format"),
            ("G-MIN-INTERVAL", "limits.min_interval_min"),
            ("G-EARLY", "limits.early_min"),
            ("PLAN-FORMAT", "limits.late_min"),
            ("G-TAPER-RULE", "taper.step_mg"),
            ("G-TAPER-RULE", "taper.step_days"),
            ("G-TAPER-RULE", "taper.min_days"),
            ("PLAN-FORMAT", "acknowledged[0]"),
            ("G-NO-PRN", "steps[2].doses[0].time"),
            ("PLAN-UNITS", "steps[1].doses[0].mg"),
            ("G-MIN-INTERVAL", "steps[1].doses[1].time"),
            ("G-TITRATE-START", "steps[0]"),
            ("W-REDUCE-FAST", "steps[1]"),  # 1200 -> 600 held 2 days
            ("W-REDUCE-FAST", "steps[1]"),  # and a cut of 600
            ("G-REDUCE-STEP", "steps[2]"),  # 600 -> 100 is more than half (no extra W for its size)
        ]
    )


def test_structure_too_broken_still_reports_every_format_problem():
    p = plan("daily", colour="red", version=0)
    p["posix_tz"] = "GMT0BST"
    assert pairs(check_plan(p)) == sorted(
        [
            ("PLAN-FORMAT", "colour"),
            ("PLAN-FORMAT", "version"),
            ("PLAN-FORMAT", "posix_tz"),
            ("PLAN-FORMAT", "steps"),
        ]
    )


# ---- messages ---------------------------------------------------------------------------------------


def test_messages_name_the_numbers():
    msgs = {
        v[0]: v[2] for v in check_plan(plan([tid(900, 1), bid(1200, 1), step(("08:00", 1500))], unit=1), FINE)
    }
    assert msgs["G-MAX-DOSE"] == "a dose of 1500 mg is above the 1200 mg single-dose limit"
    (v,) = check_plan(plan([tid(600, 1), tid(1000)], unit=1), FINE)
    assert v[0] == "G-TITRATE-STEP" and "600" in v[2] and "1000" in v[2] and "400" in v[2] and "300" in v[2]
    (v,) = check_plan(plan([step(("08:00", 100), ("10:59", 100))]))
    assert "10:59" in v[2] and "08:00" in v[2] and "179 min" in v[2] and "180 min" in v[2]


def test_unacknowledged_soft_limit_says_how_to_accept_it():
    (v,) = check_plan(plan([tid(900, 7), tid(600, 6), tid(600)]))
    assert v[0] == "W-REDUCE-FAST" and "acknowledged" in v[2] and "6 days" in v[2]


# ---- soft limits: acknowledged -> warnings -----------------------------------------------------------


def test_acknowledged_soft_limits_are_warnings():
    p = plan([tid(900, 7), tid(599, 3), tid(599)], unit=1, acknowledged=["W-REDUCE-FAST"])
    violations, warnings = check_plan_full(p, FINE)
    assert violations == []
    assert pairs(warnings) == [("W-REDUCE-FAST", "steps[1]"), ("W-REDUCE-FAST", "steps[1]")]
    violations, warnings = check_plan_full(
        plan(ramp(2400), unit=1, acknowledged=["W-DAILY-ABOVE-1800"]), FINE
    )
    assert violations == [] and pairs(warnings) == [
        ("W-DAILY-ABOVE-1800", "steps[4]"),
        ("W-DAILY-ABOVE-1800", "steps[5]"),
    ]
    assert check_plan_full(DEMO) == ([], [])


def test_acknowledging_one_warning_does_not_accept_the_other():
    p = plan(ramp(2100, 7)[:-1] + [tid(2100, 7), tid(1500)], unit=1, acknowledged=["W-DAILY-ABOVE-1800"])
    violations, warnings = check_plan_full(p, FINE)
    assert pairs(violations) == [("W-REDUCE-FAST", "steps[5]")]  # a cut of 600 mg/day
    assert pairs(warnings) == [("W-DAILY-ABOVE-1800", "steps[4]")]


# ---- R-TRANSITION -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        (None, 3600, []),
        (600, 900, []),
        (600, 901, ["R-TRANSITION", "G-TITRATE-STEP"]),
        (1200, 600, []),
        (1200, 599, ["R-TRANSITION", "G-REDUCE-STEP"]),
        (1500, 900, []),
        (1500, 899, ["R-TRANSITION", "G-REDUCE-STEP"]),
        (800, 399, ["R-TRANSITION", "G-REDUCE-STEP"]),
        (300, 0, []),
        (301, 0, ["R-TRANSITION", "G-REDUCE-STEP"]),
        (0, 300, []),
        (900, 900, []),
    ],
)
def test_transition(current, new, expected):
    got = check_transition(current, new, GABAPENTIN)
    assert [v[0] for v in got] == expected
    assert all(v[1] == "steps" for v in got)


# ---- the signed envelope ------------------------------------------------------------------------------


def test_unwrap_signed():
    env = {"format": "steadydose.signed/1", "key_id": "dr-a", "payload": json.dumps(DEMO), "sig": "c2ln"}
    assert unwrap_signed(env) == (env["payload"], "dr-a", "c2ln")


@pytest.mark.parametrize(
    ("env", "path"),
    [
        ({"format": "steadydose.signed/2", "key_id": "k", "payload": "{}", "sig": "s"}, "format"),
        ({"format": "steadydose.signed/1", "payload": "{}", "sig": "s"}, "key_id"),
        ({"format": "steadydose.signed/1", "key_id": "k", "payload": {}, "sig": "s"}, "payload"),
        ({"format": "steadydose.signed/1", "key_id": "k", "payload": "{}"}, "sig"),
        ({"format": "steadydose.signed/1", "key_id": "k", "payload": "{}", "sig": "s", "alg": "x"}, "alg"),
        ([], "plan"),
    ],
)
def test_unwrap_signed_rejects(env, path):
    with pytest.raises(ValueError) as err:
        unwrap_signed(env)
    assert isinstance(err.value, SignedPlanError)
    assert err.value.path == path and "signed plan" in str(err.value)


# ---- the stop-request taper ----------------------------------------------------------------------------


def test_taper_levels_from_the_demo_plateau():
    doses = [(480, 600), (840, 600), (1260, 600)]
    assert taper_levels(doses, 300, (300, 7, 7)) == [
        (7, [(480, 300), (840, 600), (1260, 600)]),  # largest first, earliest on ties
        (7, [(480, 300), (840, 300), (1260, 600)]),
        (7, [(480, 300), (840, 300), (1260, 300)]),
        (7, [(840, 300), (1260, 300)]),  # a dose reduced to 0 is dropped
        (7, [(1260, 300)]),  # the bedtime dose goes last
        (None, []),
    ]


@pytest.mark.parametrize(
    ("total", "unit", "step_mg", "levels"),
    [
        (300, 300, 300, [300]),  # <= 300: hold it, then 0
        (100, 100, 300, [100]),
        (600, 300, 300, [300]),
        (900, 300, 600, [600, 300]),  # half of 900 = 450 -> 300 (whole capsules)
        (1800, 300, 600, [1200, 600, 300]),
        (1200, 100, 600, [600, 300]),
        (400, 100, 300, [200]),  # half of 400 is less than step_mg
        (600, 600, 600, None),  # one 600 mg tablet is more than half of 600
        (400, 400, 400, None),
        (1200, 600, 600, None),  # 1200 -> 600 fine, 600 -> 0 not from <= 300
        (350, 50, 50, [300]),
    ],
)
def test_taper_totals(total, unit, step_mg, levels):
    assert taper_totals(total, unit, step_mg) == levels


def test_taper_hold_days():
    # n levels held max(step_days, ceil(min_days / n)).
    assert [h for h, _ in taper_levels([(1260, 300)], 300, (300, 1, 10))[:-1]] == [
        10
    ]  # one capsule: min_days
    assert [h for h, _ in taper_levels([(480, 300), (1260, 300)], 300, (300, 1, 7))[:-1]] == [7]
    assert [h for h, _ in taper_levels([(480, 600), (1260, 600)], 300, (300, 1, 7))[:-1]] == [3, 3, 3]
    assert [h for h, _ in taper_levels([(480, 600), (1260, 600)], 300, (300, 14, 7))[:-1]] == [14, 14, 14]


def test_taper_keeps_twelve_hour_gaps_on_four_doses():
    # 07, 12, 17, 22 h: dropping 07:00 first would leave 22:00 -> 12:00, a 14 h gap in a 3-dose day.
    doses = [(420, 300), (720, 300), (1020, 300), (1320, 300)]
    levels = taper_levels(doses, 300, (300, 7, 7))
    assert levels[0][1] == [(420, 300), (1020, 300), (1320, 300)]
    assert levels[1][1] == [(1020, 300), (1320, 300)]
    assert levels[2][1] == [(1320, 300)]


def test_bedtime_dose_is_reduced_when_largest_but_goes_last():
    levels = taper_levels([(480, 300), (1260, 900)], 300, (300, 7, 7))
    assert [lv for _, lv in levels[:-1]] == [
        [(480, 300), (1260, 600)],
        [(480, 300), (1260, 300)],
        [(1260, 300)],
    ]


@pytest.mark.parametrize("doses", [[], [(480, 0)]])
def test_no_taper_from_nothing(doses):
    assert taper_levels(doses, 300, (300, 7, 7)) is None


def test_taper_plan_from_the_demo():
    p = parse_plan(DEMO)
    day = p.start_day + 9  # day 10: the 1200 mg step (08:00 300, 14:00 300, 21:00 600), its 3rd day
    t = taper_plan(p, day)
    assert check_plan(t) == []
    assert [s.get("days") for s in t["steps"]] == [1, 1, 5, 3, 7, 7, 7, None]
    totals = [sum(d["mg"] for d in s["doses"]) for s in t["steps"]]
    assert totals == [300, 600, 900, 1200, 900, 600, 300, 0]
    # 08:00 300, 14:00 300, 21:00 600: the largest (bedtime) dose gives the first capsule, then the
    # earliest doses go, the bedtime dose last.
    assert [s["doses"] for s in t["steps"][4:7]] == [
        [{"time": "08:00", "mg": 300}, {"time": "14:00", "mg": 300}, {"time": "21:00", "mg": 300}],
        [{"time": "14:00", "mg": 300}, {"time": "21:00", "mg": 300}],
        [{"time": "21:00", "mg": 300}],
    ]
    assert (t["plan_id"], t["version"], t["posix_tz"], t["start_date"]) == (
        "gaba-demo",
        1,
        DEMO["posix_tz"],
        "2026-03-01",
    )
    assert t["acknowledged"] == []
    assert taper_plan(p, p.start_day - 1) is None


def test_taper_plan_acknowledges_a_fast_taper_rule():
    p = parse_plan(dict(DEMO, taper={"step_mg": 600, "step_days": 3, "min_days": 7}))
    t = taper_plan(p, p.start_day + 30)
    assert "W-REDUCE-FAST" in t["acknowledged"] and check_plan(t) == []


def test_taper_plan_none_without_rule_or_on_zero():
    assert taper_plan(parse_plan(without("taper")), parse_plan(DEMO).start_day + 3) is None
    p = parse_plan(
        plan([step(("21:00", 300), days=7), ZERO], taper={"step_mg": 300, "step_days": 7, "min_days": 7})
    )
    assert taper_plan(p, p.start_day + 7) is None
    assert check_plan(taper_plan(p, p.start_day + 2)) == []


# ---- parsed plans ---------------------------------------------------------------------------------------


def test_parse_demo():
    p = parse_plan(DEMO)
    assert (p.plan_id, p.version, p.unit_mg, p.form, p.timezone) == (
        "gaba-demo",
        1,
        300,
        "capsule",
        "Europe/London",
    )
    assert p.tz.has_dst() and p.max_daily_mg == 1800
    assert (p.min_interval_s, p.early_s, p.late_s) == (10800, 1800, None)
    assert p.taper == (300, 7, 7) and p.discontinue is False and p.acknowledged == [] and p.renal is None
    assert [s.days for s in p.steps] == [1, 1, 5, 5, 5, None]
    assert [s.start_day - p.start_day for s in p.steps] == [0, 1, 2, 7, 12, 17]
    assert [s.total for s in p.steps] == [300, 600, 900, 1200, 1500, 1800]
    assert p.steps[3].doses == [(480, 300), (840, 300), (1260, 600)]
    assert p.step_index_on(p.start_day - 1) is None and p.doses_on(p.start_day - 1) == []
    assert p.step_index_on(p.start_day) == 0 and p.doses_on(p.start_day) == [(1260, 300)]
    assert p.step_index_on(p.start_day + 16) == 4 and p.step_index_on(p.start_day + 17) == 5
    assert p.step_index_on(p.start_day + 10_000) == 5 and p.total_on(p.start_day + 10_000) == 1800
    assert p.raw is DEMO


def test_parse_defaults_and_options():
    p = parse_plan(
        plan(
            [step(("21:00", 300), days=7), ZERO],
            limits={"min_interval_min": 240, "early_min": 0, "late_min": 90},
            discontinue="immediate",
            renal_crcl_ml_min=40,
        )
    )
    assert (p.min_interval_s, p.early_s, p.late_s, p.discontinue, p.renal) == (14400, 0, 5400, True, 40)
    assert p.form == "capsule" and p.timezone is None and p.taper is None
    assert p.total_on(p.start_day + 6) == 300 and p.total_on(p.start_day + 7) == 0
    assert p.doses_on(p.start_day + 100) == []


def test_doses_in_any_order_are_sorted():
    p = parse_plan(plan([step(("21:00", 100), ("08:00", 200), ("14:00", 100))]))
    assert p.steps[0].doses == [(480, 200), (840, 100), (1260, 100)]
