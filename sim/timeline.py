"""A picture of a simulated run for people who have never seen the project: what was due, what was taken.

`draw_timeline(dev, path, title="")` writes a PNG (matplotlib, Agg backend) of a VirtualDevice after a run:

* top panel, one column per day, local time of day down the side (like a paper calendar): each scheduled
  dose is a hollow circle (bigger for more mg), a dose taken is a green dot where and when it was taken
  (a thin line joins it to its circle when it was taken late or early), a missed dose is a red cross,
  a refused TAKE press is a short tick (grey: not due yet / already taken; orange: the device could not
  dispense: jam, empty carousel, clock not confirmed, no plan), a stop request is a purple diamond;
* bottom panel, mg per day: scheduled (outline bars) against dispensed (filled bars), with the days of a
  gradual stop (taper) shaded and labelled, and the plan's daily limit as a dashed line.

Everything is drawn in true (world) time, in the plan's local time zone: what a person in the room saw.
Which plan was active when is rebuilt by replaying the device's records through the core's own State
(plan_loaded, taper_started, discontinued), so the scheduled circles are the schedule the device ran.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never a window (also under pytest and on headless CI)

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from steadydose.journal import State  # noqa: E402
from steadydose.timebase import DAY, PosixTZ, civil_from_days, format_date, parse_date, weekday  # noqa: E402

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
# Refusals the person can act on (wait, it was taken) against the device being unable to dispense.
PERSON_REFUSALS = ("too_early", "already_dispensed", "no_slot", "min_interval", "daily_limit")
REASON_WORDS = {
    "too_early": "too early", "already_dispensed": "already taken", "no_slot": "nothing due",
    "min_interval": "too soon after last dose", "daily_limit": "24 h limit", "fault": "jam",
    "empty": "carousel empty", "clock_untrusted": "clock not confirmed", "no_plan": "no plan",
}
GREEN, RED, GREY, ORANGE, PURPLE, BLUE = "#1a9850", "#d73027", "#8c8c8c", "#f28e2b", "#7b3294", "#2c5d8a"
TEAL, WINDOW = "#35978f", "#cfe3f3"
TAPER_SHADE, ENDED_SHADE = "#e7d4e8", "#eeeeee"


class _Segment:
    """One stretch of true time with one schedule (None: no plan / discontinued)."""

    def __init__(self, start, sched, taper):
        self.start = start
        self.end = None
        self.sched = sched
        self.taper = taper  # taper_started record while a taper runs


def _history(dev):
    """Replays the records: plan segments in true time, and the taper records."""
    st = State(dev.plans)
    segs: list[_Segment] = []
    tapers = []
    for true_t, rec in dev.events:
        st.apply(rec)
        if rec["event"] in ("plan_loaded", "taper_started", "discontinued"):
            if segs:
                segs[-1].end = true_t
            segs.append(_Segment(true_t, st.sched, st.taper))
            if rec["event"] == "taper_started" and st.taper is rec:
                tapers.append((true_t, rec, st.plan))
    if segs:
        segs[-1].end = dev.true
    return segs, tapers


def _size(units):
    return 30 + 75 * units  # marker area (points^2) for a dose of `units` capsules


def _day_label(day, with_weekday=True):
    _, m, d = civil_from_days(day)
    text = f"{d} {MONTHS[m - 1]}"
    return (WEEKDAYS[weekday(day)] + "\n" + text) if with_weekday else text


def _hhmm(hours, _pos=None):
    return f"{round(hours):02d}:00"


def draw_timeline(dev, path, title: str = "") -> Path:
    """Draw the run held by `dev` (a sim.device.VirtualDevice after run_scenario) to the PNG `path`."""
    path = Path(path)
    segs, tapers = _history(dev)
    plans = [s.sched.plan for s in segs if s.sched is not None]
    first_plan = plans[0] if plans else None
    tz = first_plan.tz if first_plan is not None else PosixTZ("UTC0")
    zone = (first_plan.timezone or first_plan.tz.text) if first_plan is not None else "UTC"

    def local(t):  # true time -> (local day, hours after local midnight)
        day, secs = tz.to_local(t)
        return day, secs / 3600.0

    start = dev.events[0][0] if dev.events else dev.true
    end = max(dev.true, start + 1)
    first_day, last_day = local(start)[0], local(end - 1)[0]
    days = list(range(first_day, last_day + 1))

    # -- what was scheduled: the slots of each segment's schedule whose window overlaps the segment --
    scheduled = {}  # (slot name) -> (local day, hours, mg, units)
    windows = defaultdict(list)  # (slot name) -> [(local day, from hour, to hour)]: the window, cut at local midnights
    for seg in segs:
        if seg.sched is None or seg.end <= seg.start:
            continue  # no plan, or one replaced in the same instant (a discontinue order)
        for day in range(first_day - 1, last_day + 1):
            for s in seg.sched.slots(day):
                if s.closes > seg.start and s.opens < seg.end and s.t <= end and s.closes > start:
                    d, h = local(s.t)
                    scheduled[s.name] = (d, h, s.mg, s.units)
                    # the window as the device ran it: within this plan's time and within the run
                    (d0, h0), (d1, h1) = local(max(s.opens, seg.start)), local(min(s.closes, seg.end, end))
                    windows[s.name] += [(x, h0 if x == d0 else 0.0, h1 if x == d1 else 24.0)
                                        for x in range(d0, d1 + 1)]
    sched_mg = defaultdict(int)
    for d, _h, mg, _u in scheduled.values():
        sched_mg[d] += mg

    # -- what happened --
    taken, missed, refused, stops, refills, faults, clock = [], [], [], [], [], [], []
    given_mg = defaultdict(int)
    unit_mg = first_plan.unit_mg if first_plan is not None else 300
    for true_t, rec in dev.events:
        ev = rec["event"]
        if ev == "dispensed":
            d, h = local(true_t)
            taken.append((d, h, rec["mg"], rec.get("units", rec["mg"] // unit_mg), rec["slot"]))
            plan_day = parse_date(rec["slot"][:10])
            given_mg[plan_day] += rec["mg"]
        elif ev == "missed":
            if rec["slot"] in scheduled:
                d, h, _mg, _u = scheduled[rec["slot"]]
            else:
                d, h = local(true_t)
            missed.append((d, h))
        elif ev == "refused":
            d, h = local(true_t)
            refused.append((d, h, rec["reason"]))
        elif ev == "stop_requested":
            stops.append(local(true_t))
        elif ev == "refilled" and true_t > start:  # the initial fill is not news
            refills.append(local(true_t))
        elif ev == "fault":
            faults.append(local(true_t))
        elif ev == "clock_untrusted":
            clock.append(local(true_t))

    # -- figure --
    n = len(days)
    legend_in = 3.3  # inches kept on the right for the legends
    width = min(max(8.0, legend_in + 1.3 + 0.5 * n), 20.0)
    fig, (top, bot) = plt.subplots(
        2, 1, figsize=(width, 9.2), sharex=True, gridspec_kw={"height_ratios": [2.6, 1.0], "hspace": 0.08})
    fig.subplots_adjust(left=0.9 / width, right=1 - legend_in / width, top=0.88, bottom=0.09)
    marker_dx = 0.3 if n > 3 else 0.12  # refusal ticks right of the column, events left of it
    bw = 0.14 if n > 3 else 0.05  # width of a window bar
    wide = 1.0 if n > 3 else 0.5  # bar widths in the bottom panel

    # taper / therapy-ended shading (both panels)
    ended_from = None
    for _t, rec, _plan in tapers:
        t0 = parse_date(rec["from"]) if "from" in rec else local(_t)[0] + 1
        length = sum(s["days"] for s in rec["steps"] if s["days"])
        for ax in (top, bot):
            ax.axvspan(t0 - 0.5, t0 + length - 0.5, color=TAPER_SHADE, zorder=0, lw=0)
        levels = ", ".join(str(s["daily_mg"]) for s in rec["steps"])
        top.text(t0 - 0.4, -0.35, f"gradual stop (taper): {levels} mg/day", fontsize=9, color=PURPLE,
                 va="bottom", ha="left", clip_on=False)
        ended_from = t0 + length
    if segs and segs[-1].sched is None and len(segs) > 1:  # discontinued: nothing is dispensed after
        ended_from = min(local(segs[-1].start)[0] + 1, ended_from or last_day + 1)
    if ended_from is not None and ended_from <= last_day:
        for ax in (top, bot):
            ax.axvspan(ended_from - 0.5, last_day + 0.5, color=ENDED_SHADE, zorder=0, lw=0)
        top.text(ended_from - 0.4, -0.35, "therapy ended", fontsize=9, color="#555555", va="bottom",
                 ha="left", clip_on=False)
    for seg in segs[1:]:  # plan changes other than tapers: marked at the instant the new plan took over
        if seg.taper is not None and seg.sched is not None and any(seg.taper is r for _t, r, _p in tapers):
            continue
        d, h = local(seg.start)
        label = "stopped by prescriber" if seg.sched is None else f"new plan v{seg.sched.plan.version}"
        top.plot([d - 0.48, d + 0.48], [h, h], color="#444444", ls="--", lw=1.2, zorder=3)
        top.text(d + 0.5, h, " " + label, fontsize=8.5, color="#444444", va="center", ha="left", zorder=6,
                 bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
        bot.axvline(d - 0.5, color="#444444", ls="--", lw=1, zorder=1)

    # top panel: the day grid; behind each dose, the window in which it can be taken (that day's part)
    for parts in windows.values():
        for d, h0, h1 in parts:
            if first_day <= d <= last_day and h1 > h0:
                top.add_patch(Rectangle((d - bw / 2, h0), bw, h1 - h0, color=WINDOW, lw=0, zorder=1))
    for d, h, _mg, units in scheduled.values():
        top.scatter(d, h, s=_size(units), facecolors="white", edgecolors=BLUE, linewidths=1.6, zorder=2)
    slot_pos = {name: (d, h) for name, (d, h, _mg, _u) in scheduled.items()}
    for d, h, _mg, units, slot in taken:
        sd, sh = slot_pos.get(slot, (None, None))
        if sd == d and abs(sh - h) > 0.2:  # taken late or early: join the dot to its circle
            top.plot([d, d], [sh, h], color=GREEN, lw=1.2, zorder=3)
        top.scatter(d, h, s=_size(units) * 0.55, color=GREEN, edgecolors="none", zorder=4)
    if missed:
        top.scatter([m[0] for m in missed], [m[1] for m in missed], s=110, marker="x", color=RED,
                    linewidths=2.2, zorder=5)
    for kind, color in (("person", GREY), ("device", ORANGE)):
        pts = [(d, h) for d, h, r in refused if (r in PERSON_REFUSALS) == (kind == "person")]
        if pts:
            top.scatter([p[0] + marker_dx for p in pts], [p[1] for p in pts], s=90, marker="_", color=color,
                        linewidths=2.4, zorder=4)
    for pts, marker, color, size in ((stops, "D", PURPLE, 70), (refills, "^", TEAL, 70),
                                     (faults, "*", ORANGE, 160), (clock, "s", ORANGE, 60)):
        if pts:
            top.scatter([p[0] - marker_dx for p in pts], [p[1] for p in pts], s=size, marker=marker, color=color,
                        edgecolors="white", linewidths=0.6, zorder=5)

    top.set_ylim(24, 0)  # morning at the top, like a paper calendar
    top.set_yticks(range(0, 25, 3))
    top.yaxis.set_major_formatter(_hhmm)
    top.set_yticks(range(0, 25, 1), minor=True)
    top.grid(axis="y", which="major", color="#dddddd", lw=0.8)
    top.set_ylabel(f"time of day ({zone})")
    for d in days:
        top.axvline(d + 0.5, color="#eeeeee", lw=0.8, zorder=0)

    # bottom panel: mg per day
    xs = days
    bot.bar(xs, [sched_mg.get(d, 0) for d in xs], width=0.78 * wide, facecolor="none", edgecolor=BLUE, lw=1.4,
            zorder=2)
    bot.bar(xs, [given_mg.get(d, 0) for d in xs], width=0.5 * wide, color=GREEN, zorder=3)
    limit = max((p.max_daily_mg for p in plans), default=0)
    if limit:
        bot.axhline(limit, color=RED, ls=":", lw=1.2, zorder=1)
        bot.text(last_day + 0.45, limit, f"daily limit {limit} mg", color=RED, fontsize=8, ha="right",
                 va="bottom")
    top_mg = max([limit] + list(sched_mg.values()) + list(given_mg.values()) + [300])
    bot.set_ylim(0, top_mg * 1.18)
    bot.set_ylabel("mg per day")
    bot.grid(axis="y", color="#dddddd", lw=0.8)
    bot.set_axisbelow(True)

    # x axis: one column per day, dates under the bottom panel
    step = 1 if n <= 16 else (2 if n <= 35 else 7)
    bot.set_xticks(days[::step])
    bot.set_xticklabels([_day_label(d, with_weekday=n <= 35) for d in days[::step]], fontsize=8.5)
    bot.set_xlim(first_day - 0.5, last_day + 0.5)
    y0, _m, _d = civil_from_days(first_day)
    y1 = civil_from_days(last_day)[0]
    bot.set_xlabel(f"date ({y0})" if y0 == y1 else f"date ({y0}-{y1})")

    # legends, in words
    sizes = sorted({(mg, u) for _d, _h, mg, u in scheduled.values()})
    handles = [Line2D([], [], ls="", marker="o", markerfacecolor="white", markeredgecolor=BLUE,
                      markeredgewidth=1.6, markersize=_size(u) ** 0.5, label=f"dose scheduled: {mg} mg")
               for mg, u in sizes[:4]]
    handles += [
        Patch(color=WINDOW, label="when the dose can be taken"),
        Line2D([], [], ls="", marker="o", color=GREEN, markersize=8, label="dose taken (dot = time taken)"),
        Line2D([], [], ls="", marker="x", color=RED, markersize=9, markeredgewidth=2.2,
               label="dose missed (not taken in time)"),
        Line2D([], [], ls="", marker="_", color=GREY, markersize=11, markeredgewidth=2.4,
               label="TAKE pressed, refused: not yet\n(too early, too soon, 24 h limit)\nor already taken"),
        Line2D([], [], ls="", marker="_", color=ORANGE, markersize=11, markeredgewidth=2.4,
               label="TAKE pressed, refused: device\ncould not dispense (jam, empty,\nclock not confirmed)"),
    ]
    for pts, marker, color, size, label in (
            (stops, "D", PURPLE, 7, "patient asked to stop"),
            (refills, "^", TEAL, 8, "carousel refilled"),
            (faults, "*", ORANGE, 12, "device fault (jam, empty)"),
            (clock, "s", ORANGE, 7, "clock wrong: dosing paused\nuntil a caregiver confirms it")):
        if pts:
            handles.append(Line2D([], [], ls="", marker=marker, color=color, markersize=size, label=label))
    top.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False,
               labelspacing=1.0, borderaxespad=0.2)
    bot_handles = [Patch(facecolor="none", edgecolor=BLUE, lw=1.4, label="mg scheduled that day"),
                   Patch(color=GREEN, label="mg dispensed that day")]
    if tapers:
        bot_handles.append(Patch(color=TAPER_SHADE, label="gradual stop (taper)"))
    if ended_from is not None and ended_from <= last_day:
        bot_handles.append(Patch(color=ENDED_SHADE, label="therapy ended"))
    bot.legend(handles=bot_handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)

    # title and a one-line summary
    n_sched = len(scheduled)
    n_taken = len(taken)
    reasons = defaultdict(int)
    for _d, _h, r in refused:
        reasons[r] += 1
    refused_txt = ", ".join(f"{c} {REASON_WORDS.get(r, r)}" for r, c in sorted(reasons.items(), key=lambda i: -i[1]))
    med = first_plan.name if first_plan is not None else "no plan"
    if not title:
        title = f"Dose timeline: {med}, plan {first_plan.plan_id}" if first_plan else f"Dose timeline: {med}"
    fig.suptitle(title, fontsize=13, fontweight="bold", x=0.02, y=0.99, ha="left", va="top")
    if refused:
        refused_txt = f"TAKE refused {len(refused)} time{'' if len(refused) == 1 else 's'} ({refused_txt})"
    else:
        refused_txt = "TAKE never refused"
    summary = (f"{format_date(first_day)} to {format_date(last_day)}: {n_taken} of {n_sched} scheduled doses "
               f"taken, {len(missed)} missed; {refused_txt}")
    summary = textwrap.fill(summary, int(width * 13))
    fig.text(0.02, 0.955, summary, fontsize=10, ha="left", va="top", color="#333333")

    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


__all__ = ["draw_timeline", "DAY"]
