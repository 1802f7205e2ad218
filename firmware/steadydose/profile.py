# Drug profiles as data: every number the rules use lives here, once, with its rule id.
# A Limit is one guardrail (after LoopKit's Guardrail): a hard bound no plan may pass and, where the
# rules have one, a soft bound a prescriber may pass only by acknowledging its warning id.
# Pure data and integer arithmetic: runs unchanged on CPython and MicroPython.

OK = 0
SOFT = 1  # beyond the soft bound: needs the warning id in the plan's `acknowledged`
HARD = 2  # beyond the hard bound: always rejected


class Limit:
    def __init__(self, rule, lo=None, hi=None, soft_hi=None, warning=None, unit=""):
        self.rule = rule  # rule id cited when the hard bound is broken
        self.lo = lo  # hard lower bound, inclusive (None: none)
        self.hi = hi  # hard upper bound, inclusive (None: none)
        self.soft_hi = soft_hi  # soft upper bound, inclusive (None: none)
        self.warning = warning  # warning id for the soft bound
        self.unit = unit

    def classify(self, value):
        # -> OK, SOFT or HARD; a value is classified once, at the boundary, by this one method.
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            return HARD
        if self.soft_hi is not None and value > self.soft_hi:
            return SOFT
        return OK

    def describe(self):
        if self.lo is not None and self.hi is not None:
            return "%d..%d %s" % (self.lo, self.hi, self.unit)
        if self.hi is not None:
            return "at most %d %s" % (self.hi, self.unit)
        return "at least %d %s" % (self.lo, self.unit)


class Profile:
    """One drug's numbers. Times are minutes unless the name says otherwise; doses are mg."""

    def __init__(self, name, **limits):
        self.name = name
        for key in limits:
            setattr(self, key, limits[key])


# Sources are in CLINICAL_RULES.md (US Neurontin label, SmPC, NHS reduction leaflets, Maudsley).
GABAPENTIN = Profile(
    "gabapentin",
    # Plan validation
    max_dose=Limit("G-MAX-DOSE", lo=1, hi=1200, unit="mg"),
    units_per_dose=Limit("PLAN-UNITS", lo=1, hi=4, unit="capsules"),
    max_daily=Limit("G-MAX-DAY", lo=1, hi=3600, soft_hi=1800, warning="W-DAILY-ABOVE-1800", unit="mg"),
    min_interval=Limit("G-MIN-INTERVAL", lo=180, unit="min"),
    default_min_interval=180,
    tid_gap=Limit("G-TID-GAP", hi=720, unit="min"),  # applies to steps with >= tid_min_doses doses
    tid_min_doses=3,
    titrate_start=Limit("G-TITRATE-START", hi=900, unit="mg/day"),
    titrate_step=Limit("G-TITRATE-STEP", hi=300, unit="mg/day"),
    reduce_step=Limit("G-REDUCE-STEP", hi=600, soft_hi=300, warning="W-REDUCE-FAST", unit="mg/day"),
    reduce_pct=50,  # a reduction is at most this % of the step before (G-REDUCE-STEP)
    zero_from=Limit("G-REDUCE-STEP", hi=300, unit="mg/day"),  # the step to 0 comes from <= this
    reduce_hold_days=7,  # W-REDUCE-FAST: a reduced step held fewer days than this is fast
    taper_days=Limit("G-TAPER-DAYS", lo=7, unit="days"),
    early=Limit("G-EARLY", lo=0, hi=60, unit="min"),
    default_early=30,
    late=Limit("PLAN-FORMAT", lo=1, hi=720, unit="min"),
    taper_step_mg=Limit("G-TAPER-RULE", lo=1, hi=600, unit="mg/day"),
    taper_step_days=Limit("G-TAPER-RULE", lo=1, unit="days"),
    taper_min_days=Limit("G-TAPER-RULE", lo=7, unit="days"),
    # G-RENAL: (lowest CrCl in the band mL/min, max mg/day, max doses/day), highest band first
    renal=((60, 3600, 99), (30, 1400, 2), (15, 700, 1), (0, 300, 1)),
    # Run time
    gap_alarm_min=720,  # R-GAP-ALARM: 12 h without a dispense on a 3+/day plan
    alarm_low_min=15,  # not taken 15 min after the dose time
    alarm_medium_min=30,  # not taken 30 min after
    alarm_high_before_min=60,  # a due dose that cannot be dispensed within this: HIGH
    silence_min=Limit("ALARM-PAUSE", lo=1, hi=5, unit="min"),
    default_silence_min=2,
    clock_jump_s=300,  # R-CLOCK: a set of more than 5 min either way untrusts the clock
    supply_low_s=86400,  # supply_low when the doses left cover less than 24 h
    rolling_s=86400,  # R-ROLLING-24H
)

# Warning ids a plan may acknowledge (anything else in `acknowledged` is PLAN-FORMAT).
WARNINGS = ("W-DAILY-ABOVE-1800", "W-REDUCE-FAST")
