# Device time and civil calendars, in integers only (the Pico has 30-bit small ints and single floats).
# Device time: seconds since 2024-01-01T00:00:00Z ("day 0"), small until 2058; negative before 2024
# (a DS3231 that lost power reads 2000-01-01, about -7.6e8: still a small int).
# POSIX TZ rules ("std offset dst [offset],start[/time],end[/time]") turn local plan times into device
# time and back. No datetime/zoneinfo on the device: this is written by hand and checked against
# CPython's zoneinfo in the tests.

DAY = 86400
_EPOCH_DAYS = 19723  # days from 1970-01-01 to 2024-01-01
_MDAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_leap(y):
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def month_days(y, m):
    if m == 2 and is_leap(y):
        return 29
    return _MDAYS[m - 1]


def days_from_civil(y, m, d):
    # Days from 2024-01-01 to y-m-d (proleptic Gregorian), after H. Hinnant's days_from_civil.
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468 - _EPOCH_DAYS


def civil_from_days(n):
    # Inverse of days_from_civil -> (y, m, d).
    z = n + _EPOCH_DAYS + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (yoe + era * 400 + (m <= 2), m, d)


def weekday(n):
    # 0 = Sunday .. 6 = Saturday (POSIX TZ's numbering); day 0 (2024-01-01) was a Monday.
    return (n + 1) % 7


def _is_digit(c):
    # ASCII only: CPython's str.isdigit() (and int()) also take other scripts' digits ("\uff12"),
    # MicroPython's do not; a date or a TZ string must mean the same on both.
    return "0" <= c <= "9"


def _is_alpha(c):
    return "A" <= c <= "Z" or "a" <= c <= "z"


def _digits(s, i, j):
    part = s[i:j]
    if len(part) != j - i:
        raise ValueError("expected digits")
    for c in part:
        if not _is_digit(c):
            raise ValueError("expected digits")
    return int(part)


def parse_date(s):
    # "YYYY-MM-DD" -> day number. Raises ValueError on anything else.
    if not isinstance(s, str) or len(s) != 10 or s[4] != "-" or s[7] != "-":
        raise ValueError("date must be YYYY-MM-DD")
    y, m, d = _digits(s, 0, 4), _digits(s, 5, 7), _digits(s, 8, 10)
    if not 1 <= m <= 12 or not 1 <= d <= month_days(y, m):
        raise ValueError("no such date")
    return days_from_civil(y, m, d)


def format_date(n):
    y, m, d = civil_from_days(n)
    return "%04d-%02d-%02d" % (y, m, d)


def parse_hhmm(s):
    # "HH:MM" (00:00..23:59) -> minutes after local midnight.
    if not isinstance(s, str) or len(s) != 5 or s[2] != ":":
        raise ValueError("time must be HH:MM")
    h, m = _digits(s, 0, 2), _digits(s, 3, 5)
    if h > 23 or m > 59:
        raise ValueError("no such time of day")
    return h * 60 + m


