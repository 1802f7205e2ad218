# Plan format v1 (DESIGN.md): validation with rule ids, the signed envelope, and the check of a plan
# change (R-TRANSITION). The parsed plan and the taper plan live in regimen.py (re-exported below).
# Everything that validates a plan goes through check_plan, on CPython and on the device alike, so
# the violation list must be identical on both: fields are visited in a fixed order (never in dict
# order, which MicroPython does not keep) and messages use plain % formatting of ints and strings.

from steadydose import timebase
from steadydose.profile import GABAPENTIN, HARD, SOFT, WARNINGS
from steadydose.taper import cut_allowed, taper_levels

FORMAT = "steadydose.plan/1"
SIGNED_FORMAT = "steadydose.signed/1"
FMT = "PLAN-FORMAT"

_TOP_KEYS = (
    "format",
    "plan_id",
    "version",
    "medication",
    "timezone",
    "posix_tz",
    "start_date",
    "limits",
    "steps",
    "taper",
    "acknowledged",
    "discontinue",
    "renal_crcl_ml_min",
)
_MED_KEYS = ("name", "unit_mg", "form")
_LIMIT_KEYS = ("max_daily_mg", "min_interval_min", "early_min", "late_min")
_STEP_KEYS = ("days", "doses")
_DOSE_KEYS = ("time", "mg")
_TAPER_KEYS = ("step_mg", "step_days", "min_days")
_SIGNED_KEYS = ("format", "key_id", "payload", "sig")


def is_int(v):
    # JSON whole numbers only: true/false are not numbers (bool is an int subclass in Python).
    return isinstance(v, int) and not isinstance(v, bool)


def json_type(v):
    # How a caregiver reads the JSON value that was found instead.
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, int):
        return "a whole number"
    if isinstance(v, float):
        return "a number with a fraction"
    if isinstance(v, str):
        return "text"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    return "an unsupported value"


def _hhmm(minute):
    return timebase.format_hhmm(minute)


