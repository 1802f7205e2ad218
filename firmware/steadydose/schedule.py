# Slots of a plan: one scheduled dose each, named YYYY-MM-DD#n (local plan date, n-th dose that day).
# A slot's time is its local plan time turned into device time through the plan's POSIX TZ; its window
# opens early_min before and closes at the earlier of late_min after and the midpoint to the next slot
# (R-WINDOW). Pure: no clock is read here.

from steadydose.timebase import DAY, format_date

_CACHE_DAYS = 8  # slots of a few days around "now" are all the controller ever asks for


class Slot:
    def __init__(self, name, day, n, t, mg, units, opens, closes):
        self.name = name
        self.day = day  # local plan day number
        self.n = n
        self.t = t  # device time of the dose
        self.mg = mg
        self.units = units  # capsules
        self.opens = opens  # window [opens, closes): half-open
        self.closes = closes

    def __repr__(self):
        return "Slot(%s %d mg)" % (self.name, self.mg)


class Schedule:
    """The slots of one plan, computed on demand and cached per local day."""

    def __init__(self, plan):
        self.plan = plan
        self._times = {}
        self._slots = {}
        self.last_day = _last_dosing_day(plan)  # None: doses go on for ever
        self._day = None  # (first, end) device time of the last local day asked about, and the day
        self._at = None  # the last slot slot_at found
        self._next = None  # (slot open at _next_from or None, next slot) from the last next_slot
        self._next_from = 0

    # -- raw dose times --
    def _doses(self, day):
        # (device time, mg) of the day's doses; a day past the plan's end continues the last dosing
        # step (used only to close the last slot "as if its step went on one more day").
        times = self._times.get(day)
        if times is None:
            p = self.plan
            doses = p.doses_on(day)
            if not doses and self.last_day is not None and day == self.last_day + 1:
                doses = p.doses_on(self.last_day)
            times = [(p.tz.to_device(day, m * 60), mg) for m, mg in doses]
            if len(self._times) >= _CACHE_DAYS:
                self._times = {}
            self._times[day] = times
        return times

    def _next_time(self, day):
        # device time of the first dose after the last dose of `day` (next day with doses)
        for d in (day + 1, day + 2):
            times = self._doses(d)
            if times:
                return times[0][0]
        return None

    def slots(self, day):
        """The slots of local day `day`, in time order."""
        got = self._slots.get(day)
        if got is not None:
            return got
        p = self.plan
        out = []
        if self.last_day is None or day <= self.last_day:
            times = self._doses(day)
            for i in range(len(times)):
                t, mg = times[i]
                nxt = times[i + 1][0] if i + 1 < len(times) else self._next_time(day)
                closes = t + (nxt - t) // 2 if nxt is not None else t + DAY // 2
                if p.late_s is not None and t + p.late_s < closes:
                    closes = t + p.late_s
                name = "%s#%d" % (format_date(day), i + 1)
                out.append(Slot(name, day, i + 1, t, mg, mg // p.unit_mg, t - p.early_s, closes))
        if len(self._slots) >= _CACHE_DAYS:
            self._slots = {}
        self._slots[day] = out
        return out

    def local_day(self, t):
        # The local day of device time t; the current day's bounds are cached (asked thousands of times).
        c = self._day
        if c is not None and c[0] <= t < c[1]:
            return c[2]
        tz = self.plan.tz
        d = tz.to_local(t)[0]
        self._day = (tz.to_device(d, 0), tz.to_device(d + 1, 0), d)
        return d

    def next_close(self, t):
        """The first window close after t among the slots around t (None: none soon). Windows are in
        time order and never overlap, so the first found is the earliest."""
        d = self.local_day(t)
        for day in (d - 1, d, d + 1, d + 2):
            for s in self.slots(day):
                if s.closes > t:
                    return s.closes
        return None

    def slot_at(self, t):
        """The slot whose window holds device time t, or None."""
        c = self._at
        if c is not None and c.opens <= t < c.closes:
            return c  # windows never overlap: the last answer still holds
        n = self._next
        if n is not None and self._next_from <= t < n[1].opens and (n[0] is None or n[0].closes <= t):
            return None  # between the last window and the next one
        s = self._scan_at(t)
        if s is not None:
            self._at = s
        return s

    def _scan_at(self, t):
        d = self.local_day(t)
        for day in (d - 1, d, d + 1):
            for s in self.slots(day):
                if s.opens <= t < s.closes:
                    return s
        return None

    def next_slot(self, t):
        """The first slot whose window opens after t, or None when therapy has ended."""
        n = self._next
        if n is not None and self._next_from <= t < n[1].opens:
            return n[1]  # nothing can open between the last question and that answer
        d = max(self.local_day(t) - 1, self.plan.start_day)
        end = self.last_day if self.last_day is not None else d + 366
        while d <= end:
            for s in self.slots(d):
                if s.opens > t:
                    self._next_from = t
                    self._next = (self._scan_at(t), s)
                    return s
            d += 1
        return None

    def closing_between(self, a, b):
        """Slots whose windows close in (a, b], in time order."""
        out = []
        d = max(self.local_day(a) - 1, self.plan.start_day)
        last = self.local_day(b)  # a later day's slots close after b
        if self.last_day is not None and last > self.last_day:
            last = self.last_day
        while d <= last:
            for s in self.slots(d):
                if a < s.closes <= b:
                    out.append(s)
            d += 1
        return out

    def find(self, name):
        # "YYYY-MM-DD#n" -> Slot or None
        from steadydose.timebase import parse_date

        try:
            day = parse_date(name[:10])
            n = int(name[11:])
        except (ValueError, IndexError):
            return None
        slots = self.slots(day)
        return slots[n - 1] if 1 <= n <= len(slots) else None


def _last_dosing_day(plan):
    # The last local day with doses when the plan ends in a 0 mg step, else None (open-ended).
    last = plan.steps[-1]
    if last.days is None and last.doses:
        return None
    if not last.doses:
        return last.start_day - 1
    return last.start_day + last.days - 1
