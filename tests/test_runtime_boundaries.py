"""Table-driven boundary tests for the run-time rules (CLINICAL_RULES.md "Decisions at run time"):
each limit exactly at, just under and just over (after LoopKit's guardrail tests)."""

from __future__ import annotations

import copy
import importlib.util

import pytest

from steadydose import gate
from steadydose.journal import MemoryPlans, State
from steadydose.plan import parse_plan
from steadydose.schedule import Schedule
from steadydose.timebase import DAY, parse_date
from tests.mpy import MPY_HELPERS

_spec = importlib.util.spec_from_file_location("drive", MPY_HELPERS / "drive.py")
drive = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(drive)

H, M = 3600, 60

BASE = {
    "format": "steadydose.plan/1", "plan_id": "b", "version": 1,
    "medication": {"name": "gabapentin", "unit_mg": 300},
    "posix_tz": "UTC0", "start_date": "2026-03-01",
    "limits": {"max_daily_mg": 1800, "min_interval_min": 180, "early_min": 30},
    "steps": [{"doses": [{"time": "08:00", "mg": 300}, {"time": "14:00", "mg": 300}, {"time": "21:00", "mg": 300}]}],
}
DAY0 = parse_date("2026-03-01") * DAY


def plan(**changes):
    p = copy.deepcopy(BASE)
    for k, v in changes.items():
        if k in ("min_interval_min", "early_min", "late_min", "max_daily_mg"):
            p["limits"][k] = v
        else:
            p[k] = v
    return p


def decide(p, wall, elapsed=None, dispensed=(), doses=(), last_e=None, trusted=True, jammed=False, supply=5):
    st = State(MemoryPlans())
    for name in dispensed:
        st.dispensed[name] = parse_date(name[:10])
    st.doses = list(doses)
    st.last_e = last_e
    return gate.decide(Schedule(parse_plan(p)), st, wall, wall if elapsed is None else elapsed, trusted,
                       jammed, supply)


# R-WINDOW: opens early_min before the dose time, closes at the midpoint to the next (half-open)
@pytest.mark.parametrize("offset, reason", [
    (-30 * M - 1, "too_early"),   # just before it opens
    (-30 * M, None),              # exactly at the opening instant
    (-30 * M + 1, None),
    (3 * H - 1, None),            # 08:00 -> 14:00: midpoint 11:00, just before
    (3 * H, "too_early"),         # exactly at the close: closed (14:00 slot not open yet)
])
def test_r_window_edges(offset, reason):
    d = decide(plan(), DAY0 + 8 * H + offset)
    assert d.reason == reason
    if reason is None:
        assert d.slot.name == "2026-03-01#1"
    else:
        assert d.rule == "R-WINDOW"


def test_r_window_too_early_says_when_it_opens():
    d = decide(plan(), DAY0 + 7 * H)
    assert (d.reason, d.rule, d.opens_at) == ("too_early", "R-WINDOW", DAY0 + 7 * H + 30 * M)


@pytest.mark.parametrize("late, offset, ok", [(60, 60 * M - 1, True), (60, 60 * M, False), (60, 60 * M + 1, False)])
def test_r_window_late_min_closes_earlier(late, offset, ok):
    d = decide(plan(late_min=late), DAY0 + 8 * H + offset)
    assert d.ok is ok


def test_r_window_no_slot_after_therapy_ends():
    p = plan(steps=[{"days": 7, "doses": [{"time": "21:00", "mg": 300}]}, {"doses": []}])
    assert decide(p, DAY0 + 30 * DAY).reason == "no_slot"


# R-MIN-INTERVAL on elapsed time: 180 min exactly is allowed
@pytest.mark.parametrize("since_last, reason", [(180 * M - 1, "min_interval"), (180 * M, None), (180 * M + 1, None)])
def test_r_min_interval(since_last, reason):
    now = DAY0 + 14 * H
    d = decide(plan(), now, elapsed=10 * DAY, last_e=10 * DAY - since_last, doses=[(10 * DAY - since_last, 300)])
    assert d.reason == reason
    if reason:
        assert d.rule == "R-MIN-INTERVAL" and d.opens_at == now + 1


# R-ROLLING-24H: never more than max_daily_mg in any 24 h of elapsed time (exactly 24 h ago is outside)
@pytest.mark.parametrize("age, reason", [(DAY - 1, "daily_limit"), (DAY, None), (DAY + 1, None)])
def test_r_rolling_24h(age, reason):
    e = 10 * DAY
    doses = [(e - age, 300), (e - 12 * H, 300), (e - 6 * H, 300)]
    d = decide(plan(max_daily_mg=900), DAY0 + 8 * H, elapsed=e, doses=doses, last_e=e - 6 * H)
    assert d.reason == reason
    if reason:
        assert d.rule == "R-ROLLING-24H"


def test_r_rolling_24h_exactly_at_limit_is_allowed():
    e = 10 * DAY
    d = decide(plan(max_daily_mg=900), DAY0 + 8 * H, elapsed=e, doses=[(e - 12 * H, 300), (e - 6 * H, 300)],
               last_e=e - 6 * H)
    assert d.ok  # 300 + 300 + 300 == 900


