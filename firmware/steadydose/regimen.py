# The parsed plan: what the device runs once a plan has passed validation (plan.check_plan), in integers:
# local days since 2024-01-01, minutes, seconds, mg. Kept apart from the validator so the running device
# (boot, schedule, gate) needs only this small module in RAM; validation is imported when a plan arrives.

from steadydose import timebase
from steadydose.profile import GABAPENTIN
from steadydose.taper import taper_levels


class Step:
    def __init__(self, days, start_day, doses):
        self.days = days  # None: runs until a new plan
        self.start_day = start_day  # absolute local day number
        self.doses = doses  # [(minute_of_day, mg)] sorted by minute
        self.total = 0
        for d in doses:
            self.total += d[1]


class Plan:
    """A plan that passed check_plan, in integers: days since 2024-01-01, minutes, seconds, mg."""

    def __init__(self, obj, profile=GABAPENTIN):
        med = obj["medication"]
        lim = obj["limits"]
        self.raw = obj
        self.plan_id = obj["plan_id"]
        self.version = obj["version"]
        self.name = med["name"]
        self.unit_mg = med["unit_mg"]
        self.form = med.get("form", "capsule")
        self.timezone = obj.get("timezone")
        self.tz = timebase.PosixTZ(obj["posix_tz"])
        self.start_day = timebase.parse_date(obj["start_date"])
        self.max_daily_mg = lim["max_daily_mg"]
        self.min_interval_s = lim.get("min_interval_min", profile.default_min_interval) * 60
        self.early_s = lim.get("early_min", profile.default_early) * 60
        late = lim.get("late_min")
        self.late_s = None if late is None else late * 60
        taper = obj.get("taper")
        self.taper = None if taper is None else (taper["step_mg"], taper["step_days"], taper["min_days"])
        self.discontinue = obj.get("discontinue") == "immediate"
        self.acknowledged = list(obj.get("acknowledged", []))
        self.renal = obj.get("renal_crcl_ml_min")
        self.steps = []
        day = self.start_day
        for s in obj["steps"]:
            doses = [(timebase.parse_hhmm(d["time"]), d["mg"]) for d in s["doses"]]
            doses.sort()
            days = s.get("days")
            self.steps.append(Step(days, day, doses))
            if days is not None:
                day += days

    def step_index_on(self, day):
        # Index of the step running on local day `day`; None before start_day (or past a plan whose
        # last step has days, which a valid plan never has).
        if day < self.start_day:
            return None
        for i, s in enumerate(self.steps):
            if s.days is None or day < s.start_day + s.days:
                return i
        return None

    def doses_on(self, day):
        i = self.step_index_on(day)
        if i is None:
            return []
        return self.steps[i].doses

    def total_on(self, day):
        i = self.step_index_on(day)
        if i is None:
            return 0
        return self.steps[i].total


def parse_plan(obj, profile=GABAPENTIN):
    """A Plan for an object that passed check_plan (call check_plan first: this does not validate)."""
    return Plan(obj, profile)


def _step_dict(days, doses):
    out = {}
    if days is not None:
        out["days"] = days
    out["doses"] = [{"time": timebase.format_hhmm(m), "mg": mg} for m, mg in doses]
    return out


def taper_plan(plan, day, profile=GABAPENTIN, acknowledge=True):
    """The plan a stop request on local day `day` turns into: this plan's steps up to and including
    `day` (the running step cut to end that day), then the taper levels and the open 0 mg step.
    -> plan dict (format v1), or None when no taper can be built (no rule, 0 mg, capsules).
    acknowledge=False skips filling in `acknowledged` (which needs the validator): enough to run it."""
    if plan.taper is None:
        return None
    i = plan.step_index_on(day)
    if i is None:
        return None
    cur = plan.steps[i]
    if cur.total == 0:
        return None
    levels = taper_levels(cur.doses, plan.unit_mg, plan.taper, profile)
    if levels is None:
        return None
    steps = [_step_dict(s.days, s.doses) for s in plan.steps[:i]]
    steps.append(_step_dict(day - cur.start_day + 1, cur.doses))
    for hold, doses in levels:
        steps.append(_step_dict(hold, doses))
    raw = plan.raw
    out = {}
    for key in ("format", "plan_id", "version", "timezone", "posix_tz", "start_date", "renal_crcl_ml_min"):
        if key in raw:
            out[key] = raw[key]
    for key in ("medication", "limits", "taper"):
        out[key] = dict(raw[key])
    out["steps"] = steps
    ack = list(plan.acknowledged)
    out["acknowledged"] = ack
    if acknowledge and "W-REDUCE-FAST" not in ack:
        from steadydose.plan import check_plan  # the validator, loaded only when it is needed

        # The stop is the prescriber's taper rule at work: where it (or cutting short a reduced step
        # on the day of the stop) is faster than 300 mg a week, the rule itself is the prescriber's
        # acknowledgement.
        for v in check_plan(out, profile):
            if v[0] == "W-REDUCE-FAST":
                ack.append("W-REDUCE-FAST")
                break
    return out