def format_hhmm(minutes):
    return "%02d:%02d" % (minutes // 60, minutes % 60)


def parse_utc(s):
    # "YYYY-MM-DDTHH:MM:SSZ" -> device seconds.
    if not isinstance(s, str) or len(s) != 20 or s[10] != "T" or s[13] != ":" or s[16] != ":" or s[19] != "Z":
        raise ValueError("time must be YYYY-MM-DDTHH:MM:SSZ")
    day = parse_date(s[:10])
    h, m, sec = _digits(s, 11, 13), _digits(s, 14, 16), _digits(s, 17, 19)
    if h > 23 or m > 59 or sec > 59:
        raise ValueError("no such time of day")
    return day * DAY + h * 3600 + m * 60 + sec


def format_utc(t):
    day = t // DAY
    s = t - day * DAY
    return "%sT%02d:%02d:%02dZ" % (format_date(day), s // 3600, s // 60 % 60, s % 60)


# ---- POSIX TZ -------------------------------------------------------------------------------------

# Rule kinds for a DST transition date.
_RULE_M = 0  # Mm.w.d: day d (0=Sun) of week w (5 = last) of month m
_RULE_J = 1  # Jn: day n (1..365), Feb 29 never counted
_RULE_N = 2  # n: zero-based day of year (0..365), Feb 29 counted


class PosixTZ:
    """A POSIX TZ string. Offsets are kept east-positive in seconds (POSIX writes them west-positive)."""

    def __init__(self, text):
        if not isinstance(text, str) or not text:
            raise ValueError("POSIX TZ must be a non-empty string")
        self.text = text
        self._s = text
        self._i = 0
        self.std_name = self._name()
        self.std = -self._offset()
        self.dst = None
        self.start = self.end = None
        self._year = None  # (from, to, dst start, dst end) of the last year asked about
        if self._i < len(text):
            self.dst_name = self._name()
            self.dst = self.std + 3600
            if self._i < len(text) and text[self._i] != ",":
                self.dst = -self._offset()
            if self._i >= len(text):
                raise ValueError("daylight saving time named but no rules given")
            self._expect(",")
            self.start = self._rule()
            self._expect(",")
            self.end = self._rule()
            if self._i != len(text):
                raise ValueError("unexpected text at position %d" % self._i)
        del self._s

    # -- parsing --
    def _expect(self, ch):
        if self._i >= len(self._s) or self._s[self._i] != ch:
            raise ValueError("expected '%s' at position %d" % (ch, self._i))
        self._i += 1

    def _name(self):
        s, i = self._s, self._i
        if i < len(s) and s[i] == "<":
            j = s.find(">", i)
            if j < 0:
                raise ValueError("unclosed '<' in zone name")
            name = s[i + 1 : j]
            for c in name:
                if not (_is_alpha(c) or _is_digit(c) or c in "+-"):
                    raise ValueError("bad character in quoted zone name")
            self._i = j + 1
        else:
            j = i
            while j < len(s) and _is_alpha(s[j]):
                j += 1
            name = s[i:j]
            self._i = j
        if len(name) < 3:
            raise ValueError("zone name must have at least 3 characters")
        return name

    def _number(self):
        s, i = self._s, self._i
        j = i
        while j < len(s) and _is_digit(s[j]):
            j += 1
        if j == i:
            raise ValueError("expected a number at position %d" % i)
        self._i = j
        return int(s[i:j])

    def _hms(self, max_hours):
        # [+-]hh[:mm[:ss]] -> signed seconds
        sign = 1
        if self._i < len(self._s) and self._s[self._i] in "+-":
            sign = -1 if self._s[self._i] == "-" else 1
            self._i += 1
        h = self._number()
        m = sec = 0
        if self._i < len(self._s) and self._s[self._i] == ":":
            self._i += 1
            m = self._number()
            if self._i < len(self._s) and self._s[self._i] == ":":
                self._i += 1
                sec = self._number()
        if h > max_hours or m > 59 or sec > 59:
            raise ValueError("time out of range")
        return sign * (h * 3600 + m * 60 + sec)

    def _offset(self):
        return self._hms(24)

    def _rule(self):
        s = self._s
        if self._i < len(s) and s[self._i] == "M":
            self._i += 1
            m = self._number()
            self._expect(".")
            w = self._number()
            self._expect(".")
            d = self._number()
            if not (1 <= m <= 12 and 1 <= w <= 5 and 0 <= d <= 6):
                raise ValueError("bad Mm.w.d rule")
            rule = (_RULE_M, m, w, d)
        elif self._i < len(s) and s[self._i] == "J":
            self._i += 1
            n = self._number()
            if not 1 <= n <= 365:
                raise ValueError("bad Jn rule")
            rule = (_RULE_J, n, 0, 0)
        else:
            n = self._number()
            if not 0 <= n <= 365:
                raise ValueError("bad n rule")
            rule = (_RULE_N, n, 0, 0)
        at = 7200  # default 02:00:00 local
        if self._i < len(s) and s[self._i] == "/":
            self._i += 1
            at = self._hms(167)  # RFC 8536 allows -167..167 hours
        return rule + (at,)

    # -- transitions --
    def has_dst(self):
        return self.dst is not None

    def _rule_day(self, rule, y):
        kind, a, w, d, _at = rule
        if kind == _RULE_M:
            first = days_from_civil(y, a, 1)
            day = first + (d - weekday(first)) % 7 + (w - 1) * 7
            last = first + month_days(y, a) - 1
            while day > last:
                day -= 7
            return day
        jan1 = days_from_civil(y, 1, 1)
        if kind == _RULE_J:
            return jan1 + a - 1 + (1 if is_leap(y) and a >= 60 else 0)
        return jan1 + a

    def transitions(self, y):
        # (dst start, dst end) in device time for local year y.
        start = self._rule_day(self.start, y) * DAY + self.start[4] - self.std
        end = self._rule_day(self.end, y) * DAY + self.end[4] - self.dst
        return start, end

    def _in_dst(self, t):
        # The year's transitions are cached: the device and the simulator ask about the same year
        # thousands of times in a row.
        c = self._year
        if c is None or not c[0] <= t < c[1]:
            y = civil_from_days((t + self.std) // DAY)[0]
            start, end = self.transitions(y)
            c = self._year = (days_from_civil(y, 1, 1) * DAY - self.std,
                              days_from_civil(y + 1, 1, 1) * DAY - self.std, start, end)
        start, end = c[2], c[3]
        if start < end:
            return start <= t < end
        return not (end <= t < start)  # southern hemisphere: DST spans the new year

    def utc_offset(self, t):
        # Seconds to add to device (UTC) time t to get local time.
        if self.dst is not None and self._in_dst(t):
            return self.dst
        return self.std

    def to_local(self, t):
        # Device time -> (local day number, seconds after local midnight).
        lt = t + self.utc_offset(t)
        day = lt // DAY
        return day, lt - day * DAY

    def to_device(self, day, secs):
        # Local (day, seconds after midnight) -> device time. A local time skipped by a spring-forward
        # gap moves to the first valid instant after it; one repeated at fall-back takes the first.
        lt = day * DAY + secs
        best = None
        for off in (self.std, self.dst):
            if off is None:
                continue
            t = lt - off
            if self.utc_offset(t) == off and (best is None or t < best):
                best = t
        if best is not None:
            return best
        # In a gap: the transition lies between the two readings; it is the first valid instant.
        lo, hi = lt - max(self.std, self.dst), lt - min(self.std, self.dst)
        y = civil_from_days(day)[0]
        for yy in (y - 1, y, y + 1):
            for tr in self.transitions(yy):
                if lo <= tr <= hi:
                    return tr
        return hi  # unreachable for well-formed rules