def _hours(minutes):
    if minutes % 60:
        return "%d h %d min" % (minutes // 60, minutes % 60)
    return "%d h" % (minutes // 60)


class _Step:
    # One step as the rules see it: doses sorted by time, each (minute or None, mg, index in the file).
    def __init__(self, days, doses, times_ok):
        self.days = days
        self.doses = doses
        self.times_ok = times_ok
        self.total = 0
        for d in doses:
            self.total += d[1]
        self.start = 0  # day offset from start_date, filled in later


class _Check:
    """Collects violations (and acknowledged warnings) for one plan object."""

    def __init__(self, profile):
        self.p = profile
        self.violations = []
        self.warnings = []
        self.ack = []
        self.unit = None  # medication.unit_mg when valid
        self.form = "capsule"
        self.max_daily = None
        self.interval = profile.default_min_interval
        self.taper = None  # (step_mg, step_days, min_days) when valid
        self.renal = None
        self.start_day = None

    # -- reporting --
    def bad(self, rule, path, msg):
        self.violations.append((rule, path, msg))

    def soft(self, rule, path, msg):
        # A soft limit: rejected unless the prescriber acknowledged its id in the signed plan.
        if rule in self.ack:
            self.warnings.append((rule, path, msg))
        else:
            self.violations.append(
                (rule, path, msg + " (the prescriber may accept this by listing %s in acknowledged)" % rule)
            )

    def limit(self, lim, value, path, msg):
        # Hard bound of a profile Limit; returns True when the value is within it.
        if lim.classify(value) == HARD:
            self.bad(lim.rule, path, msg)
            return False
        return True

    # -- structure helpers --
    def unknown(self, obj, known, prefix):
        # A misspelt key must never be silently ignored; sorted, so both Pythons report the same order.
        for key in sorted(obj):
            if key not in known:
                self.bad(
                    FMT, _join(prefix, key), "unknown field '%s' (allowed: %s)" % (key, ", ".join(known))
                )

    def need_int(self, obj, key, path, required, what):
        # -> the int, or None (reported) when missing/mistyped.
        if key not in obj:
            if required:
                self.bad(FMT, path, "%s is missing" % what)
            return None
        v = obj[key]
        if not is_int(v):
            self.bad(FMT, path, "%s must be a whole number (found %s)" % (what, json_type(v)))
            return None
        return v

    def need_str(self, obj, key, path, required, what):
        if key not in obj:
            if required:
                self.bad(FMT, path, "%s is missing" % what)
            return None
        v = obj[key]
        if not isinstance(v, str):
            self.bad(FMT, path, "%s must be text (found %s)" % (what, json_type(v)))
            return None
        return v

    def need_obj(self, obj, key, required, what):
        if key not in obj:
            if required:
                self.bad(FMT, key, "%s is missing" % what)
            return None
        v = obj[key]
        if not isinstance(v, dict):
            self.bad(FMT, key, "%s must be an object (found %s)" % (what, json_type(v)))
            return None
        return v

    # -- the top level --
    def run(self, obj):
        if not isinstance(obj, dict):
            self.bad(FMT, "plan", "the plan must be a JSON object (found %s)" % json_type(obj))
            return
        self.unknown(obj, _TOP_KEYS, "")
        self.header(obj)
        self.medication(obj)
        self.clock(obj)
        self.limits(obj)
        self.taper_rule(obj)
        self.acknowledged(obj)
        self.extras(obj)
        steps = self.steps(obj)
        if steps is None:
            return  # structure too broken for the dosing rules to mean anything
        self.dose_rules(steps)
        self.day_rules(steps)
        self.interval_rules(steps)
        self.tid_rule(steps)
        self.step_change_rules(steps)
        self.taper_days_rule(steps)
        self.end_rule(steps)
        self.taper_build_rule(steps)
        self.renal_rule(steps)

    def header(self, obj):
        if "format" not in obj:
            self.bad(FMT, "format", 'format is missing (it must be "%s")' % FORMAT)
        elif obj["format"] != FORMAT:
            found = obj["format"]
            if isinstance(found, str):
                found = '"%s"' % found
            else:
                found = json_type(found)
            self.bad(FMT, "format", 'format must be "%s" (found %s)' % (FORMAT, found))
        pid = self.need_str(obj, "plan_id", "plan_id", True, "plan_id")
        if pid is not None and not pid:
            self.bad(FMT, "plan_id", "plan_id must not be empty")
        version = self.need_int(obj, "version", "version", True, "version")
        if version is not None and version < 1:
            self.bad(FMT, "version", "version must be 1 or more (found %d)" % version)

    def medication(self, obj):
        med = self.need_obj(obj, "medication", True, "medication")
        if med is None:
            return
        self.unknown(med, _MED_KEYS, "medication")
        name = self.need_str(med, "name", "medication.name", True, "medication.name")
        if name is not None and name.lower() != self.p.name:
            self.bad(
                FMT,
                "medication.name",
                "this device enforces the %s rules; a plan for '%s' cannot be loaded" % (self.p.name, name),
            )
        unit = self.need_int(med, "unit_mg", "medication.unit_mg", True, "medication.unit_mg")
        if unit is not None:
            if unit < 1:
                self.bad(
                    FMT, "medication.unit_mg", "medication.unit_mg must be 1 mg or more (found %d)" % unit
                )
            else:
                self.unit = unit
        form = self.need_str(med, "form", "medication.form", False, "medication.form")
        if form:
            self.form = form

    def clock(self, obj):
        self.need_str(obj, "timezone", "timezone", False, "timezone")
        tz = self.need_str(obj, "posix_tz", "posix_tz", True, "posix_tz")
        if tz is not None:
            try:
                timebase.PosixTZ(tz)
            except ValueError as e:
                self.bad(FMT, "posix_tz", "posix_tz '%s' is not a valid POSIX TZ rule: %s" % (tz, e))
        date = self.need_str(obj, "start_date", "start_date", True, "start_date")
        if date is not None:
            try:
                self.start_day = timebase.parse_date(date)
            except ValueError:
                self.bad(FMT, "start_date", "start_date '%s' is not a real date written YYYY-MM-DD" % date)

    def limits(self, obj):
        lim = self.need_obj(obj, "limits", True, "limits")
        if lim is None:
            return
        p = self.p
        self.unknown(lim, _LIMIT_KEYS, "limits")
        v = self.need_int(lim, "max_daily_mg", "limits.max_daily_mg", True, "limits.max_daily_mg")
        if v is not None and self.limit(
            p.max_daily,
            v,
            "limits.max_daily_mg",
            "a daily limit of %d mg is outside %s" % (v, p.max_daily.describe()),
        ):
            self.max_daily = v
        v = self.need_int(
            lim, "min_interval_min", "limits.min_interval_min", False, "limits.min_interval_min"
        )
        if v is not None and self.limit(
            p.min_interval,
            v,
            "limits.min_interval_min",
            "doses %d min apart is too close: the interval may not be set below %d min"
            % (v, p.min_interval.lo),
        ):
            self.interval = v
        v = self.need_int(lim, "early_min", "limits.early_min", False, "limits.early_min")
        if v is not None:
            self.limit(
                p.early,
                v,
                "limits.early_min",
                "opening a dose %d min early is outside %s" % (v, p.early.describe()),
            )
        v = self.need_int(lim, "late_min", "limits.late_min", False, "limits.late_min")
        if v is not None:
            self.limit(
                p.late,
                v,
                "limits.late_min",
                "closing a dose %d min late is outside %s" % (v, p.late.describe()),
            )

    def taper_rule(self, obj):
        t = self.need_obj(obj, "taper", False, "taper")
        if t is None:
            return
        p = self.p
        self.unknown(t, _TAPER_KEYS, "taper")
        mg = self.need_int(t, "step_mg", "taper.step_mg", True, "taper.step_mg")
        days = self.need_int(t, "step_days", "taper.step_days", True, "taper.step_days")
        least = self.need_int(t, "min_days", "taper.min_days", True, "taper.min_days")
        ok = mg is not None and days is not None and least is not None
        if mg is not None:
            desc = p.taper_step_mg.describe()
            ok = (
                self.limit(
                    p.taper_step_mg, mg, "taper.step_mg", "a taper step of %d mg is outside %s" % (mg, desc)
                )
                and ok
            )
            if self.unit is not None and mg % self.unit:
                self.bad(
                    p.taper_step_mg.rule,
                    "taper.step_mg",
                    "a taper step of %d mg is not a whole number of %d mg %ss" % (mg, self.unit, self.form),
                )
                ok = False
        if days is not None:
            ok = (
                self.limit(
                    p.taper_step_days,
                    days,
                    "taper.step_days",
                    "each taper level must be held at least %d day (found %d)" % (p.taper_step_days.lo, days),
                )
                and ok
            )
        if least is not None:
            ok = (
                self.limit(
                    p.taper_min_days,
                    least,
                    "taper.min_days",
                    "a taper must last at least %d days (found %d)" % (p.taper_min_days.lo, least),
                )
                and ok
            )
        if ok and self.unit is not None:
            self.taper = (mg, days, least)

    def acknowledged(self, obj):
        if "acknowledged" not in obj:
            return
        ack = obj["acknowledged"]
        if not isinstance(ack, list):
            self.bad(
                FMT, "acknowledged", "acknowledged must be a list of warning ids (found %s)" % json_type(ack)
            )
            return
        for k, w in enumerate(ack):
            path = "acknowledged[%d]" % k
            if not isinstance(w, str):
                self.bad(FMT, path, "a warning id must be text (found %s)" % json_type(w))
            elif w not in WARNINGS:
                self.bad(FMT, path, "unknown warning id '%s' (known: %s)" % (w, ", ".join(WARNINGS)))
            else:
                self.ack.append(w)

    def extras(self, obj):
        if "discontinue" in obj and obj["discontinue"] != "immediate":
            self.bad(FMT, "discontinue", 'discontinue can only be "immediate"')
        crcl = self.need_int(obj, "renal_crcl_ml_min", "renal_crcl_ml_min", False, "renal_crcl_ml_min")
        if crcl is not None:
            if crcl < 0:
                self.bad(FMT, "renal_crcl_ml_min", "renal_crcl_ml_min cannot be negative (found %d)" % crcl)
            else:
                self.renal = crcl

    # -- steps: structure --
    def steps(self, obj):
        # -> list of _Step, or None when the structure cannot carry the dosing rules.
        if "steps" not in obj:
            self.bad(FMT, "steps", "steps is missing")
            return None
        raw = obj["steps"]
        if not isinstance(raw, list):
            self.bad(FMT, "steps", "steps must be a list (found %s)" % json_type(raw))
            return None
        if not raw:
            self.bad(FMT, "steps", "steps must list at least one step")
            return None
        out = []
        sound = True
        last = len(raw) - 1
        for i, s in enumerate(raw):
            step = self.step(s, i, last)
            if step is None:
                sound = False
            else:
                out.append(step)
        if not sound:
            return None
        day = 0
        for s in out:
            s.start = day
            if s.days is not None:
                day += s.days
        return out

    def step(self, s, i, last):
        path = "steps[%d]" % i
        if not isinstance(s, dict):
            self.bad(FMT, path, "each step must be an object with doses (found %s)" % json_type(s))
            return None
        self.unknown(s, _STEP_KEYS, path)
        sound = True
        days = None
        if "days" in s:
            days = s["days"]
            if not is_int(days) or days < 1:
                what = json_type(days) if not is_int(days) else str(days)
                self.bad(FMT, path + ".days", "days must be a whole number of 1 or more (found %s)" % what)
                sound = False
                days = None
        if "doses" not in s:
            self.bad(FMT, path + ".doses", "doses is missing (use [] for the 0 mg end of therapy)")
            return None
        raw = s["doses"]
        if not isinstance(raw, list):
            self.bad(FMT, path + ".doses", "doses must be a list (found %s)" % json_type(raw))
            return None
        if not raw:
            if i != last:
                self.bad(
                    FMT, path, "a step with no doses (0 mg, the end of therapy) can only be the last step"
                )
                sound = False
            if "days" in s:
                self.bad(FMT, path + ".days", "the 0 mg step ends therapy and runs on: it cannot have days")
                days = None
        elif "days" not in s and i != last:
            self.bad(FMT, path, "only the last step can run without days (it runs until a new plan)")
            sound = False
        doses = []
        times_ok = True
        seen = []
        for j, d in enumerate(raw):
            r = self.dose(d, "%s.doses[%d]" % (path, j), j, seen)
            if r is None:
                sound = False
            else:
                if r[0] is None:
                    times_ok = False
                doses.append(r)
        if not sound:
            return None
        if times_ok:
            doses.sort(key=lambda r: (r[0], r[2]))
        return _Step(days, doses, times_ok)

    def dose(self, d, path, j, seen):
        # -> (minute or None, mg, j), or None when the mg cannot be used.
        if not isinstance(d, dict):
            self.bad(FMT, path, "each dose must be an object with time and mg (found %s)" % json_type(d))
            return None
        self.unknown(d, _DOSE_KEYS, path)
        minute = None
        if "time" not in d or d["time"] is None:
            self.bad("G-NO-PRN", path + ".time", "every dose needs a time: as-needed doses are not allowed")
        elif not isinstance(d["time"], str):
            self.bad(FMT, path + ".time", "time must be text HH:MM (found %s)" % json_type(d["time"]))
        else:
            try:
                minute = timebase.parse_hhmm(d["time"])
            except ValueError:
                self.bad(
                    FMT,
                    path + ".time",
                    "time '%s' is not a time of day written HH:MM (00:00 to 23:59)" % d["time"],
                )
        if minute is not None:
            if minute in seen:
                self.bad(FMT, path + ".time", "two doses at %s in the same step" % _hhmm(minute))
            seen.append(minute)
        mg = self.need_int(d, "mg", path + ".mg", True, "mg")
        if mg is None:
            return None
        if mg < 1:
            self.bad(FMT, path + ".mg", "a dose must be more than 0 mg (found %d)" % mg)
            return None
        return (minute, mg, j)

    # -- the dosing rules --
    def dose_rules(self, steps):
        p = self.p
        for i, s in enumerate(steps):
            ordered = sorted(s.doses, key=lambda r: r[2])
            for _minute, mg, j in ordered:
                path = "steps[%d].doses[%d].mg" % (i, j)
                u = self.unit
                if u is not None:
                    if mg % u:
                        self.bad(
                            p.units_per_dose.rule,
                            path,
                            "a dose of %d mg is not a whole number of %d mg %ss" % (mg, u, self.form),
                        )
                    else:
                        self.limit(
                            p.units_per_dose,
                            mg // u,
                            path,
                            "a dose of %d mg is %d %ss; a dose must be %s"
                            % (mg, mg // u, self.form, p.units_per_dose.describe()),
                        )
                self.limit(
                    p.max_dose,
                    mg,
                    path,
                    "a dose of %d mg is above the %d mg single-dose limit" % (mg, p.max_dose.hi),
                )

    def day_rules(self, steps):
        # G-MAX-DAY against the plan's own limit (or the hard ceiling if that is broken); W-DAILY-ABOVE-1800.
        p = self.p
        cap = self.max_daily if self.max_daily is not None else p.max_daily.hi
        for i, s in enumerate(steps):
            path = "steps[%d]" % i
            if s.total > cap:
                self.bad(
                    p.max_daily.rule,
                    path,
                    "%d mg a day is above the plan's daily limit of %d mg" % (s.total, cap),
                )
            elif p.max_daily.classify(s.total) == SOFT:
                self.soft(
                    p.max_daily.warning,
                    path,
                    "%d mg a day is above %d mg/day, where no extra benefit has been shown"
                    % (s.total, p.max_daily.soft_hi),
                )

    def too_close(self, path, gap, minute, before, where):
        self.bad(
            self.p.min_interval.rule,
            path,
            "the %s dose is only %d min after the %s dose%s; doses must be at least %d min apart"
            % (_hhmm(minute), gap, _hhmm(before), where, self.interval),
        )

    def interval_rules(self, steps):
        # G-MIN-INTERVAL between consecutive dose times: within a day, across midnight inside a step
        # that lasts 2+ days, and from a step's last dose to the next step's first dose.
        n = len(steps)
        for i, s in enumerate(steps):
            if not s.times_ok or not s.doses:
                continue
            ds = s.doses
            for k in range(1, len(ds)):
                gap = ds[k][0] - ds[k - 1][0]
                if 0 < gap < self.interval:  # a gap of 0 is a duplicate time, reported already
                    self.too_close(
                        "steps[%d].doses[%d].time" % (i, ds[k][2]), gap, ds[k][0], ds[k - 1][0], ""
                    )
            if s.days is None or s.days > 1:
                gap = ds[0][0] + 1440 - ds[-1][0]
                if gap < self.interval:
                    self.too_close(
                        "steps[%d].doses[%d].time" % (i, ds[0][2]),
                        gap,
                        ds[0][0],
                        ds[-1][0],
                        " the evening before",
                    )
            if i + 1 < n and steps[i + 1].times_ok and steps[i + 1].doses:
                nd = steps[i + 1].doses
                gap = nd[0][0] + 1440 - ds[-1][0]
                if gap < self.interval:
                    self.too_close(
                        "steps[%d].doses[%d].time" % (i + 1, nd[0][2]),
                        gap,
                        nd[0][0],
                        ds[-1][0],
                        " on the last day of the step before",
                    )

    def tid_rule(self, steps):
        # G-TID-GAP: with 3+ doses a day, no gap over 12 h between consecutive doses, overnight included.
        p = self.p
        for i, s in enumerate(steps):
            ds = s.doses
            if not s.times_ok or len(ds) < p.tid_min_doses:
                continue
            for k in range(len(ds)):
                prev = ds[k - 1][0] if k else ds[-1][0] - 1440
                gap = ds[k][0] - prev
                if p.tid_gap.classify(gap) == HARD:
                    self.bad(
                        p.tid_gap.rule,
                        "steps[%d].doses[%d].time" % (i, ds[k][2]),
                        "%s from the %s dose to the %s dose; with %d or more doses a day no gap may be longer than %s"
                        % (
                            _hours(gap),
                            _hhmm(ds[k - 1][0]),
                            _hhmm(ds[k][0]),
                            p.tid_min_doses,
                            _hours(p.tid_gap.hi),
                        ),
                    )

    def step_change_rules(self, steps):
        p = self.p
        first = steps[0].total
        self.limit(
            p.titrate_start,
            first,
            "steps[0]",
            "the first step is %d mg a day; therapy must start at %d mg/day or less"
            % (first, p.titrate_start.hi),
        )
        for i in range(1, len(steps)):
            path = "steps[%d]" % i
            prev, cur = steps[i - 1].total, steps[i].total
            msg = change_problem(prev, cur, p)
            if msg is not None:
                self.bad(msg[0], path, msg[1])
            if 0 < cur < prev:
                cut = prev - cur
                if msg is None and p.reduce_step.classify(cut) == SOFT:
                    self.soft(
                        p.reduce_step.warning,
                        path,
                        "a cut of %d mg/day (from %d to %d) is more than %d mg/day"
                        % (cut, prev, cur, p.reduce_step.soft_hi),
                    )
                days = steps[i].days
                if days is not None and days < p.reduce_hold_days:
                    self.soft(
                        p.reduce_step.warning,
                        path,
                        "the reduced dose of %d mg/day is held only %d day%s; a reduction should be held at least %d days"
                        % (cur, days, "" if days == 1 else "s", p.reduce_hold_days),
                    )

    def taper_days_rule(self, steps):
        # G-TAPER-DAYS: 0 mg/day is reached at least 7 days after the taper began. The taper begins at
        # the first step of the final non-increasing run of steps whose total is below the step before
        # it (the zero step itself not counted); with none, at the step before the zero step.
        n = len(steps)
        if n < 2 or steps[n - 1].total != 0:
            return
        k = n - 1
        while k > 0 and steps[k - 1].total >= steps[k].total:
            k -= 1
        begin = steps[n - 2]
        for i in range(k + 1, n - 1):
            if steps[i].total < steps[i - 1].total:
                begin = steps[i]
                break
        zero = steps[n - 1]
        took = zero.start - begin.start
        lim = self.p.taper_days
        if lim.classify(took) == HARD:
            when = "day %d of the plan" % (begin.start + 1)
            if self.start_day is not None:
                when = timebase.format_date(self.start_day + begin.start)
            self.bad(
                lim.rule,
                "steps[%d]" % (n - 1),
                "the plan reaches 0 mg/day %d day%s after its taper began (%s); stopping must take at least %d days"
                % (took, "" if took == 1 else "s", when, lim.lo),
            )

    def end_rule(self, steps):
        last = steps[-1]
        if last.days is not None and last.total > 0:
            self.bad(
                "G-END",
                "steps[%d]" % (len(steps) - 1),
                "the plan would run out after the last step's %d day%s at %d mg/day; the last step must run on (no days) or be a 0 mg step"
                % (last.days, "" if last.days == 1 else "s", last.total),
            )

    def taper_build_rule(self, steps):
        # G-TAPER-RULE: a stop request on any non-zero step must be able to build a taper that passes
        # every plan rule (levels by G-REDUCE-STEP, doses still min_interval apart).
        if self.taper is None:
            return
        for i, s in enumerate(steps):
            if s.total == 0 or not s.times_ok or not _whole(s.doses, self.unit):
                continue  # its own violations are reported; a taper from it means nothing yet
            doses = [(d[0], d[1]) for d in s.doses]
            levels = taper_levels(doses, self.unit, self.taper, self.p)
            where = "a stop request during step %d (%d mg/day)" % (i + 1, s.total)
            if levels is None:
                self.bad(
                    "G-TAPER-RULE",
                    "taper",
                    "%s cannot be tapered with %d mg %ss: every cut must be at most %d mg and at most half the daily dose, and the last level %d mg/day or less"
                    % (where, self.unit, self.form, self.p.reduce_step.hi, self.p.zero_from.hi),
                )
                continue
            close = _taper_gap(doses, levels, self.interval)
            if close is not None:
                self.bad(
                    "G-TAPER-RULE",
                    "taper",
                    "%s would give a taper with the %s dose only %d min after the %s dose the day before; doses must be at least %d min apart"
                    % (where, _hhmm(close[1]), close[0], _hhmm(close[2]), self.interval),
                )

    def renal_rule(self, steps):
        if self.renal is None:
            return
        band = renal_band(self.renal, self.p)
        for i, s in enumerate(steps):
            path = "steps[%d]" % i
            if s.total > band[1]:
                self.bad(
                    "G-RENAL",
                    path,
                    "%d mg a day is above %d mg/day, the most for a creatinine clearance of %d mL/min"
                    % (s.total, band[1], self.renal),
                )
            if len(s.doses) > band[2]:
                self.bad(
                    "G-RENAL",
                    path,
                    "%d doses a day is more than %d, the most for a creatinine clearance of %d mL/min"
                    % (len(s.doses), band[2], self.renal),
                )


def _whole(doses, unit):
    for d in doses:
        if d[1] % unit:
            return False
    return True


def _join(prefix, key):
    return key if not prefix else prefix + "." + key


def renal_band(crcl, profile=GABAPENTIN):
    # -> (lowest CrCl of the band, max mg/day, max doses/day) for a creatinine clearance.
    for band in profile.renal:
        if crcl >= band[0]:
            return band
    return profile.renal[-1]


def change_problem(prev, cur, profile=GABAPENTIN):
    # G-TITRATE-STEP / G-REDUCE-STEP between consecutive daily totals -> (rule, message) or None.
    if cur > prev:
        lim = profile.titrate_step
        if lim.classify(cur - prev) == HARD:
            return (
                lim.rule,
                "the daily total rises from %d to %d mg, by %d mg; a step may raise it by at most %d mg/day"
                % (prev, cur, cur - prev, lim.hi),
            )
        return None
    if cur == prev:
        return None
    if cur == 0:
        lim = profile.zero_from
        if lim.classify(prev) == HARD:
            return (
                lim.rule,
                "the step to 0 mg comes from %d mg/day; stopping must come from %d mg/day or less"
                % (prev, lim.hi),
            )
        return None
    if not cut_allowed(prev, prev - cur, profile):
        return (
            profile.reduce_step.rule,
            "the daily total drops from %d to %d mg, by %d mg; a step may cut at most %d mg and at most %d%% of the daily total"
            % (prev, cur, prev - cur, profile.reduce_step.hi, profile.reduce_pct),
        )
    return None


def _taper_gap(doses, levels, interval):
    # Closest consecutive doses from the last day of the current step through the taper levels:
    # -> (gap, minute, previous minute) when below the interval, else None.
    prev_last = doses[-1][0]
    for _hold, level in levels:
        if not level:
            break
        gap = level[0][0] + 1440 - prev_last
        if gap < interval:
            return (gap, level[0][0], prev_last)
        for k in range(1, len(level)):
            if level[k][0] - level[k - 1][0] < interval:
                return (level[k][0] - level[k - 1][0], level[k][0], level[k - 1][0])
        prev_last = level[-1][0]
    return None


def check_plan_full(obj, profile=GABAPENTIN):
    """-> (violations, warnings), each a list of (rule_id, path, message). No violations = valid;
    warnings are the soft limits the prescriber acknowledged."""
    c = _Check(profile)
    c.run(obj)
    return c.violations, c.warnings


def check_plan(obj, profile=GABAPENTIN):
    """-> list of violations (rule_id, path, message); [] means the plan is valid."""
    return check_plan_full(obj, profile)[0]


def check_transition(current_total_mg, new_total_mg, profile=GABAPENTIN):
    """R-TRANSITION: the new plan's total on the day it takes effect, checked against today's total of
    the current plan as if it were the next step. -> violations ([] when fine or no current plan)."""
    if current_total_mg is None:
        return []
    problem = change_problem(current_total_mg, new_total_mg, profile)
    if problem is None:
        return []
    msg = "the new plan changes today's %d mg/day to %d mg/day at once: %s" % (
        current_total_mg,
        new_total_mg,
        problem[1],
    )
    return [("R-TRANSITION", "steps", msg), (problem[0], "steps", problem[1])]


class SignedPlanError(ValueError):
    """A broken signed-plan envelope: str() is the message, .path the envelope field at fault."""

    def __init__(self, path, message):
        super().__init__(message)
        self.path = path


def unwrap_signed(obj):
    """The signed envelope -> (payload_text, key_id, sig_b64). Raises SignedPlanError (a ValueError)."""
    if not isinstance(obj, dict):
        raise SignedPlanError("plan", "a signed plan must be a JSON object")
    for key in sorted(obj):
        if key not in _SIGNED_KEYS:
            raise SignedPlanError(key, "unknown field '%s' in a signed plan" % key)
    if obj.get("format") != SIGNED_FORMAT:
        raise SignedPlanError("format", 'a signed plan\'s format must be "%s"' % SIGNED_FORMAT)
    for key in ("key_id", "payload", "sig"):
        v = obj.get(key)
        if not isinstance(v, str) or not v:
            raise SignedPlanError(key, "a signed plan needs %s as non-empty text" % key)
    return obj["payload"], obj["key_id"], obj["sig"]


def is_signed(obj):
    return isinstance(obj, dict) and obj.get("format") == SIGNED_FORMAT


# The parsed plan (what the device runs) lives in regimen.py, which the running device imports without
# this validator; it is part of this module's contract too.
from steadydose.regimen import Plan, Step, parse_plan, taper_plan  # noqa: E402, F401