def test_r_once_and_gate_order():
    now = DAY0 + 8 * H
    assert decide(plan(), now, dispensed=["2026-03-01#1"]).reason == "already_dispensed"
    # order: no_plan, clock_untrusted, slot, min_interval, daily_limit, fault, empty
    assert gate.decide(None, State(MemoryPlans()), now, now, False, True, 0).reason == "no_plan"
    assert decide(plan(), now, trusted=False, jammed=True, supply=0).reason == "clock_untrusted"
    assert decide(plan(), now - 2 * H, jammed=True, supply=0).reason == "too_early"
    assert decide(plan(), now, jammed=True, supply=0).reason == "fault"
    assert decide(plan(), now, supply=0).reason == "empty"
    assert decide(plan(), now, supply=1).ok
    for reason, rule in gate.RULE_OF.items():
        assert rule.startswith("R-"), reason


# R-CLOCK: a set of more than 5 minutes either way untrusts the clock; 5 minutes exactly is drift
@pytest.mark.parametrize("delta, reason", [
    (300, None), (299, None), (301, "forward_jump"), (-300, None), (-301, "backward_jump"),
])
def test_r_clock_jump_threshold(delta, reason):
    start = DAY0 + 5 * H
    d = drive.run(plan(), start, start + 2 * H, [[start + H, "set_clock_by", delta]])
    untrusted = [r for _, r in d.out if r["event"] == "clock_untrusted"]
    assert [r["reason"] for r in untrusted] == ([reason] if reason else [])
    assert d.ctrl.st.trusted is (reason is None)


def test_r_clock_before_build_date_and_rtc_lost():
    start = DAY0 + 5 * H
    d = drive.run(plan(), start, start + 3 * H, [[start + H, "rtc_lost_power", None], [start + H, "power_off", None],
                                                [start + 2 * H, "power_on", None], [start + 2 * H, "take", None]])
    reasons = [r.get("reason") for _, r in d.out if r["event"] in ("clock_untrusted", "refused")]
    assert reasons == ["rtc_lost_power", "clock_untrusted"]


# Alarms: LOW 15 min after the dose time, MEDIUM 30 min after; R-GAP-ALARM at 12 h exactly
def _alarms(d):
    return [(t, r["priority"], r["cause"]) for t, r in d.out if r["event"] == "alarm"]


def test_dose_alarm_escalation_times():
    start = DAY0 + 5 * H
    d = drive.run(plan(), start, DAY0 + 8 * H + 31 * M, [])
    assert _alarms(d) == [(DAY0 + 8 * H + 15 * M, "low", "dose_due"), (DAY0 + 8 * H + 30 * M, "medium", "dose_due")]


@pytest.mark.parametrize("until, raised", [(12 * H - 1, False), (12 * H, True)])
def test_r_gap_alarm_at_12_hours(until, raised):
    start = DAY0 + 7 * H + 45 * M  # dose taken at 07:45, then nothing
    d = drive.run(plan(), start, start + until, [[start, "take", None]])
    gap = [a for a in _alarms(d) if a[2] == "gap"]
    assert gap == ([(start + 12 * H, "high", "gap")] if raised else [])


@pytest.mark.parametrize("filled, low", [(3, False), (2, True)])
def test_supply_low_when_less_than_24_hours_left(filled, low):
    start = DAY0 + 5 * H
    d = drive.run(plan(), start, start + H, [], filled=filled)
    assert any(r["event"] == "supply_low" for _, r in d.out) is low


# R-MISSED: at window close (not a second before) an undispensed slot is missed, for good
@pytest.mark.parametrize("until, missed", [(11 * H - 1, []), (11 * H, ["2026-03-01#1"])])
def test_r_missed_exactly_at_close(until, missed):
    start = DAY0 + 5 * H
    d = drive.run(plan(), start, DAY0 + until, [])
    assert [r["slot"] for _, r in d.out if r["event"] == "missed"] == missed
    if missed:
        assert [r["reason"] for _, r in d.out if r["event"] == "missed"] == ["window_closed"]


def test_r_missed_never_comes_back_even_if_the_clock_goes_back():
    start = DAY0 + 5 * H
    acts = [[DAY0 + 11 * H + 60, "set_clock_by", -2 * H], [DAY0 + 11 * H + 61, "confirm_clock", None],
            [DAY0 + 11 * H + 62, "take", None]]
    d = drive.run(plan(), start, DAY0 + 12 * H, acts)
    assert not [r for _, r in d.out if r["event"] == "dispensed"]
    assert [r["reason"] for _, r in d.out if r["event"] == "refused"] == ["too_early"]


