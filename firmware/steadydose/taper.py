# The taper a stop request generates (CLINICAL_RULES.md, "The taper a stop request generates").
# Pure integer code shared by the validator (plan check reports G-TAPER-RULE for any step a taper
# could not be built from) and the controller (which turns a stop request into plan steps).
# Every number comes from the profile: nothing clinical is written here.

from steadydose.profile import GABAPENTIN, HARD


def cut_allowed(level, cut, profile=GABAPENTIN):
    # G-REDUCE-STEP for one cut from `level` mg/day: at most 600 mg and at most 50 % of the level.
    return profile.reduce_step.classify(cut) != HARD and cut * 100 <= profile.reduce_pct * level


def taper_totals(total, unit_mg, step_mg, profile=GABAPENTIN):
    # Daily totals of the taper's levels (the current total itself excluded unless it is already
    # low enough to stop from), or None when the capsules cannot make levels obeying G-REDUCE-STEP.
    if total <= 0 or unit_mg <= 0:
        return None
    if profile.zero_from.classify(total) != HARD:
        return [total]  # already low enough: hold it, then stop
    levels = []
    level = total
    while profile.zero_from.classify(level) == HARD:
        # The smaller of step_mg and half the level, rounded down to whole capsules, >= 1 capsule.
        cut = min(step_mg, level // 2) // unit_mg * unit_mg
        if cut < unit_mg:
            cut = unit_mg
        if not cut_allowed(level, cut, profile):
            return None  # e.g. 600 mg tablets at 600 mg/day: one tablet is more than half
        level -= cut
        levels.append(level)
    return levels


def max_gap(minutes):
    # Longest gap between consecutive dose times of a day, the overnight gap included.
    n = len(minutes)
    if n == 0:
        return 0
    gap = minutes[0] + 1440 - minutes[n - 1]
    for k in range(1, n):
        if minutes[k] - minutes[k - 1] > gap:
            gap = minutes[k] - minutes[k - 1]
    return gap


def _tid_ok(doses, profile):
    # G-TID-GAP for a level: with 3+ doses a day, no gap over 12 h.
    if len(doses) < profile.tid_min_doses:
        return True
    return profile.tid_gap.classify(max_gap([d[0] for d in doses])) != HARD


def _candidates(doses):
    # Order in which doses give up a capsule: largest first, earliest on ties.
    order = list(range(len(doses)))
    order.sort(key=lambda i: (-doses[i][1], doses[i][0], i))
    return order


def _take_capsule(doses, unit_mg, profile):
    # Removes one capsule in place. A dose reduced to 0 is dropped; the last (bedtime) dose is never
    # dropped while another dose remains. Dropping a dose must not open a gap over 12 h in a level
    # that still has 3+ doses (the taper must pass every plan rule), so a tie may pass to the next
    # earliest dose; if every choice would, the preferred one is taken (the step itself breaks
    # G-TID-GAP then, and the validator reports that).
    last = len(doses) - 1
    first_choice = None
    for i in _candidates(doses):
        minute, mg = doses[i]
        if mg > unit_mg:
            doses[i] = (minute, mg - unit_mg)
            return
        if i == last and last > 0:
            continue  # bedtime is the last to go
        rest = doses[:i] + doses[i + 1 :]
        if first_choice is None:
            first_choice = i
        if _tid_ok(rest, profile):
            doses.pop(i)
            return
    doses.pop(first_choice)


def taper_levels(doses, unit_mg, rule, profile=GABAPENTIN):
    """doses: the current step's [(minute_of_day, mg)] sorted by time; rule: (step_mg, step_days, min_days).
    -> [(hold_days, [(minute, mg), ...]), ..., (None, [])] or None when no taper can be built."""
    step_mg, step_days, min_days = rule
    if unit_mg <= 0:
        return None
    total = 0
    for d in doses:
        if d[1] <= 0 or d[1] % unit_mg:
            return None  # not whole capsules: PLAN-UNITS already rejects such a step
        total += d[1]
    totals = taper_totals(total, unit_mg, step_mg, profile)
    if totals is None:
        return None
    n = len(totals)
    # Each level is held long enough that the whole taper lasts at least min_days before 0.
    hold = max(step_days, (min_days + n - 1) // n)
    current = [(d[0], d[1]) for d in doses]
    out = []
    for target in totals:
        while total > target:
            _take_capsule(current, unit_mg, profile)
            total -= unit_mg
        out.append((hold, list(current)))
    out.append((None, []))
    return out
