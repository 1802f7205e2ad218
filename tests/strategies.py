"""Hypothesis strategies for steadydose plans, shared by the plan, gate and controller properties.

`valid_plans()` builds plan dicts (format v1) that pass check_plan *by construction*, so a failure
anywhere is a real disagreement, never a badly generated input:

- dose times of every step lie in one window [first, last] whose overnight gap keeps min_interval, so
  doses stay apart within a day, across midnight and across step boundaries; steps with 3+ doses keep
  every gap (overnight too) within 12 h;
- daily totals walk from <= 900 mg in titration steps (+300 at most), plateaus and reductions
  (G-REDUCE-STEP; faster than 300 mg a week only with W-REDUCE-FAST acknowledged), under the plan's
  max_daily_mg, the renal band and (unless acknowledged) 1800 mg/day;
- optionally the plan ends with a taper down to <= 300 mg/day held >= 7 days, then the open 0 mg step;
- optionally a taper rule, kept only when a stop request could build a taper from every step.

Variety: 100/300/400/600/800 mg units, 1-4 doses a day, real POSIX TZ strings (northern and southern
hemisphere DST, no DST, half-hour offsets), start dates 2025-2030, optional late_min/early_min/
min_interval_min/renal_crcl_ml_min/timezone/form, doses listed in any order.
"""

from hypothesis import strategies as st

from steadydose import timebase
from steadydose.plan import FORMAT, renal_band
from steadydose.profile import GABAPENTIN as P
from steadydose.taper import taper_levels

UNITS = (100, 300, 400, 600, 800)
_UNIT_CHOICES = (300, 100, 300, 100, 400, 600, 800)  # the tapering-friendly sizes weighted up

