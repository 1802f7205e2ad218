"""Scenario tests: one or more scenario files per run-time rule of CLINICAL_RULES.md.

Each file in tests/scenarios/ is a scenario in the simulator's format (DESIGN.md, "Simulator"); it is run
through the same entry point as `steadydose-sim scenario FILE --json` (click's CliRunner on sim.cli.cli;
one test also runs the installed console script) and its JSON lines are checked against EXPECT below.
The scenario format has no place for expectations, so they live here, one entry per file name:

    exit     the command's exit status (0 unless given)
    events   events that must appear in this order (other events may come between them)
    only     {event name: [...]} the complete list of that kind of event, in order
    never    event patterns that must not appear at all
    stderr   (exit 2) substrings the error message must contain
    check    a function(events) for what a list cannot say (daily totals, spacing in time)

An event pattern is compared exactly with the event, less the extension fields in EXTRA (fields the
device adds beyond the contract's, e.g. the carousel position on `dispensed`). A pattern that is a
(dict, "partial") tuple matches when the named fields match.

Every run that exits 0 is also checked against the rules' invariants (see test_invariants).
"""

from __future__ import annotations

import collections
import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import cli
from steadydose.timebase import parse_utc

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
H = 3600

# Fields the device adds beyond the DESIGN.md contract; ignored when comparing a pattern exactly.
EXTRA = {"dispensed": {"pos"}, "taper_started": {"from"}, "stop_refused": {"message"}}
RULE_OF = {  # CLINICAL_RULES.md "How the gate answers a TAKE"
    "no_plan": "R-NO-PLAN", "clock_untrusted": "R-CLOCK", "no_slot": "R-WINDOW", "too_early": "R-WINDOW",
    "already_dispensed": "R-ONCE", "min_interval": "R-MIN-INTERVAL", "daily_limit": "R-ROLLING-24H",
    "fault": "R-DEVICE", "empty": "R-DEVICE",
}


# ---- running ---------------------------------------------------------------------------------------

@functools.cache
def run(name: str) -> tuple[int, list[dict], str]:
    """Run tests/scenarios/NAME through `steadydose-sim scenario NAME --json` -> (exit code, events, stderr)."""
    result = CliRunner().invoke(cli, ["scenario", str(SCENARIOS / name), "--json"])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, events, result.stderr


def scenario(name: str) -> dict:
    return json.loads((SCENARIOS / name).read_text(encoding="utf-8"))


# ---- small helpers for patterns --------------------------------------------------------------------

def ev(t: str, event: str, **fields) -> dict:
    """An event pattern; `t` may be "YYYY-MM-DDTHH:MM" (seconds :00) or a full time."""
    if len(t) == 16:
        t += ":00Z"
    out = {"t": t, "event": event}
    out.update(fields)
    return out


def partial(pattern: dict) -> tuple:
    return (pattern, "partial")


