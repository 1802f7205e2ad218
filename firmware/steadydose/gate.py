# The dose gate: decides one TAKE request. Pure function of its inputs (CLINICAL_RULES.md, "How the
# gate answers a TAKE"): checks in the rules' order and answers with the first that fails.
# `wall` is the device clock (settable, windows are on it); `elapsed` is monotonic seconds (intervals and
# the rolling 24 h are measured on it, so setting the clock can never bring a dose closer).

NO_PLAN = "no_plan"
CLOCK_UNTRUSTED = "clock_untrusted"
NO_SLOT = "no_slot"
TOO_EARLY = "too_early"
ALREADY_DISPENSED = "already_dispensed"
MIN_INTERVAL = "min_interval"
DAILY_LIMIT = "daily_limit"
FAULT = "fault"
EMPTY = "empty"

RULE_OF = {
    NO_PLAN: "R-NO-PLAN",
    CLOCK_UNTRUSTED: "R-CLOCK",
    NO_SLOT: "R-WINDOW",
    TOO_EARLY: "R-WINDOW",
    ALREADY_DISPENSED: "R-ONCE",
    MIN_INTERVAL: "R-MIN-INTERVAL",
    DAILY_LIMIT: "R-ROLLING-24H",
    FAULT: "R-DEVICE",
    EMPTY: "R-DEVICE",
}


class Decision:
    def __init__(self, slot, reason=None, opens_at=None):
        self.slot = slot  # the slot asked for (None when there is none)
        self.reason = reason  # None: permitted
        self.rule = RULE_OF[reason] if reason else None
        self.opens_at = opens_at  # device time the dose can be had, for too_early / min_interval

    @property
    def ok(self):
        return self.reason is None

    def __repr__(self):
        if self.ok:
            return "permit(%s)" % self.slot.name
        return "refuse(%s %s)" % (self.reason, self.rule)


def dosed_within(doses, elapsed, span):
    # mg dispensed in the `span` seconds before `elapsed` (half-open: exactly `span` ago is outside)
    total = 0
    for e, mg in doses:
        if elapsed - e < span:
            total += mg
    return total


def decide(sched, st, wall, elapsed, trusted, jammed, supply, rolling_s=86400):
    """sched: Schedule of the active plan or None. st: journal.State (dispensed, doses, last_e).
    trusted: the clock is trusted. jammed: the carousel is in fault. supply: filled doses left."""
    if sched is None:
        return Decision(None, NO_PLAN)
    if not trusted:
        return Decision(None, CLOCK_UNTRUSTED)
    plan = sched.plan
    wait = 0  # seconds of elapsed time until the interval allows a dose
    if st.last_e is not None:
        wait = st.last_e + plan.min_interval_s - elapsed
    slot = sched.slot_at(wall)
    if slot is not None and slot.name in st.missed:
        slot = None  # R-MISSED: missed for good, even if the clock is set back into its window
    if slot is None:
        nxt = sched.next_slot(wall)
        if nxt is None:
            return Decision(None, NO_SLOT)
        # R-MIN-INTERVAL: the window then opens later, never earlier
        opens = nxt.opens if wall + wait <= nxt.opens else wall + wait
        return Decision(nxt, TOO_EARLY, opens)
    if slot.name in st.dispensed:
        return Decision(slot, ALREADY_DISPENSED)
    if wait > 0:
        return Decision(slot, MIN_INTERVAL, wall + wait)
    if dosed_within(st.doses, elapsed, rolling_s) + slot.mg > plan.max_daily_mg:
        return Decision(slot, DAILY_LIMIT, wall + rolling_wait(st.doses, elapsed, slot.mg, plan.max_daily_mg, rolling_s))
    if jammed:
        return Decision(slot, FAULT)
    if supply <= 0:
        return Decision(slot, EMPTY)
    return Decision(slot)


def rolling_wait(doses, elapsed, mg, limit, span):
    # Seconds until enough of the last 24 h has rolled off for `mg` more to fit under `limit`.
    for e, _ in sorted(doses):
        wait = e + span - elapsed
        if wait > 0 and dosed_within(doses, elapsed + wait, span) + mg <= limit:
            return wait
    return span
