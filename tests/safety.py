"""The safety properties of CLINICAL_RULES.md, checked over a run's event log.

`check_run(events, plans, live_state)` replays the records in order, rebuilding the device state as it
goes, and checks each dispense against the state just before it. Times: `true` is the world's time (the
properties hold on true elapsed time, whatever the device clock did); `rec["t"]` is the device clock.
"""

from __future__ import annotations

from steadydose.journal import State
from steadydose.plan import check_plan_full, taper_plan
from steadydose.profile import GABAPENTIN

P = GABAPENTIN


class SafetyError(AssertionError):
    pass


def _fail(msg: str, true_t: int, rec: dict) -> None:
    raise SafetyError(f"{msg} (at true {true_t}, record {rec})")


def check_run(events: list, plans, live_state=None) -> dict:
    """events: [(true_time, record)] in the order the device made them. Returns counts for reporting."""
    st = State(plans)
    given: list[tuple[int, int]] = []  # (true time, mg) of every dispense
    seen_slots: set[str] = set()
    missed: set[str] = set()
    counts = {"dispensed": 0, "missed": 0, "refused": 0, "taper_started": 0}
    in_flight: dict[str, tuple[int, dict]] = {}  # slot -> (true time, write-ahead record)
    for true_t, rec in events:
        ev = rec["event"]
        if ev in counts:
            counts[ev] += 1
        if ev == "dispensing":
            in_flight[rec["slot"]] = (true_t, rec)
        if ev == "dispensed" and rec.get("unconfirmed"):
            # logged at the boot after a power cut during the move: judge it at the move's own time
            true_t, ahead = in_flight[rec["slot"]]
            rec = dict(rec, t=ahead["t"])
        if ev == "dispensed":
            slot = rec["slot"]
            if slot in seen_slots:
                _fail("R-ONCE: slot dispensed twice", true_t, rec)
            if slot in missed:
                _fail("R-MISSED: a missed slot came back", true_t, rec)
            if st.sched is None:
                _fail("R-NO-PLAN: dispensed with no plan", true_t, rec)
            if not st.trusted:
                _fail("R-CLOCK: dispensed on an untrusted clock", true_t, rec)
            s = st.sched.find(slot)
            if s is None or not (s.opens <= rec["t"] < s.closes):
                _fail("R-WINDOW: dispensed outside its window", true_t, rec)
            if s.mg != rec["mg"]:
                _fail("dispensed mg differs from the slot's", true_t, rec)
            plan = st.plan
            if given and true_t - given[-1][0] < plan.min_interval_s:
                _fail("R-MIN-INTERVAL: two dispenses closer than the interval (true time)", true_t, rec)
            window = sum(mg for t, mg in given if true_t - t < P.rolling_s) + rec["mg"]
            if window > plan.max_daily_mg:
                _fail(f"R-ROLLING-24H: {window} mg in 24 h of true time", true_t, rec)
            seen_slots.add(slot)
            given.append((true_t, rec["mg"]))
        elif ev == "missed":
            missed.add(rec["slot"])
        elif ev == "taper_started":
            _check_taper(st, rec, true_t)
        st.apply(rec)
    if live_state is not None:
        assert_same_state(st, live_state)
    return counts


def _check_taper(st: State, rec: dict, true_t: int) -> None:
    steps = rec["steps"]
    if steps[-1] != {"days": None, "daily_mg": 0}:
        _fail("taper does not end at 0 mg/day", true_t, rec)
    today_total = st.plan.total_on(st.sched.local_day(rec["t"]))
    prev, days = today_total, 0
    for s in steps:
        cut = prev - s["daily_mg"]
        if s["daily_mg"] == 0:
            if prev > P.zero_from.hi:
                _fail("G-REDUCE-STEP: taper steps to 0 from above 300 mg/day", true_t, rec)
        elif cut > P.reduce_step.hi or cut * 100 > prev * P.reduce_pct or cut < 0:
            _fail("G-REDUCE-STEP: taper cuts too fast", true_t, rec)
        if s["days"] is not None:
            days += s["days"]
        prev = s["daily_mg"]
    if days < P.taper_days.lo:
        _fail("G-TAPER-DAYS: taper shorter than 7 days", true_t, rec)
    from steadydose.timebase import parse_date

    obj = taper_plan(st.base, parse_date(rec["from"]) - 1)
    violations, _ = check_plan_full(obj)
    if violations:
        _fail(f"generated taper fails validation: {violations}", true_t, rec)


STATE_FIELDS = ("versions", "trusted", "untrusted_reason", "dispensed", "missed", "floor", "doses",
                "last_e", "supply", "pos", "jammed", "fault_kind", "in_flight", "discontinued", "since", "supply_low")


def assert_same_state(rebuilt: State, live: State) -> None:
    for name in STATE_FIELDS:
        a, b = getattr(rebuilt, name), getattr(live, name)
        if a != b:
            raise SafetyError(f"state rebuilt from records differs from the live state in {name}: {a!r} != {b!r}")
    for name in ("base", "plan"):
        a, b = getattr(rebuilt, name), getattr(live, name)
        if (a is None) != (b is None) or (a is not None and a.raw != b.raw):
            raise SafetyError(f"rebuilt {name} differs from the live one")