# (IANA name for people, POSIX TZ the device uses)
ZONES = (
    ("Europe/London", "GMT0BST,M3.5.0/1,M10.5.0"),
    ("Europe/Berlin", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ("America/New_York", "EST5EDT,M3.2.0,M11.1.0"),
    ("America/Los_Angeles", "PST8PDT,M3.2.0,M11.1.0"),
    ("Australia/Sydney", "AEST-10AEDT,M10.1.0,M4.1.0/3"),
    ("Pacific/Auckland", "NZST-12NZDT,M9.5.0,M4.1.0/3"),
    ("America/Santiago", "<-04>4<-03>,M9.1.6/24,M4.1.6/24"),
    ("Australia/Lord_Howe", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"),
    ("America/Sao_Paulo", "<-03>3"),
    ("Asia/Kolkata", "IST-5:30"),
    ("Asia/Tokyo", "JST-9"),
    ("UTC", "UTC0"),
)

FIRST_DAY = timebase.parse_date("2025-01-01")
LAST_DAY = timebase.parse_date("2030-12-31")

WEEK = P.reduce_hold_days  # a reduced step held this long is not fast (W-REDUCE-FAST)
ZERO_FROM = P.zero_from.hi  # the step to 0 comes from <= this (G-REDUCE-STEP)
TID_GAP = P.tid_gap.hi  # minutes


def _ceil_div(a, b):
    return -(-a // b)


def _times(draw, n, first, last, interval):
    """n sorted dose minutes inside [first, last] (first + 1440 - last >= interval), consecutive ones
    >= interval apart; with 3+ doses every gap, overnight too, <= 12 h."""
    if n == 1:
        return [draw(st.integers(first, last))]
    if n >= P.tid_min_doses:
        span_min = max(1440 - TID_GAP, (n - 1) * interval)
        t1 = draw(st.integers(first, min(first + 90, last - span_min)))
        tn = draw(st.integers(t1 + span_min, min(last, t1 + (n - 1) * TID_GAP)))
        top = TID_GAP
    else:
        t1 = draw(st.integers(first, last - (n - 1) * interval))
        tn = draw(st.integers(t1 + (n - 1) * interval, last))
        top = 1440
    times = [t1]
    left = tn - t1
    for k in range(n - 2):
        gaps_left = n - 1 - k
        lo = max(interval, left - (gaps_left - 1) * top)
        hi = min(top, left - (gaps_left - 1) * interval)
        g = draw(st.integers(lo, hi))
        times.append(times[-1] + g)
        left -= g
    times.append(tn)
    return times


def _capsules(draw, total_caps, n, max_caps):
    """Split total_caps capsules over n doses, 1..max_caps each."""
    out = []
    left = total_caps
    for k in range(n):
        rest = n - 1 - k
        lo = max(1, left - rest * max_caps)
        hi = min(max_caps, left - rest)
        c = draw(st.integers(lo, hi))
        out.append(c)
        left -= c
    return out


class _Ctx:
    def __init__(self, unit, max_caps, interval, first, last, cap, max_doses):
        self.unit = unit
        self.max_caps = max_caps
        self.interval = interval
        self.first = first
        self.last = last
        self.cap = cap  # highest daily total allowed (max_daily_mg, renal band, 1800 unless acknowledged)
        self.max_doses = max_doses


def _step_doses(draw, ctx, lo_mg, hi_mg):
    """Doses for one day with a total in [lo_mg, hi_mg] -> [(minute, mg)] or None if impossible."""
    u = ctx.unit
    c_lo = max(1, _ceil_div(lo_mg, u))
    c_hi = hi_mg // u
    n_max = min(4, ctx.max_doses, (ctx.last - ctx.first) // ctx.interval + 1)
    ns = [n for n in range(1, n_max + 1) if n <= c_hi and n * ctx.max_caps >= c_lo and c_lo <= c_hi]
    if not ns:
        return None
    n = draw(st.sampled_from(ns[::-1]))
    caps = draw(st.integers(max(c_lo, n), min(c_hi, n * ctx.max_caps)))
    split = _capsules(draw, caps, n, ctx.max_caps)
    times = _times(draw, n, ctx.first, ctx.last, ctx.interval)
    return [(t, c * u) for t, c in zip(times, split, strict=True)]


def _reduce_bounds(prev, fast):
    # Lowest total a reduction from prev may reach (G-REDUCE-STEP; 300/step unless fast is allowed).
    most = P.reduce_step.hi if fast else P.reduce_step.soft_hi
    return max(prev - most, _ceil_div(prev * (100 - P.reduce_pct), 100))


def _dose_dicts(draw, doses, shuffle):
    out = [{"time": timebase.format_hhmm(m), "mg": mg} for m, mg in doses]
    if shuffle and len(out) > 1:
        out = list(draw(st.permutations(out)))
    return out


def _taper_buildable(steps, unit, rule):
    for _days, doses in steps:
        if doses and taper_levels(sorted(doses), unit, rule) is None:
            return False
    return True


@st.composite
def valid_plans(draw, max_steps=6, taper=None, end_at_zero=None, discontinue=False):
    """A random plan dict that passes check_plan.

    taper: None = maybe, True = always try (kept only if buildable from every step), False = never.
    end_at_zero: None = maybe, True/False = force trying / not trying a final taper to 0 mg.
    discontinue: add "discontinue": "immediate" sometimes (off by default: it stops dosing at once).
    """
    renal = draw(
        st.one_of(st.none(), st.none(), st.integers(0, 140), st.sampled_from([14, 15, 29, 30, 59, 60]))
    )
    band = renal_band(renal) if renal is not None else (0, P.max_daily.hi, 99)
    climb = draw(st.integers(0, 3)) == 0  # titrate as fast as allowed: reaches high daily totals
    allow_high = climb or draw(st.booleans())  # may go above 1800 mg/day (acknowledged)
    allow_fast = draw(st.booleans())  # may cut faster than 300 mg a week (acknowledged)
    if climb:
        max_daily = draw(st.sampled_from([2400, 3000, 3600]))
    else:
        max_daily = draw(
            st.one_of(st.sampled_from([1800, 3600, 2400, 1200, 900]), st.integers(300, P.max_daily.hi))
        )
    cap = min(max_daily, band[1], P.max_daily.hi if allow_high else P.max_daily.soft_hi)
    # cap >= 300 always (max_daily >= 300, every renal band allows >= 300): 100 and 300 always fit.
    unit = draw(st.sampled_from([u for u in _UNIT_CHOICES if u <= min(cap, P.titrate_start.hi)]))
    max_caps = min(P.units_per_dose.hi, P.max_dose.hi // unit)
    interval_field = draw(st.sampled_from([None, None, 180, 195, 240, 300]))
    interval = interval_field or P.default_min_interval
    first = draw(st.integers(300, 660))
    last = draw(st.integers(first + 1440 - TID_GAP, min(1439, first + 1440 - interval)))
    ctx = _Ctx(unit, max_caps, interval, first, last, cap, band[2])

    n_steps = max_steps if climb else draw(st.integers(1, max_steps))
    steps = []  # [(days or None, [(minute, mg)])]
    prev = None
    for k in range(n_steps):
        if prev is None:
            lo, hi = 1, min(cap, P.titrate_start.hi)
        else:
            lo, hi = _reduce_bounds(prev, allow_fast), min(cap, prev + P.titrate_step.hi)
            if (climb or draw(st.integers(0, 2))) and prev + unit <= hi:
                lo = prev + unit  # titrating up (the common shape of a plan's first weeks)
        if climb:
            lo = max(lo, hi - unit + 1)
        doses = _step_doses(draw, ctx, lo, hi)
        if doses is None:
            break
        total = sum(mg for _m, mg in doses)
        reduced = prev is not None and total < prev
        min_days = WEEK if reduced and not allow_fast else 1
        days = draw(st.integers(min_days, max(min_days, 14)))
        steps.append((days, doses))
        prev = total
        if k and not climb and draw(st.integers(0, 5)) == 0:
            break
    if not steps:  # cannot happen with the unit chosen <= cap, but keep the strategy total
        steps.append((1, [(first, unit)]))
        prev = unit

    zero = draw(st.booleans()) if end_at_zero is None else end_at_zero
    if zero:
        tail = []
        level = prev
        ok = True
        while level > ZERO_FROM:
            lo = _reduce_bounds(level, allow_fast)
            doses = _step_doses(draw, ctx, lo, level - unit)
            if doses is None:
                ok = False
                break
            level = sum(mg for _m, mg in doses)
            days = draw(st.integers(1 if allow_fast else WEEK, 14))
            tail.append((days, doses))
        if ok:
            steps.extend(tail)
            last_days, last_doses = steps[-1]
            # G-TAPER-DAYS: the level it stops from held >= 7 days is always enough.
            steps[-1] = (max(last_days, P.taper_days.lo), last_doses)
            steps.append((None, []))
        else:
            zero = False
    if not zero:
        steps[-1] = (None, steps[-1][1])  # G-END: the last step runs on

    totals = [sum(mg for _m, mg in d) for _days, d in steps]
    need_high = any(t > P.max_daily.soft_hi for t in totals)
    need_fast = False
    for i in range(1, len(steps)):
        t, p = totals[i], totals[i - 1]
        if 0 < t < p and (p - t > P.reduce_step.soft_hi or (steps[i][0] is not None and steps[i][0] < WEEK)):
            need_fast = True

    plan = {
        "format": FORMAT,
        "plan_id": draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=16)),
        "version": draw(st.integers(1, 10**6)),
        "medication": {"name": draw(st.sampled_from(["gabapentin", "Gabapentin"])), "unit_mg": unit},
    }
    if draw(st.booleans()):
        plan["medication"]["form"] = draw(st.sampled_from(["capsule", "tablet"]))
    zone, posix = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        plan["timezone"] = zone
    plan["posix_tz"] = posix
    plan["start_date"] = timebase.format_date(draw(st.integers(FIRST_DAY, LAST_DAY)))
    limits = {"max_daily_mg": max_daily}
    if interval_field is not None:
        limits["min_interval_min"] = interval_field
    if draw(st.booleans()):
        limits["early_min"] = draw(st.integers(P.early.lo, P.early.hi))
    if draw(st.booleans()):
        limits["late_min"] = draw(st.integers(P.late.lo, P.late.hi))
    plan["limits"] = limits
    shuffle = draw(st.booleans())
    plan["steps"] = []
    for days, doses in steps:
        s = {} if days is None else {"days": days}
        s["doses"] = _dose_dicts(draw, doses, shuffle)
        plan["steps"].append(s)

    want_taper = draw(st.integers(0, 2)) > 0 if taper is None else taper
    if want_taper and unit <= P.taper_step_mg.hi:
        step_mg = unit * draw(st.integers(1, P.taper_step_mg.hi // unit))
        rule = (
            step_mg,
            draw(st.integers(P.taper_step_days.lo, 14)),
            draw(st.integers(P.taper_min_days.lo, 28)),
        )
        if _taper_buildable(steps, unit, rule):
            plan["taper"] = {"step_mg": rule[0], "step_days": rule[1], "min_days": rule[2]}

    ack = []
    if need_high or (allow_high and draw(st.booleans())):
        ack.append("W-DAILY-ABOVE-1800")
    if need_fast or (allow_fast and draw(st.booleans())):
        ack.append("W-REDUCE-FAST")
    if ack or draw(st.booleans()):
        plan["acknowledged"] = ack
    if renal is not None:
        plan["renal_crcl_ml_min"] = renal
    if discontinue and draw(st.booleans()):
        plan["discontinue"] = "immediate"
    return plan


def plan_day_offsets(plan):
    """Strategy for a day offset from start_date: inside the stepped part, or a while after it."""
    fixed = sum(s.get("days", 0) for s in plan["steps"])
    return st.integers(0, fixed + 30)


# ---- plans broken in one known way ----------------------------------------------------------------
# Each mutation takes a deep copy of a valid plan (and `draw`) and returns the rule id it must be
# rejected with, or None when it does not apply to this plan. Other rules may fire too (breaking one
# thing can break its neighbours); the named rule must be among them.


def _caps(plan):
    unit = plan["medication"]["unit_mg"]
    return unit, min(P.units_per_dose.hi, P.max_dose.hi // unit)


def _dosed_steps(plan):
    return [s for s in plan["steps"] if s["doses"]]


def _m_format(plan, draw):
    plan["format"] = draw(st.sampled_from(["steadydose.plan/2", "steadydose.plan", "", "STEADYDOSE.PLAN/1"]))
    return "PLAN-FORMAT"


def _m_unknown_key(plan, draw):
    where = draw(st.sampled_from(["top", "limits", "medication", "dose", "step", "taper"]))
    if where == "top":
        plan["max_daily_mg"] = 1800  # a limit at the wrong level must not be ignored
    elif where == "limits":
        plan["limits"]["max_dose_mg"] = 600
    elif where == "medication":
        plan["medication"]["strength"] = "300 mg"
    elif where == "dose":
        draw(st.sampled_from(_dosed_steps(plan)))["doses"][0]["with_food"] = True
    elif where == "step":
        plan["steps"][0]["note"] = "titration"
    elif "taper" in plan:
        plan["taper"]["step_weeks"] = 1
    else:
        return None
    return "PLAN-FORMAT"


def _m_missing(plan, draw):
    path = draw(
        st.sampled_from(
            [
                "format",
                "plan_id",
                "version",
                "medication",
                "posix_tz",
                "start_date",
                "limits",
                "steps",
                "medication.name",
                "medication.unit_mg",
                "limits.max_daily_mg",
                "step.doses",
                "dose.mg",
            ]
        )
    )
    if path == "step.doses":
        del draw(st.sampled_from(plan["steps"]))["doses"]
    elif path == "dose.mg":
        del draw(st.sampled_from(_dosed_steps(plan)))["doses"][0]["mg"]
    elif "." in path:
        a, b = path.split(".")
        del plan[a][b]
    else:
        del plan[path]
    return "PLAN-FORMAT"


def _m_mistyped(plan, draw):
    what = draw(st.sampled_from(["version", "unit_mg", "mg", "days", "max_daily", "timezone", "ack", "date"]))
    if what == "version":
        plan["version"] = draw(st.sampled_from([True, "1", 1.0, None, 0]))
    elif what == "unit_mg":
        plan["medication"]["unit_mg"] = draw(st.sampled_from([True, "300", 300.0, 0, -100]))
    elif what == "mg":
        draw(st.sampled_from(_dosed_steps(plan)))["doses"][0]["mg"] = draw(
            st.sampled_from([0, -300, "300", 300.5, False])
        )
    elif what == "days":
        stepped = [s for s in plan["steps"] if "days" in s]
        if not stepped:
            return None
        draw(st.sampled_from(stepped))["days"] = draw(st.sampled_from([0, -1, "7", 7.0, True]))
    elif what == "max_daily":
        plan["limits"]["max_daily_mg"] = draw(st.sampled_from(["1800", 1800.0, None, [1800]]))
    elif what == "timezone":
        plan["timezone"] = draw(st.sampled_from([1, None, ["Europe/London"]]))
    elif what == "ack":
        plan["acknowledged"] = draw(
            st.sampled_from(["W-REDUCE-FAST", ["W-TOO-HIGH"], [1], {"W-REDUCE-FAST": True}])
        )
    else:
        plan["start_date"] = draw(
            st.sampled_from(["2026-02-30", "2026-13-01", "26-03-01", "2026/03/01", 20260301])
        )
    return "PLAN-FORMAT"


def _m_bad_time(plan, draw):
    dose = draw(st.sampled_from(_dosed_steps(plan)))["doses"][0]
    dose["time"] = draw(st.sampled_from(["24:00", "8:00", "08:60", "0800", "08:00:00", "", 800]))
    return "PLAN-FORMAT"


def _m_posix(plan, draw):
    plan["posix_tz"] = draw(st.sampled_from(["GMT0BST", "CET-1CEST", "", "Europe/London", "X0", 0]))
    return "PLAN-FORMAT"


def _m_prn(plan, draw):
    dose = draw(st.sampled_from(_dosed_steps(plan)))["doses"][-1]
    if draw(st.booleans()):
        del dose["time"]
    else:
        dose["time"] = None
    return "G-NO-PRN"


def _m_interval_limit(plan, draw):
    plan["limits"]["min_interval_min"] = draw(st.integers(-5, P.min_interval.lo - 1))
    return "G-MIN-INTERVAL"


def _m_close_doses(plan, draw):
    step = draw(st.sampled_from(_dosed_steps(plan)))
    dose = draw(st.sampled_from(step["doses"]))
    m = timebase.parse_hhmm(dose["time"])
    near = (
        m + draw(st.integers(1, P.min_interval.lo - 1))
        if m < 1200
        else m - draw(st.integers(1, P.min_interval.lo - 1))
    )
    step["doses"].append({"time": timebase.format_hhmm(near), "mg": _caps(plan)[0]})
    return "G-MIN-INTERVAL"


def _m_early(plan, draw):
    plan["limits"]["early_min"] = draw(
        st.one_of(st.integers(P.early.hi + 1, 2000), st.integers(-100, P.early.lo - 1))
    )
    return "G-EARLY"


def _m_max_daily(plan, draw):
    if draw(st.booleans()):
        plan["limits"]["max_daily_mg"] = draw(
            st.one_of(st.integers(P.max_daily.hi + 1, 10**6), st.integers(-100, 0))
        )
    else:
        top = max(sum(d["mg"] for d in s["doses"]) for s in plan["steps"])
        plan["limits"]["max_daily_mg"] = top - draw(st.integers(1, top - 1)) if top > 1 else None
        if plan["limits"]["max_daily_mg"] is None:
            return None
    return "G-MAX-DAY"


def _m_units(plan, draw):
    unit, _ = _caps(plan)
    dose = draw(st.sampled_from(_dosed_steps(plan)))["doses"][0]
    if draw(st.booleans()):
        dose["mg"] = dose["mg"] + draw(st.integers(1, unit - 1))  # not whole capsules
    else:
        dose["mg"] = unit * (P.units_per_dose.hi + 1)  # too many capsules for one compartment
    return "PLAN-UNITS"


def _m_max_dose(plan, draw):
    unit, _ = _caps(plan)
    dose = draw(st.sampled_from(_dosed_steps(plan)))["doses"][0]
    dose["mg"] = (P.max_dose.hi // unit + 1) * unit
    return "G-MAX-DOSE"


def _big_day(plan, n):
    unit, caps = _caps(plan)
    times = ("06:00", "11:00", "16:00", "21:00")[:n] if n == 4 else ("08:00", "14:00", "20:00")
    return [{"time": t, "mg": unit * caps} for t in times]


def _m_titrate_start(plan, draw):
    plan["steps"][0]["doses"] = _big_day(plan, 3)  # >= 1200 mg/day whatever the capsule
    return "G-TITRATE-START"


def _m_titrate_step(plan, draw):
    steps = plan["steps"]
    new = {"doses": _big_day(plan, 4)}  # >= 1600 mg/day: more than 300 above a first step <= 900
    if len(steps) == 1:
        steps[0]["days"] = draw(st.integers(1, 14))
    else:
        new["days"] = draw(st.integers(1, 14))
    steps.insert(1, new)
    return "G-TITRATE-STEP"


def _m_reduce_to_zero(plan, draw):
    unit, caps = _caps(plan)
    k = P.zero_from.hi // unit + 1
    if k > caps:
        return None
    plan["steps"] = [
        {"days": draw(st.integers(7, 30)), "doses": [{"time": "08:00", "mg": k * unit}]},
        {"doses": []},
    ]
    plan.pop("taper", None)
    return "G-REDUCE-STEP"


def _m_reduce_cut(plan, draw):
    # A cut of more than half: 4 capsules -> 1 capsule.
    unit, caps = _caps(plan)
    if caps < 2:
        return None
    plan["steps"] = [
        {"days": 7, "doses": [{"time": "08:00", "mg": 2 * unit}, {"time": "20:00", "mg": 2 * unit}]},
        {"doses": [{"time": "20:00", "mg": unit}]},
    ]
    return "G-REDUCE-STEP"


def _m_taper_days(plan, draw):
    unit, _ = _caps(plan)
    if unit > P.zero_from.hi:
        return None
    plan["steps"] = [
        {"days": draw(st.integers(1, P.taper_days.lo - 1)), "doses": [{"time": "21:00", "mg": unit}]},
        {"doses": []},
    ]
    return "G-TAPER-DAYS"


def _m_end(plan, draw):
    last = plan["steps"][-1]
    last["days"] = draw(st.integers(1, 30))
    return "G-END" if last["doses"] else "PLAN-FORMAT"


def _m_tid(plan, draw):
    unit, _ = _caps(plan)
    step = draw(st.sampled_from(_dosed_steps(plan)))
    late = draw(st.integers(1, 120))
    step["doses"] = [{"time": t, "mg": unit} for t in ("08:00", "14:00", timebase.format_hhmm(1200 - late))]
    return "G-TID-GAP"


def _m_taper_rule(plan, draw):
    unit, _ = _caps(plan)
    t = plan.setdefault("taper", {"step_mg": unit, "step_days": 7, "min_days": 7})
    which = draw(st.sampled_from(["min_days", "step_days", "step_mg"]))
    if which == "min_days":
        t["min_days"] = draw(st.integers(-3, P.taper_min_days.lo - 1))
    elif which == "step_days":
        t["step_days"] = draw(st.integers(-3, P.taper_step_days.lo - 1))
    else:
        t["step_mg"] = draw(st.sampled_from([0, -unit, (P.taper_step_mg.hi // unit + 1) * unit]))
    return "G-TAPER-RULE"


def _m_renal(plan, draw):
    plan["renal_crcl_ml_min"] = draw(st.integers(0, 14))
    unit, _ = _caps(plan)
    plan["steps"][0]["doses"] = [{"time": "08:00", "mg": unit}, {"time": "20:00", "mg": unit}]
    return "G-RENAL"


def _m_unack_high(plan, draw):
    totals = [sum(d["mg"] for d in s["doses"]) for s in plan["steps"]]
    if max(totals) <= P.max_daily.soft_hi:
        return None
    plan["acknowledged"] = [w for w in plan.get("acknowledged", []) if w != "W-DAILY-ABOVE-1800"]
    return "W-DAILY-ABOVE-1800"


def _m_fast_hold(plan, draw):
    steps = plan["steps"]
    totals = [sum(d["mg"] for d in s["doses"]) for s in steps]
    held = [i for i in range(1, len(steps)) if 0 < totals[i] < totals[i - 1] and "days" in steps[i]]
    if not held:
        return None
    steps[draw(st.sampled_from(held))]["days"] = draw(st.integers(1, WEEK - 1))
    plan["acknowledged"] = [w for w in plan.get("acknowledged", []) if w != "W-REDUCE-FAST"]
    return "W-REDUCE-FAST"


MUTATIONS = (
    _m_format,
    _m_unknown_key,
    _m_missing,
    _m_mistyped,
    _m_bad_time,
    _m_posix,
    _m_prn,
    _m_interval_limit,
    _m_close_doses,
    _m_early,
    _m_max_daily,
    _m_units,
    _m_max_dose,
    _m_titrate_start,
    _m_titrate_step,
    _m_reduce_to_zero,
    _m_reduce_cut,
    _m_taper_days,
    _m_end,
    _m_tid,
    _m_taper_rule,
    _m_renal,
    _m_unack_high,
    _m_fast_hold,
)


@st.composite
def broken_plans(draw, mutations=MUTATIONS):
    """(plan, rule_id): a valid plan broken by one mutation that must be rejected with rule_id."""
    import copy

    for _ in range(20):
        plan = copy.deepcopy(draw(valid_plans()))
        mutate = draw(st.sampled_from(mutations))
        rule = mutate(plan, draw)
        if rule is not None:
            return plan, rule
    plan = copy.deepcopy(draw(valid_plans()))
    return plan, _m_format(plan, draw)
