# Alarm priorities and audio pause (CLINICAL_RULES.md "Alarms", after IEC 60601-1-8).
# The controller raises and clears *conditions* (a cause with a priority); this object says what should
# sound. Priorities only rise while a condition lasts; MEDIUM dose alarms latch until acknowledged;
# silencing is an audio pause only, and escalation goes on while paused.

CHIME = 0
LOW = 1
MEDIUM = 2
HIGH = 3
NAMES = ("chime", "low", "medium", "high")

# Buzzer patterns: (pulse start offsets in ms, pulse length ms, repeat period ms or 0 for once).
PATTERNS = (
    ((0,), 150, 0),
    ((0, 400), 200, 20000),
    ((0, 400, 800), 200, 10000),
    ((0, 250, 500, 1000, 1250, 2100, 2350, 2600, 3100, 3350), 150, 7000),
)
FREQ_HZ = 500
RAMP_MS = 20


class Alarms:
    def __init__(self):
        self.active = {}  # cause -> priority, for conditions that last
        self.latched = {}  # cause -> priority, sounding after the condition ended, until acknowledged
        self.paused_until = None  # elapsed seconds; None: not paused

    def raise_(self, cause, prio):
        """Raise or escalate a condition. True when this is news worth logging (new or higher)."""
        old = self.active.get(cause, -1)
        if prio <= old:
            return False
        top = self.level()
        self.active[cause] = prio
        self.latched.pop(cause, None)
        if prio > top:
            self.paused_until = None  # a higher priority breaks an audio pause
        return True

    def clear(self, cause, latch=False):
        """The condition is over. A latching (MEDIUM+) alarm keeps sounding until acknowledged."""
        prio = self.active.pop(cause, None)
        if prio is None:
            return False
        if latch and prio >= MEDIUM:
            self.latched[cause] = prio
        return True

    def acknowledge(self, causes=None):
        """Drop latched alarms (all, or those named). True if any was dropped."""
        if causes is None:
            had = bool(self.latched)
            self.latched = {}
            return had
        had = False
        for c in causes:
            if self.latched.pop(c, None) is not None:
                had = True
        return had

    def level(self):
        top = -1
        for p in self.active.values():
            if p > top:
                top = p
        for p in self.latched.values():
            if p > top:
                top = p
        return top

    def cause(self):
        # the cause of the highest alarm (for the log and the screen)
        best, top = None, -1
        for d in (self.active, self.latched):
            for c in d:
                if d[c] > top:
                    best, top = c, d[c]
        return best

    def pause(self, elapsed, seconds):
        if self.level() < LOW:
            return False
        self.paused_until = elapsed + seconds
        return True

    def sounding(self, elapsed):
        """The priority the buzzer should repeat now, or -1 for silence."""
        if self.paused_until is not None:
            if elapsed < self.paused_until:
                return -1
            self.paused_until = None
        lvl = self.level()
        return lvl if lvl >= LOW else -1
