"""Properties of plan validation, parsing and the stop-request taper (CLINICAL_RULES.md).

- every generated valid plan passes check_plan, and parse_plan reads its schedule back;
- every taper a stop request can build passes check_plan (any day on a non-zero step of any valid plan
  with a taper rule), keeps the schedule up to the stop day, and starts on the next day;
- the taper never cuts faster than G-REDUCE-STEP, holds each level >= step_days, lasts >= min_days
  before 0, keeps the step's dose times and the bedtime dose to the end;
- a valid plan broken in one known way is rejected with that rule id;
- R-TRANSITION mirrors G-TITRATE-STEP / G-REDUCE-STEP on daily totals.
"""

import copy

from hypothesis import assume, given
from hypothesis import strategies as st

from steadydose import timebase
from steadydose.plan import check_plan, check_plan_full, check_transition, parse_plan, taper_plan
from steadydose.profile import GABAPENTIN as P
from steadydose.taper import taper_levels
from tests.strategies import broken_plans, plan_day_offsets, valid_plans


def _totals(plan):
    return [sum(d["mg"] for d in s["doses"]) for s in plan["steps"]]


@given(valid_plans())
def test_generated_plans_are_valid(plan):
    violations, warnings = check_plan_full(plan)
    assert violations == []
    # Warnings only ever come from acknowledged soft limits.
    assert {w[0] for w in warnings} <= set(plan.get("acknowledged", []))


@given(valid_plans(discontinue=True))
def test_validation_does_not_touch_the_plan(plan):
    before = copy.deepcopy(plan)
    check_plan(plan)
    assert plan == before


@given(st.data())
def test_parse_plan_reads_the_schedule(data):
    plan = data.draw(valid_plans())
    p = parse_plan(plan)
    assert p.start_day == timebase.parse_date(plan["start_date"])
    assert [s.total for s in p.steps] == _totals(plan)
    assert p.min_interval_s == plan["limits"].get("min_interval_min", 180) * 60
    off = data.draw(plan_day_offsets(plan))
    day = p.start_day + off
    # Walk the steps by hand: step i covers its `days` from the end of the step before.
    start, index = p.start_day, None
    for i, s in enumerate(plan["steps"]):
        if "days" not in s or day < start + s["days"]:
            index = i
            break
        start += s["days"]
    assert p.step_index_on(day) == index
    want = sorted((timebase.parse_hhmm(d["time"]), d["mg"]) for d in plan["steps"][index]["doses"])
    assert p.doses_on(day) == want
    assert p.total_on(day) == sum(mg for _m, mg in want)
    assert p.step_index_on(p.start_day - 1) is None
    assert p.doses_on(p.start_day - 1) == []


@given(st.data())
def test_every_generated_taper_passes_validation(data):
    plan = data.draw(valid_plans(taper=True))
    assume("taper" in plan)
    p = parse_plan(plan)
    day = p.start_day + data.draw(plan_day_offsets(plan))
    t = taper_plan(p, day)
    if p.total_on(day) == 0:
        assert t is None  # therapy already ended: nothing to taper
        return
    assert t is not None  # check_plan guaranteed (G-TAPER-RULE) a taper from every non-zero step
    assert check_plan(t) == []
    tp = parse_plan(t)
    # Nothing changes up to and including the stop day; the taper starts the next day.
    for d in range(p.start_day, day + 1):
        assert tp.doses_on(d) == p.doses_on(d)
    levels = taper_levels(p.doses_on(day), p.unit_mg, p.taper)
    assert tp.doses_on(day + 1) == levels[0][1]
    assert tp.steps[-1].total == 0 and tp.steps[-1].days is None
    assert (tp.plan_id, tp.version) == (p.plan_id, p.version)


def _cut_ok(before, after):
    # G-REDUCE-STEP written out independently of the implementation.
    if after == 0:
        return before <= 300
    cut = before - after
    return 0 < cut <= 600 and 2 * cut <= before


@given(st.data())
def test_taper_never_cuts_faster_than_the_rules(data):
    plan = data.draw(valid_plans(taper=True))
    assume("taper" in plan)
    unit = plan["medication"]["unit_mg"]
    rule = (plan["taper"]["step_mg"], plan["taper"]["step_days"], plan["taper"]["min_days"])
    for step in plan["steps"]:
        doses = sorted((timebase.parse_hhmm(d["time"]), d["mg"]) for d in step["doses"])
        if not doses:
            assert taper_levels(doses, unit, rule) is None
            continue
        levels = taper_levels(doses, unit, rule)
        assert levels is not None
        assert levels[-1] == (None, [])
        body = levels[:-1]
        start = sum(mg for _m, mg in doses)
        totals = [sum(mg for _m, mg in lv) for _h, lv in body]
        if start <= 300:
            assert totals == [start]  # hold the current dose, then stop
        else:
            chain = [start] + totals
            assert all(_cut_ok(a, b) for a, b in zip(chain, chain[1:], strict=False))
            assert all(a - b <= max(rule[0], unit) for a, b in zip(chain, chain[1:], strict=False))
        assert totals[-1] <= 300 and _cut_ok(totals[-1], 0)
        assert sum(h for h, _lv in body) >= rule[2] >= 7
        assert all(h >= rule[1] for h, _lv in body)
        amounts = dict(doses)
        bedtime = doses[-1][0]
        prev = amounts
        for _h, lv in body:
            mins = [m for m, _mg in lv]
            assert mins == sorted(mins) and bedtime in mins  # bedtime is the last to go
            for m, mg in lv:
                assert m in prev and 0 < mg <= prev[m] and mg % unit == 0
            prev = dict(lv)


@given(broken_plans())
def test_a_broken_rule_is_caught_with_its_id(case):
    plan, rule = case
    ids = [v[0] for v in check_plan(plan)]
    assert rule in ids, (rule, check_plan(plan))


@given(broken_plans())
def test_violations_are_well_formed(case):
    plan, _rule = case
    for v in check_plan(plan):
        assert isinstance(v, tuple) and len(v) == 3
        rule, path, msg = v
        assert rule.startswith(("PLAN-", "G-", "W-")) and isinstance(path, str) and path
        assert isinstance(msg, str) and msg and "\n" not in msg


@given(valid_plans())
def test_acknowledged_soft_limits_become_warnings(plan):
    # Dropping the acknowledgements turns exactly the warnings into violations.
    _v, warnings = check_plan_full(plan)
    bare = copy.deepcopy(plan)
    bare["acknowledged"] = []
    violations, none = check_plan_full(bare)
    assert none == []
    assert [v[:2] for v in violations] == [w[:2] for w in warnings]


@given(st.integers(0, 3600), st.integers(0, 3600))
def test_transition_mirrors_the_step_rules(current, new):
    got = check_transition(current, new)
    rise, cut = new - current, current - new
    if rise > P.titrate_step.hi:
        ok = False
    elif new == 0:
        ok = current <= 300
    elif cut > 0:
        ok = cut <= 600 and 2 * cut <= current
    else:
        ok = True
    if ok:
        assert got == []
    else:
        assert [v[:2] for v in got][0] == ("R-TRANSITION", "steps")
        assert got[1][0] in ("G-TITRATE-STEP", "G-REDUCE-STEP") and got[1][1] == "steps"
    assert check_transition(None, new) == []