# R-STOP: with a taper rule the stop starts it; without, it is refused; during a taper it changes nothing
def test_r_stop():
    start = DAY0 + 9 * H
    no_taper = drive.run(plan(), start, start + H, [[start, "request_stop", None]])
    stops = [r["event"] for _, r in no_taper.out if r["event"].startswith(("stop", "taper"))]
    assert stops == ["stop_requested", "stop_refused"]
    tapered = plan(taper={"step_mg": 300, "step_days": 7, "min_days": 7})
    d = drive.run(tapered, start, start + H, [[start, "request_stop", None], [start + 60, "request_stop", None]])
    events = [r["event"] for _, r in d.out]
    assert events.count("taper_started") == 1 and events.count("stop_requested") == 2
    steps = [r for _, r in d.out if r["event"] == "taper_started"][0]["steps"]
    assert steps == [{"days": 7, "daily_mg": 600}, {"days": 7, "daily_mg": 300}, {"days": None, "daily_mg": 0}]


# R-DISCONTINUE and R-NO-PLAN: a signed order stops dosing at once; then takes are refused no_plan
def test_r_discontinue_then_no_plan():
    start = DAY0 + 7 * H
    stop = plan(version=2, discontinue="immediate", steps=[{"doses": []}])
    d = drive.run(plan(), start, start + 2 * H, [[start, "load_plan", stop], [start + H, "take", None]])
    events = [r["event"] for _, r in d.out]
    assert events[events.index("plan_loaded", 3):][:2] == ["plan_loaded", "discontinued"]
    assert [(r["reason"], r["rule"]) for _, r in d.out if r["event"] == "refused"] == [("no_plan", "R-NO-PLAN")]


# R-DEVICE: one failed move is retried; the second failure is a jam, refused `fault`, not dispensed
@pytest.mark.parametrize("failures, dispensed", [(0, True), (1, True), (2, False)])
def test_r_device_one_retry(failures, dispensed):
    from steadydose.controller import Controller
    from steadydose.journal import MemoryJournal

    st = State(MemoryPlans())
    ctrl = Controller(st, MemoryJournal())
    t = DAY0 + 7 * H + 45 * M

    def perform(acts, fails):
        for a in acts:
            if a[0] == "move" and a[1] is not None:
                if fails[0] > 0:
                    fails[0] -= 1
                    perform(ctrl.motor_failed(t, 0), fails)
                else:
                    perform(ctrl.motor_done(t, 0), fails)
            elif a[0] == "move":
                perform(ctrl.motor_done(t, 0), [0])

    perform(ctrl.power_on(t, 0), [0])
    perform(ctrl.refill(t, 0, 5), [0])
    perform(ctrl.load_plan(plan(), t, 0), [0])
    perform(ctrl.take(t, 0), [failures])
    assert ("2026-03-01#1" in st.dispensed) is dispensed
    assert st.jammed is (not dispensed)


# Audio pause: 2 minutes by default; a caregiver may set 1..5; escalation goes on while paused
@pytest.mark.parametrize("minutes, ok", [(0, False), (1, True), (5, True), (6, False), (True, False), (2.5, False)])
def test_silence_length_limits(minutes, ok):
    from steadydose.controller import Controller
    from steadydose.journal import MemoryJournal

    ctrl = Controller(State(MemoryPlans()), MemoryJournal())
    assert ctrl.silence_s == 120
    assert ctrl.set_silence_minutes(minutes) is ok
    assert ctrl.silence_s == (minutes * 60 if ok else 120)


@pytest.mark.parametrize("pause_at, heard", [
    # silenced at 08:16: quiet 2 minutes, the LOW pattern back at 08:18, MEDIUM at 08:30
    (16, [(15, "low"), (16, None), (18, "low"), (30, "medium")]),
    # silenced at 08:29: escalation goes on while paused, and the higher priority sounds at once
    (29, [(15, "low"), (29, None), (30, "medium")]),
])
def test_audio_pause_lasts_two_minutes_and_escalation_goes_on(pause_at, heard):
    start = DAY0 + 5 * H
    d = drive.run(plan(), start, DAY0 + 8 * H + 45 * M, [[DAY0 + 8 * H + pause_at * M, "silence", None]])
    assert [(int((t - DAY0 - 8 * H) // M), p) for t, p in d.sounds] == heard
    assert [r["event"] for _, r in d.out].count("alarm_paused") == 1


@pytest.mark.parametrize("until, low", [(21 * H, False), (21 * H + 1, True)])
def test_supply_low_as_soon_as_the_supply_covers_less_than_24_hours(until, low):
    """One dose a day at 21:00, the last capsule taken at 20:36: the empty carousel still covers the
    next 24 h until 21:00 (the next dose is then exactly 24 h away), and not a second longer."""
    once = plan(steps=[{"doses": [{"time": "21:00", "mg": 300}]}])
    start = DAY0 + 20 * H
    d = drive.run(once, start, DAY0 + until, [[DAY0 + 20 * H + 36 * M, "take", None]], filled=1)
    lows = [(t, r["doses_left"]) for t, r in d.out if r["event"] == "supply_low"]
    assert lows == ([(DAY0 + 21 * H + 1, 0)] if low else [])