def disp(t: str, slot: str, mg: int = 300) -> dict:
    return ev(t, "dispensed", slot=slot, mg=mg, units=mg // 300)


def refused(t: str, reason: str, slot: str | None = None, opens_at: str | None = None) -> dict:
    fields = {"reason": reason, "rule": RULE_OF[reason]}
    if slot is not None:
        fields["slot"] = slot
    if opens_at is not None:
        fields["opens_at"] = opens_at if len(opens_at) == 20 else opens_at + ":00Z"
    return ev(t, "refused", **fields)


def matches(event: dict, pattern) -> bool:
    if isinstance(pattern, tuple):
        return all(event.get(k) == v for k, v in pattern[0].items())
    extra = EXTRA.get(event["event"], set())
    return {k: v for k, v in event.items() if k not in extra} == pattern


def assert_in_order(events: list[dict], patterns: list) -> None:
    i = 0
    for p in patterns:
        while i < len(events) and not matches(events[i], p):
            i += 1
        if i == len(events):
            got = "\n  ".join(json.dumps(e) for e in events)
            pytest.fail(f"expected event not found (in this order): {p}\nevents:\n  {got}")
        i += 1


def of(events: list[dict], name: str) -> list[dict]:
    return [e for e in events if e["event"] == name]


def daily_mg(events: list[dict]) -> dict[str, int]:
    """mg dispensed per local plan date (the date in the slot name)."""
    out: dict[str, int] = collections.defaultdict(int)
    for e in of(events, "dispensed"):
        out[e["slot"][:10]] += e["mg"]
    return dict(out)


def dates(first: str, last: str) -> list[str]:
    from datetime import date, timedelta

    d, end, out = date.fromisoformat(first), date.fromisoformat(last), []
    while d <= end:
        out.append(d.isoformat())
        d += timedelta(days=1)
    return out


# ---- computed checks -------------------------------------------------------------------------------

TAPER_1800 = [  # (first date, last date, daily mg, doses at 08:00 / 14:00 / 21:00 UTC, 0 = no dose)
    ("2026-03-01", "2026-03-01", 1800, (600, 600, 600)),  # the day of the stop: the plan goes on
    ("2026-03-02", "2026-03-08", 1500, (300, 600, 600)),  # largest dose first, earliest on ties
    ("2026-03-09", "2026-03-15", 1200, (300, 300, 600)),
    ("2026-03-16", "2026-03-22", 900, (300, 300, 300)),
    ("2026-03-23", "2026-03-29", 600, (0, 300, 300)),  # the morning dose goes first
    ("2026-03-30", "2026-04-05", 300, (0, 0, 300)),  # bedtime is the last to go
]


def check_taper_1800(events: list[dict]) -> None:
    per_day = daily_mg(events)
    want: dict[str, int] = {}
    for first, last, total, doses in TAPER_1800:
        for d in dates(first, last):
            want[d] = total
            got = [(e["t"][11:16], e["mg"]) for e in of(events, "dispensed") if e["slot"].startswith(d)]
            assert got == [(t, mg) for t, mg in zip(("08:00", "14:00", "21:00"), doses, strict=True) if mg], d
    assert per_day == want, "daily mg must follow the taper levels, then 0"
    # The taper runs to zero over at least min_days (7) after the day of the stop, and nothing after it.
    tapered = [d for d in per_day if d > "2026-03-01"]
    assert len(tapered) == 35 >= 7
    last_dose = max(parse_utc(e["t"]) for e in of(events, "dispensed"))
    assert last_dose == parse_utc("2026-04-05T21:00:00Z")
    assert not [e for e in events if e["event"] == "window_open" and e["t"] > "2026-04-05T21:00:00Z"]
    after = [e for e in events if e["t"] >= "2026-04-07T00:00:00Z"]
    assert after and all(matches(e, partial({"event": "refused", "reason": "no_slot"})) for e in after)
    # A stop request during the taper changes nothing: logged, no second taper.
    assert len(of(events, "taper_started")) == 1
    assert len(of(events, "stop_requested")) == 2


def check_taper_300(events: list[dict]) -> None:
    # One capsule a day: the only level is 300 mg/day itself, held min_days (7) although step_days is 1.
    assert daily_mg(events) == {d: 300 for d in dates("2026-03-01", "2026-03-08")}
    assert not [e for e in events if e["event"] in ("window_open", "dispensed") and e["t"] > "2026-03-09"]


def check_taper_300_adherent(events: list[dict]) -> None:
    check_taper_300(events)
    for e in of(events, "dispensed"):  # the model takes each dose a few minutes after the chime
        assert "20:30" < e["t"][11:16] <= "20:42"


def check_no_burst(events: list[dict]) -> None:
    # The 10 h jump skipped the 14:00 slot on the device clock: it is never dispensed; two doses in the
    # day, 3 h of real time apart at the least.
    times = [parse_utc(e["t"]) for e in of(events, "dispensed")]
    assert len(times) == 2
    assert times[1] - times[0] >= 3 * H
    assert not [e for e in events if e["event"] == "window_open" and e.get("slot") == "2026-03-01#2"]


def check_stop_message(events: list[dict]) -> None:
    (rec,) = of(events, "stop_refused")
    assert "prescriber" in rec["message"].lower()


def check_no_double(events: list[dict]) -> None:
    assert daily_mg(events) == {"2026-03-01": 300}


def check_supply_restored(events: list[dict]) -> None:
    # no take is refused after the refill, and supply_low is not raised again
    after = [e for e in events if e["t"] >= "2026-03-01T21:10:00Z"]
    assert not of(after, "refused") and not of(after, "supply_low")


# ---- expectations, one per scenario file -----------------------------------------------------------

D1 = "2026-03-01T"
D2 = "2026-03-02T"
EXPECT: dict[str, dict] = {
    "window_early_press.json": {
        "events": [ev(D1 + "05:00", "plan_loaded", plan_id="test-plan", version=1)],
        "only": {
            "refused": [refused(D1 + "20:00", "too_early", "2026-03-01#1", D1 + "20:30"),
                        refused(D1 + "20:29:59Z", "too_early", "2026-03-01#1", D1 + "20:30")],
            "window_open": [ev(D1 + "20:30", "window_open", slot="2026-03-01#1", mg=300)],
            "dispensed": [disp(D1 + "20:30", "2026-03-01#1")],
        },
    },
    "missed_not_doubled.json": {
        "events": [
            ev(D1 + "07:30", "window_open", slot="2026-03-01#1", mg=300),
            ev(D1 + "14:00", "missed", slot="2026-03-01#1", reason="window_closed"),
            # the TAKE at the closing instant comes after the close (time-driven first)
            refused(D1 + "14:00", "too_early", "2026-03-01#2", D1 + "19:30"),
            ev(D1 + "19:30", "window_open", slot="2026-03-01#2", mg=300),
            disp(D1 + "19:45", "2026-03-01#2", 300),
            refused(D1 + "19:50", "already_dispensed", "2026-03-01#2"),
        ],
        "only": {"missed": [ev(D1 + "14:00", "missed", slot="2026-03-01#1", reason="window_closed")],
                 "dispensed": [disp(D1 + "19:45", "2026-03-01#2", 300)]},
        "check": check_no_double,
    },
    "stop_refused_without_taper.json": {
        "events": [
            disp(D1 + "08:05", "2026-03-01#1"),
            ev(D1 + "12:00", "stop_requested"),
            ev(D1 + "12:00", "stop_refused", rule="R-STOP"),
        ],
        "only": {"dispensed": [disp(D1 + "08:05", "2026-03-01#1"), disp(D1 + "20:05", "2026-03-01#2"),
                               disp(D2 + "08:05", "2026-03-02#1"), disp(D2 + "20:05", "2026-03-02#2")]},
        "never": [partial({"event": "taper_started"}), partial({"event": "discontinued"})],
        "check": check_stop_message,
    },
    "stop_taper_from_1800.json": {
        "events": [
            disp(D1 + "08:00", "2026-03-01#1", 600),
            ev(D1 + "10:00", "stop_requested"),
            ev(D1 + "10:00", "taper_started", steps=[
                {"days": 7, "daily_mg": 1500}, {"days": 7, "daily_mg": 1200}, {"days": 7, "daily_mg": 900},
                {"days": 7, "daily_mg": 600}, {"days": 7, "daily_mg": 300}, {"days": None, "daily_mg": 0}]),
            disp(D1 + "14:00", "2026-03-01#2", 600),
            ev(D2 + "07:30", "window_open", slot="2026-03-02#1", mg=300),
            disp(D2 + "08:00", "2026-03-02#1", 300),
            ev("2026-03-10T10:00", "stop_requested"),
            # 600 mg/day: 14:00 and 21:00 only; a TAKE at 08:00 is too early for the 14:00 slot
            refused("2026-03-23T08:00", "too_early", "2026-03-23#1", "2026-03-23T13:30"),
            # after the last 300 mg day the 21:00 slot's window runs to 09:00, then nothing is left
            refused("2026-04-06T08:00", "already_dispensed", "2026-04-05#1"),
            refused("2026-04-06T14:00", "no_slot"),
        ],
        "never": [partial({"event": "missed"}), partial({"event": "stop_refused"})],
        "check": check_taper_1800,
    },
    "stop_taper_from_300.json": {
        "events": [
            ev(D1 + "12:00", "stop_requested"),
            ev(D1 + "12:00", "taper_started", steps=[{"days": 7, "daily_mg": 300}, {"days": None, "daily_mg": 0}]),
            disp(D1 + "21:00", "2026-03-01#1"),
            disp("2026-03-08T21:00", "2026-03-08#1"),
            refused("2026-03-09T21:00", "no_slot"),
            refused("2026-03-12T21:00", "no_slot"),
        ],
        "check": check_taper_300,
    },
    "stop_taper_from_300_adherent.json": {
        "events": [ev(D1 + "12:00", "taper_started", steps=[{"days": 7, "daily_mg": 300},
                                                             {"days": None, "daily_mg": 0}])],
        "never": [partial({"event": "refused"}), partial({"event": "missed"})],
        "check": check_taper_300_adherent,
    },
    "clock_forward_10h.json": {
        "events": [
            disp(D1 + "08:05", "2026-03-01#1"),
            ev(D1 + "09:00", "clock_set", **{"from": D1 + "09:00:00Z", "to": D1 + "19:00:00Z"}),
            ev(D1 + "09:00", "clock_untrusted", reason="forward_jump"),
            refused(D1 + "09:05", "clock_untrusted"),
            refused(D1 + "10:45", "clock_untrusted"),
            ev(D1 + "10:50", "clock_confirmed"),
            ev(D1 + "10:50", "missed", slot="2026-03-01#2", reason="clock_jump"),
            # the 21:00 slot (device clock) is open, but only 2 h 46 min of real time have passed
            refused(D1 + "10:51", "min_interval", "2026-03-01#3", D1 + "21:05"),
            disp(D1 + "11:05", "2026-03-01#3"),
        ],
        "only": {"missed": [ev(D1 + "10:50", "missed", slot="2026-03-01#2", reason="clock_jump")],
                 "clock_untrusted": [ev(D1 + "09:00", "clock_untrusted", reason="forward_jump")]},
        "check": check_no_burst,
    },
    "clock_backward_jump.json": {
        "events": [
            disp(D1 + "08:05", "2026-03-01#1"),
            ev(D1 + "09:00", "clock_set", **{"from": D1 + "09:00:00Z", "to": D1 + "07:45:00Z"}),
            ev(D1 + "09:00", "clock_untrusted", reason="backward_jump"),
            refused(D1 + "09:05", "clock_untrusted"),
            ev(D1 + "09:10", "clock_confirmed"),
            refused(D1 + "09:15", "already_dispensed", "2026-03-01#1"),
            # a 2-minute correction (device 10:45 -> 10:47) is drift: logged, still trusted
            ev(D1 + "12:00", "clock_set", **{"from": D1 + "10:45:00Z", "to": D1 + "10:47:00Z"}),
            # the 20:00 slot opens at 19:30 on the device clock, 20:43 in true time
            ev(D1 + "20:43", "window_open", slot="2026-03-01#2", mg=300),
            disp(D1 + "21:15", "2026-03-01#2"),
        ],
        "only": {"clock_untrusted": [ev(D1 + "09:00", "clock_untrusted", reason="backward_jump")]},
        "never": [partial({"event": "missed"})],
    },
    "clock_rtc_lost_power.json": {
        "events": [
            disp(D1 + "08:05", "2026-03-01#1"),
            ev(D1 + "10:05", "power_on"),
            ev(D1 + "10:05", "clock_untrusted", reason="rtc_lost_power"),
            refused(D1 + "10:10", "clock_untrusted"),
            # the RTC read 2000-01-01T00:00:00Z at power-on, 15 min before
            ev(D1 + "10:20", "clock_set", **{"from": "2000-01-01T00:15:00Z", "to": D1 + "10:20:00Z"}),
            ev(D1 + "10:22", "power_on"),
            refused(D1 + "10:25", "clock_untrusted"),  # still untrusted: set, reboot, but not confirmed
            ev(D1 + "10:30", "clock_confirmed"),
            ev(D1 + "19:30", "window_open", slot="2026-03-01#2", mg=300),
            disp(D1 + "19:45", "2026-03-01#2"),
        ],
        "only": {"clock_untrusted": [ev(D1 + "10:05", "clock_untrusted", reason="rtc_lost_power")],
                 "dispensed": [disp(D1 + "08:05", "2026-03-01#1"), disp(D1 + "19:45", "2026-03-01#2")]},
        "never": [partial({"event": "missed"})],
    },
    "power_cut_after_dispense.json": {
        "events": [
            disp(D1 + "08:00", "2026-03-01#1"),
            ev(D1 + "08:05", "power_on"),
            refused(D1 + "08:10", "already_dispensed", "2026-03-01#1"),
            disp(D1 + "20:00", "2026-03-01#2"),
        ],
        "only": {"dispensed": [disp(D1 + "08:00", "2026-03-01#1"), disp(D1 + "20:00", "2026-03-01#2")],
                 "window_open": [ev(D1 + "07:30", "window_open", slot="2026-03-01#1", mg=300),
                                 ev(D1 + "19:30", "window_open", slot="2026-03-01#2", mg=300)]},
    },
    "jam_then_clear.json": {
        "events": [
            ev(D1 + "08:00", "fault", kind="jam"),
            refused(D1 + "08:00", "fault", "2026-03-01#1"),
            refused(D1 + "08:10", "fault", "2026-03-01#1"),
            ev(D1 + "08:30", "fault_cleared", kind="jam"),
            disp(D1 + "08:30", "2026-03-01#1"),
        ],
        "only": {"fault": [ev(D1 + "08:00", "fault", kind="jam")],
                 "dispensed": [disp(D1 + "08:30", "2026-03-01#1")]},
        "never": [partial({"event": "missed"})],
    },
    "dst_spring_london.json": {
        "only": {
            "window_open": [ev("2026-03-27T20:30", "window_open", slot="2026-03-27#1", mg=300),
                            ev("2026-03-28T20:30", "window_open", slot="2026-03-28#1", mg=300),
                            ev("2026-03-29T19:30", "window_open", slot="2026-03-29#1", mg=300),
                            ev("2026-03-30T19:30", "window_open", slot="2026-03-30#1", mg=300)],
            "dispensed": [disp("2026-03-27T21:00", "2026-03-27#1"), disp("2026-03-28T21:00", "2026-03-28#1"),
                          disp("2026-03-29T20:00", "2026-03-29#1"), disp("2026-03-30T20:00", "2026-03-30#1")],
        },
        "never": [partial({"event": "refused"}), partial({"event": "missed"}), partial({"event": "alarm"})],
    },
    "dst_autumn_london.json": {
        "only": {
            "window_open": [ev("2026-10-23T19:30", "window_open", slot="2026-10-23#1", mg=300),
                            ev("2026-10-24T19:30", "window_open", slot="2026-10-24#1", mg=300),
                            ev("2026-10-25T20:30", "window_open", slot="2026-10-25#1", mg=300),
                            ev("2026-10-26T20:30", "window_open", slot="2026-10-26#1", mg=300)],
            "dispensed": [disp("2026-10-23T20:00", "2026-10-23#1"), disp("2026-10-24T20:00", "2026-10-24#1"),
                          disp("2026-10-25T21:00", "2026-10-25#1"), disp("2026-10-26T21:00", "2026-10-26#1")],
        },
        "never": [partial({"event": "refused"}), partial({"event": "missed"}), partial({"event": "alarm"})],
    },
    "dst_gap_london.json": {
        "events": [
            refused("2026-03-29T00:29", "too_early", "2026-03-29#1", "2026-03-29T00:30"),
            ev("2026-03-29T00:30", "window_open", slot="2026-03-29#1", mg=300),
            disp("2026-03-29T00:45", "2026-03-29#1"),
            ev("2026-03-29T12:00", "window_open", slot="2026-03-29#2", mg=300),  # 13:30 BST
        ],
        "only": {"dispensed": [disp("2026-03-28T01:30", "2026-03-28#1"), disp("2026-03-28T13:30", "2026-03-28#2"),
                               disp("2026-03-29T00:45", "2026-03-29#1"), disp("2026-03-29T12:30", "2026-03-29#2")]},
    },
    "dst_repeat_london.json": {
        "events": [
            ev("2026-10-25T00:00", "window_open", slot="2026-10-25#1", mg=300),  # first 01:30 (BST) - 30 min
            disp("2026-10-25T00:30", "2026-10-25#1"),
            refused("2026-10-25T01:30", "already_dispensed", "2026-10-25#1"),  # the second 01:30 (GMT)
            ev("2026-10-25T13:00", "window_open", slot="2026-10-25#2", mg=300),  # 13:30 GMT
        ],
        "only": {"dispensed": [disp("2026-10-24T00:30", "2026-10-24#1"), disp("2026-10-24T12:30", "2026-10-24#2"),
                               disp("2026-10-25T00:30", "2026-10-25#1"), disp("2026-10-25T13:30", "2026-10-25#2")]},
    },
    "min_interval.json": {
        "events": [disp(D1 + "09:00", "2026-03-01#1")],
        "only": {
            "refused": [
                # before the 11:00 slot's window: too_early, and the window opens later (12:00), never earlier
                refused(D1 + "10:00", "too_early", "2026-03-01#2", D1 + "12:00"),
                refused(D1 + "10:45", "min_interval", "2026-03-01#2", D1 + "12:00"),
                refused(D1 + "11:59:59Z", "min_interval", "2026-03-01#2", D1 + "12:00"),
            ],
            "dispensed": [disp(D1 + "09:00", "2026-03-01#1"), disp(D1 + "12:00", "2026-03-01#2"),
                          disp(D1 + "20:00", "2026-03-01#3")],
        },
    },
    "min_interval_elapsed.json": {
        "events": [
            disp(D1 + "09:00", "2026-03-01#1"),
            ev(D1 + "10:00", "power_on"),
            # 30 min off still count: elapsed at the last record + RTC time since
            refused(D1 + "11:30", "min_interval", "2026-03-01#2", D1 + "12:00"),
            ev(D1 + "11:50", "clock_set", **{"from": D1 + "11:50:00Z", "to": D1 + "11:54:00Z"}),
            # the clock is 4 min ahead now: 12:01 on the device, 2 h 57 min of elapsed time
            refused(D1 + "11:57", "min_interval", "2026-03-01#2", D1 + "12:04"),
            disp(D1 + "12:00", "2026-03-01#2"),
        ],
        "never": [partial({"event": "clock_untrusted"})],
    },
    "rolling_24h.json": {
        "only": {
            "refused": [
                # 23 h 59 min after day 1's 08:00 dose: 300 + 300 + 300 > 600 mg in 24 h
                refused(D2 + "07:59", "daily_limit", "2026-03-02#1", D2 + "08:00"),
                refused(D2 + "07:59:59Z", "daily_limit", "2026-03-02#1", D2 + "08:00"),
            ],
            "dispensed": [disp(D1 + "08:00", "2026-03-01#1"), disp(D1 + "20:00", "2026-03-01#2"),
                          disp(D2 + "08:00", "2026-03-02#1")],  # exactly 24 h: allowed
        },
    },
    "load_plan_rejected.json": {
        "events": [
            ev(D1 + "12:00", "plan_rejected", violations=["PLAN-UNITS", "G-MAX-DOSE", "G-TITRATE-START"],
               plan_id="test-plan"),
            ev(D1 + "19:30", "window_open", slot="2026-03-01#2", mg=300),
            disp(D1 + "20:05", "2026-03-01#2"),
        ],
        "only": {"plan_loaded": [ev(D1 + "05:00", "plan_loaded", plan_id="test-plan", version=1)]},
    },
    "plan_version.json": {
        "only": {
            "plan_rejected": [ev(D1 + "12:00", "plan_rejected", violations=["PLAN-VERSION"], plan_id="test-plan"),
                              ev(D1 + "12:01", "plan_rejected", violations=["PLAN-VERSION"], plan_id="test-plan")],
            "plan_loaded": [ev(D1 + "05:00", "plan_loaded", plan_id="test-plan", version=1)],
            # the 20:00 dose of the active plan, not 09:00 of the rejected one
            "dispensed": [disp(D1 + "08:05", "2026-03-01#1"), disp(D1 + "20:05", "2026-03-01#2")],
        },
    },
    "transition.json": {
        "events": [
            disp(D1 + "21:00", "2026-03-01#1"),
            ev(D2 + "06:00", "plan_rejected", violations=["R-TRANSITION", "G-TITRATE-STEP"], plan_id="test-plan"),
            ev(D2 + "06:30", "plan_loaded", plan_id="test-plan", version=2),
            ev(D2 + "07:30", "window_open", slot="2026-03-02#1", mg=300),  # the new plan's 08:00 dose
            disp(D2 + "08:00", "2026-03-02#1"),
            disp(D2 + "21:00", "2026-03-02#2"),
        ],
    },
    "discontinue_immediate.json": {
        "events": [
            disp(D1 + "08:05", "2026-03-01#1"),
            ev(D1 + "12:00", "plan_loaded", plan_id="test-plan", version=2),
            ev(D1 + "12:00", "discontinued"),
        ],
        "only": {"refused": [refused(D1 + "20:05", "no_plan"), refused(D2 + "08:05", "no_plan")],
                 "window_open": [ev(D1 + "07:30", "window_open", slot="2026-03-01#1", mg=300)],
                 "dispensed": [disp(D1 + "08:05", "2026-03-01#1")]},
        "never": [partial({"event": "missed"})],
    },
    "supply_empty_refill.json": {
        "events": [
            ev(D1 + "05:00", "refilled", doses=2),
            ev(D1 + "05:00", "supply_low", doses_left=2),
            ev(D1 + "05:00", "alarm", priority="low", cause="supply"),
            disp(D1 + "08:05", "2026-03-01#1"),
            disp(D1 + "14:05", "2026-03-01#2"),
            # a dose due within 1 h that the device cannot dispense: HIGH
            ev(D1 + "20:00", "alarm", priority="high", cause="cannot_dispense"),
            ev(D1 + "21:00", "fault", kind="empty"),
            refused(D1 + "21:00", "empty", "2026-03-01#3"),
            ev(D1 + "21:10", "refilled", doses=28),
            disp(D1 + "21:15", "2026-03-01#3"),
        ],
        "only": {"supply_low": [ev(D1 + "05:00", "supply_low", doses_left=2)]},
        "check": check_supply_restored,
    },
    "alarms_escalation_gap.json": {
        "events": [
            ev(D1 + "07:30", "window_open", slot="2026-03-01#1", mg=300),
            ev(D1 + "08:15", "alarm", priority="low", cause="dose_due"),
            ev(D1 + "08:20", "alarm_paused"),
            ev(D1 + "08:30", "alarm", priority="medium", cause="dose_due"),  # escalation goes on while paused
            disp(D1 + "08:40", "2026-03-01#1"),
            ev(D1 + "08:40", "alarm_cleared", cause="dose_due"),
            ev(D1 + "14:15", "alarm", priority="low", cause="dose_due"),
            ev(D1 + "14:30", "alarm", priority="medium", cause="dose_due"),
            ev(D1 + "17:30", "missed", slot="2026-03-01#2", reason="window_closed"),
            ev(D1 + "17:30", "alarm", priority="medium", cause="missed"),
            ev(D1 + "20:40", "alarm", priority="high", cause="gap"),  # 12 h after the 08:40 dispense
            disp(D1 + "20:50", "2026-03-01#3"),
            partial({"t": D1 + "20:50:00Z", "event": "alarm_cleared"}),
        ],
        "only": {"alarm_paused": [ev(D1 + "08:20", "alarm_paused")]},
    },
    # ---- malformed scenarios: exit 2, a message naming the problem, no events
    "malformed_bad_json.json": {"exit": 2, "stderr": ["malformed_bad_json.json", "not valid JSON", "line 3"]},
    "malformed_unknown_action.json": {"exit": 2, "stderr": ["actions[1]", "unknown action", "double_dose"]},
    "malformed_out_of_order.json": {"exit": 2, "stderr": ["actions[1]", "out of order", "2026-03-01T08:00:00Z"]},
    "malformed_initial_plan.json": {"exit": 2, "stderr": ["initial plan", "G-MAX-DOSE", "PLAN-UNITS",
                                                          "steps[0].doses[0].mg"]},
}

# R-MIN-INTERVAL: "the window then opens later, never earlier". The 11:00 slot cannot be had before 12:00
# (3 h after the 09:00 dose), so its window (chime, "dose available") opens at 12:00, and the dose-due
# alarms (LOW at +15 min, MEDIUM at +30 min) do not nag for a dose the device refuses.
EXPECT["min_interval.json"] = {
    **EXPECT["min_interval.json"],
    "only": {**EXPECT["min_interval.json"].get("only", {}),
             "window_open": [ev(D1 + "07:30", "window_open", slot="2026-03-01#1", mg=300),
                             ev(D1 + "12:00", "window_open", slot="2026-03-01#2", mg=300),
                             ev(D1 + "19:30", "window_open", slot="2026-03-01#3", mg=300)]},
    "never": [*EXPECT["min_interval.json"].get("never", []),
              partial({"t": D1 + "11:15:00Z", "event": "alarm", "cause": "dose_due"}),
              partial({"t": D1 + "11:30:00Z", "event": "alarm", "cause": "dose_due"})],
}


# ---- the tests -------------------------------------------------------------------------------------

def _check(name: str, want: dict) -> None:
    code, events, stderr = run(name)
    assert code == want.get("exit", 0), f"exit {code}: {stderr}"
    for text in want.get("stderr", []):
        assert text in stderr, f"{text!r} not in the error message: {stderr!r}"
    if code != 0:
        assert events == [], "a malformed scenario prints no events"
        return
    assert_in_order(events, want.get("events", []))
    for kind, pats in want.get("only", {}).items():
        got = of(events, kind)
        assert len(got) == len(pats) and all(matches(e, p) for e, p in zip(got, pats, strict=True)), (
            f"all {kind} events:\n  got  {got}\n  want {pats}")
    for p in want.get("never", []):
        bad = [e for e in events if matches(e, p)]
        assert not bad, f"unexpected: {bad}"
    if "check" in want:
        want["check"](events)


def test_every_scenario_has_expectations():
    files = {p.name for p in SCENARIOS.glob("*.json")}
    assert files == set(EXPECT), f"without expectations: {files - set(EXPECT)}; missing files: {set(EXPECT) - files}"


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_scenario(name):
    _check(name, EXPECT[name])


@pytest.mark.parametrize("name", sorted(n for n, w in EXPECT.items() if w.get("exit", 0) == 0))
def test_invariants(name):
    """What every run must show, whatever the scenario (CLINICAL_RULES.md run-time rules, in true time)."""
    code, events, _ = run(name)
    sc = scenario(name)
    plans = [sc["plan"]] + [a["plan"] for a in sc.get("actions", []) if a["do"] == "load_plan"]
    max_daily = max(p["limits"]["max_daily_mg"] for p in plans)
    interval = min(p["limits"].get("min_interval_min", 180) for p in plans) * 60
    assert [e["t"] for e in events] == sorted(e["t"] for e in events), "events in time order"
    assert events[0]["event"] == "power_on"
    announced, given, slots = set(), [], set()
    for e in events:
        if e["event"] == "window_open":
            announced.add(e["slot"])
        elif e["event"] == "refused":
            assert e["rule"] == RULE_OF[e["reason"]], e
            assert ("opens_at" in e) == (e["reason"] in ("too_early", "min_interval", "daily_limit")), e
        elif e["event"] == "dispensed":
            t = parse_utc(e["t"])
            assert e["slot"] not in slots, f"R-ONCE: {e}"
            assert e["slot"] in announced, f"dispensed without its window_open: {e}"
            assert e["units"] * 300 == e["mg"], e
            assert not given or t - given[-1][0] >= interval, f"R-MIN-INTERVAL (true time): {e}"
            assert sum(mg for s, mg in given if t - s < 24 * H) + e["mg"] <= max_daily, f"R-ROLLING-24H: {e}"
            slots.add(e["slot"])
            given.append((t, e["mg"]))


def test_console_script_runs_a_scenario():
    """The installed `steadydose-sim` prints the same JSON lines as the in-process runner."""
    exe = Path(sys.executable).parent / "steadydose-sim"
    if not exe.exists():
        pytest.skip("steadydose-sim is not installed next to this Python (run ./dev setup)")
    for name in ("window_early_press.json", "malformed_unknown_action.json"):
        proc = subprocess.run([str(exe), "scenario", str(SCENARIOS / name), "--json"],
                              capture_output=True, text=True, timeout=60)
        code, events, _ = run(name)
        assert proc.returncode == code
        assert [json.loads(line) for line in proc.stdout.splitlines()] == events
        if code == 2:
            assert "unknown action" in proc.stderr


def test_later_rejected_plan_is_not_a_scenario_error():
    # The initial plan must be valid (exit 2 otherwise); a plan loaded later that the device rejects is
    # the device's business: exit 0 and a plan_rejected event.
    code, events, stderr = run("load_plan_rejected.json")
    assert code == 0 and stderr == ""
    assert [e["violations"] for e in of(events, "plan_rejected")] == [["PLAN-UNITS", "G-MAX-DOSE", "G-TITRATE-START"]]
