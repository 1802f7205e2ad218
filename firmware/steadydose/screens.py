# What the display shows: the controller's ("show", screen, fields) turned into pixels.
#
#   render(fb, screen, fields, width=128, height=64)   draw one screen into `fb`
#   layout(screen, fields)                              -> (title, rows, action, button): the words only
#   describe(screen, fields)                            -> one line of text (simulator, logs, tests)
#   MESSAGES                                            refusal reason -> short plain words (<= 16 chars)
#
# `fb` is anything with MicroPython's framebuf.FrameBuffer API (fill, fill_rect, hline, text, pixel):
# the SSD1306 driver on the device, a framebuf.FrameBuffer in the unix port, sim/framebuf.py on CPython.
# The same bytes come out of all three (tests/test_screens.py checks it against the real module).
#
# Every screen has the same shape, so a tired reader always knows where to look:
#   an inverted title bar (what is going on), the key fact large where it matters (the dose, the time),
#   a few plain lines, and at the bottom one line saying what to do.
# Text is the built-in 8x8 font: 16 characters a line on a 128 px display; every string here fits.
# Device code: integers only, no imports beyond micropython.const, nothing allocated per pixel.

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


_TITLE_H = const(11)  # inverted title bar: rows 0..10, its text at y=2
_GLYPH = const(8)  # the built-in font's cell
_BIG = const(16)  # 2x-scaled cell
_ACTION_H = const(11)  # bottom band: separator or inverted button, its text on the last 8 rows
_MAX_GAP = const(3)

# Refusal reason -> short words (one line, <= 16 chars). Shared with the simulator and the tests.
MESSAGES = {
    "too_early": "Too early",
    "already_dispensed": "Already taken",
    "min_interval": "Just had a dose",
    "daily_limit": "Daily limit met",
    "clock_untrusted": "Clock not sure",
    "no_plan": "No plan loaded",
    "no_slot": "No dose due now",
    "fault": "Dispenser stuck",
    "empty": "Dispenser empty",
}

# reason -> (title, lines when no time is known, label above the big time, what to do)
_REFUSED = {
    "too_early": ("NOT YET", ("It is too early", "for this dose."), "Dose opens at", "Wait for chime"),
    "already_dispensed": ("ALREADY TAKEN", ("This dose was", "already given."), None, "Nothing to take"),
    "min_interval": ("TOO SOON", ("You just had a", "dose. Please", "wait a while."), "Try again at",
                     "Please wait"),
    "daily_limit": ("DAILY LIMIT", ("Today's limit", "is reached."), "Try again at", "Please wait"),
    "clock_untrusted": ("CLOCK NOT SURE", ("The clock may", "be wrong. Doses", "are on hold."), None,
                        "Call caregiver"),
    "no_plan": ("NO PLAN", ("No dose plan is", "loaded yet."), None, "Call caregiver"),
    "no_slot": ("NO DOSE DUE", ("No dose is due", "right now."), None, "Nothing to take"),
    "fault": ("DISPENSER STUCK", ("The carousel is", "stuck. No dose", "was given."), None, "Call caregiver"),
    "empty": ("DISPENSER EMPTY", ("No doses left.", "No dose was", "given."), None, "Call caregiver"),
}

# fault kind -> (title, lines)
_FAULTS = {
    "jam": ("DISPENSER STUCK", ("The carousel is", "stuck. Doses", "are on hold.")),
    "home_lost": ("DISPENSER FAULT", ("The carousel", "lost its place.", "Doses on hold.")),
    "empty": ("DISPENSER EMPTY", ("No doses left.", "Doses on hold.")),
    "storage": ("MEMORY FAULT", ("The dose log", "could not be", "saved.")),
}

# clock_untrusted reason -> first line
_CLOCK = {
    "rtc_lost_power": "Clock lost power",
    "backward_jump": "Clock went back",
    "forward_jump": "Clock went ahead",
    "before_build_date": "Clock is not set",
}

# every screen the controller shows (anything else renders its name in the title bar)
SCREENS = ("dose_ready", "idle", "dispensing", "taken", "refused", "stop_refused", "taper", "plan_loaded",
           "plan_rejected", "fault", "clock", "no_plan", "stopped", "empty", "ended")

CALL = "Call caregiver"
NOTHING = "Nothing to take"

_COLS = [0] * 10  # big_text's glyph columns (one list, reused)


def hhmm(device_s):
    """Device seconds (UTC) -> "HH:MM" on the device clock."""
    m = device_s // 60 % 1440
    return "%02d:%02d" % (m // 60, m % 60)


def _mg(fields):
    mg = fields.get("mg")
    return None if mg is None else "%d mg" % mg


def _units(fields):
    n = fields.get("units")
    if n is None:
        return None
    form = fields.get("form") or "capsule"
    return "%d %s" % (n, form if n == 1 else form + "s")


def _rows(*items):
    out = []
    for it in items:
        if it is not None and it[1]:
            out.append((it[0], _ascii(it[1])))
    return out


def _lines(texts):
    out = []
    for t in texts:
        out.append((1, t))
    return out


def _ascii(text):
    # the font has ASCII only (other bytes draw as a checkerboard, one per UTF-8 byte): "?" for the rest
    text = str(text)
    for ch in text:
        if ord(ch) < 32 or ord(ch) > 126:
            out = ""
            for ch in text:
                out += ch if 32 <= ord(ch) <= 126 else "?"
            return out
    return text


def _wrap(text, n=16, most=2):
    # words onto lines of n characters, at most `most` lines (".." ends a cut)
    out = []
    line = ""
    words = []
    for w in _ascii(text).split():
        words.extend(_split_id(w, n))  # a long id breaks after a hyphen
    for w in words:
        if not line:
            line = w
        elif line[-1] == "-" and len(line) + len(w) <= n:
            line = line + w  # the rest of a hyphenated id
        elif line[-1] != "-" and len(line) + 1 + len(w) <= n:
            line = line + " " + w
        else:
            out.append(line)
            line = w
    if line:
        out.append(line)
    if len(out) > most:
        out = out[:most]
        last = out[-1]
        out[-1] = (last[:n - 2] if len(last) > n - 2 else last) + ".."
    return out


def _split_id(rid, n=16):
    # a rule id longer than a line breaks after a hyphen: "W-DAILY-ABOVE-" "1800"
    out = []
    while len(rid) > n:
        cut = rid.rfind("-", 0, n) + 1
        if cut <= 0:
            cut = n
        out.append(rid[:cut])
        rid = rid[cut:]
    out.append(rid)
    return out


def _taper_row(first, last, mg):
    right = "%d mg" % mg
    if last is None:
        left = "From day %d" % first
        right = "stop"
    elif first == last:
        left = "Day %d" % first
    else:
        left = "Days %d-%d" % (first, last)
    if len(left) + 1 + len(right) > 16:
        right = right.replace(" ", "")
    if len(left) + 1 + len(right) > 16:
        left = left.replace("Days ", "").replace("Day ", "").replace("From day ", "")
        if last is None:
            left = left + "+"
    return left + " " * (16 - len(left) - len(right)) + right


def _taper(steps):
    rows = []
    day = 1
    for s in steps:
        days = s.get("days")
        mg = s.get("daily_mg") or 0
        if days is None:
            rows.append(_taper_row(day, None, mg))
            break
        rows.append(_taper_row(day, day + days - 1, mg))
        day += days
    if len(rows) > 3:
        rows = [rows[0], "(%d more steps)" % (len(rows) - 2), rows[-1]]
    return [(1, "Dose each day:")] + _lines(rows)


def _refused(fields):
    reason = fields.get("reason")
    spec = _REFUSED.get(reason)
    if spec is None:
        return ("NOT NOW", _lines(("The dose cannot", "be given now.")), CALL)
    title, detail, label, action = spec
    when = fields.get("opens_local")
    if when is None and fields.get("opens_at") is not None:
        when = hhmm(fields["opens_at"])
    if when is not None and label is not None:
        if reason == "too_early":  # the title already says "not yet"
            return (title, [(1, label), (2, when)], action)
        return (title, [(1, MESSAGES[reason]), (1, label), (2, when)], action)
    return (title, _lines(detail), action)


def layout(screen, fields=None):
    """(title, rows, action, button): rows are (size, text) with size 1 or 2; button: the action line
    is drawn inverted, like a key to press. Unknown screens and missing fields never raise (a field of
    the wrong type may: render() then falls back to the title and "Call caregiver")."""
    f = fields or {}
    button = False
    if screen == "dose_ready":
        title, rows, action = "DOSE READY", _rows((2, _mg(f)), (1, _units(f)),
                                                 (1, "Due at " + f["time"] if f.get("time") else None)), \
            "Press TAKE"
        button = True
    elif screen == "idle":
        title = "NEXT DOSE"
        rows = _rows((2, f.get("time")), (1, _mg(f)), (1, _units(f)))
        action = "Slow stop plan" if f.get("taper") else "Nothing due now"
    elif screen == "dispensing":
        title, rows, action = "DISPENSING", _rows((2, _mg(f)), (1, _units(f))), "Please wait..."
    elif screen == "taken":
        nxt = f.get("next")
        title, rows, action = "DOSE GIVEN", _rows((2, _mg(f)), (1, _units(f)),
                                                 (1, "Next dose " + nxt if nxt else None)), "Take with water"
    elif screen == "refused":
        title, rows, action = _refused(f)
    elif screen == "stop_refused":
        title = "NOT SAFE TO STOP"
        rows = _lines(("Sudden stopping", "can be harmful.", "Doses continue."))
        action = "Ask prescriber"
    elif screen == "taper":
        title, rows, action = "SLOW STOP PLAN", _taper(f.get("steps") or ()), "Starts tomorrow"
    elif screen == "plan_loaded":
        title = "NEW PLAN LOADED"
        rows = _lines(_wrap(f.get("plan_id", ""), 16, 2))
        if f.get("version") is not None:
            rows.append((1, "Version %d" % f["version"]))
        action = "Plan in use"
    elif screen == "plan_rejected":
        title = "PLAN NOT LOADED"
        ids = f.get("violations") or ()
        rows = [(1, "Old plan kept.")]
        groups = []
        total = 0
        for rid in ids:
            g = _split_id(_ascii(rid))
            groups.append(g)
            total += len(g)
        lines = []
        shown = 0
        for g in groups:
            if len(lines) + len(g) > (3 if total <= 3 else 2):
                break
            lines.extend(g)
            shown += 1
        if shown < len(ids):
            lines.append("+%d more" % (len(ids) - shown))
        rows.extend(_lines(lines))
        action = "Ask prescriber"
    elif screen == "fault":
        spec = _FAULTS.get(f.get("kind"))
        if spec is None:
            spec = ("DISPENSER FAULT", ("Something is", "wrong. Doses", "are on hold."))
        title, rows, action = spec[0], _lines(spec[1]), CALL
    elif screen == "clock":
        title = "CLOCK NOT SURE"
        # with `now` (the clock's reading, "HH:MM") the caregiver can check the time before confirming it
        rows = _rows((1, _CLOCK.get(f.get("reason"), "Clock may be off")), (2, f.get("now")),
                     (1, "Doses on hold."))
        action = CALL
    elif screen == "no_plan":
        title, rows, action = "NO PLAN", _lines(("No dose plan is", "loaded yet.")), CALL
    elif screen == "stopped":
        title = "MEDICINE STOPPED"
        rows = _lines(("Your prescriber", "has stopped", "this medicine."))
        action = NOTHING
    elif screen == "empty":
        title, rows, action = "DISPENSER EMPTY", _lines(("No doses left.", "It needs a", "refill.")), CALL
    elif screen == "ended":
        title, rows, action = "COURSE FINISHED", _lines(("This course of", "medicine is", "complete.")), NOTHING
    else:
        title, rows, action = _ascii(screen).upper().replace("_", " ")[:16], [], ""
    return title, rows, action, button


def describe(screen, fields=None):
    """One line of plain text for a screen, e.g. "DOSE READY | 600 mg | 2 capsules | Press TAKE"."""
    title, rows, action, _ = layout(screen, fields)
    parts = [title]
    for r in rows:
        parts.append(r[1])
    if action:
        parts.append(action)
    return " | ".join(parts)


# ---- drawing ----

def _fit(text, width, cell):
    n = width // cell
    return text if len(text) <= n else text[:n]


def _centre(fb, text, y, width, c):
    text = _fit(text, width, _GLYPH)
    fb.text(text, (width - len(text) * _GLYPH) // 2, y, c)


def big_text(fb, text, x, y, c=1):
    """Draw `text` 2x (16x16 a character) at x, y. Each 8x8 glyph is drawn by fb.text, read back with
    fb.pixel and enlarged with Scale2x (the font's diagonal steps come out smooth), so this needs no font
    table and no scratch buffer, and matches the built-in font on any FrameBuffer-like object."""
    bg = 0 if c else 1
    px = fb.pixel
    cols = _COLS
    for ch in text:
        # read the glyph: an int per column, bit r+1 = row r, zero borders all round (bits 0 and 9,
        # cols[0] and cols[9])
        fb.fill_rect(x, y, _GLYPH, _GLYPH, bg)
        fb.text(ch, x, y, c)
        for i in range(8):
            v = 0
            for r in range(8):
                p = px(x + i, y + r)
                if p is not None and p != bg:
                    v |= 2 << r
            cols[i + 1] = v
        fb.fill_rect(x, y, _GLYPH, _GLYPH, bg)
        for i in range(1, 9):
            col = cols[i]
            left = cols[i - 1]
            right = cols[i + 1]
            if not (col | left | right):
                continue
            gx = x + 2 * i - 2
            for r in range(1, 9):
                e = (col >> r) & 1
                b = (col >> (r - 1)) & 1  # above
                h = (col >> (r + 1)) & 1  # below
                d = (left >> r) & 1
                f = (right >> r) & 1
                if b == h or d == f:
                    if e:
                        fb.fill_rect(gx, y + 2 * r - 2, 2, 2, c)
                    continue
                # Scale2x: each quarter takes the neighbour on its two sides where those agree
                e0 = d if d == b else e
                e1 = f if b == f else e
                e2 = d if d == h else e
                e3 = f if h == f else e
                gy = y + 2 * r - 2
                if e0 and e1 and e2 and e3:
                    fb.fill_rect(gx, gy, 2, 2, c)
                    continue
                if e0:
                    px(gx, gy, c)
                if e1:
                    px(gx + 1, gy, c)
                if e2:
                    px(gx, gy + 1, c)
                if e3:
                    px(gx + 1, gy + 1, c)
        x += _BIG


def render(fb, screen, fields=None, width=128, height=64):
    """Draw `screen` (a controller screen name) with its `fields` into `fb`, the whole display."""
    try:
        title, rows, action, button = layout(screen, fields)
    except Exception:  # a malformed field must never take the display down: say who to call
        title, rows, action, button = _ascii(screen).upper().replace("_", " ")[:16], [], CALL, False
    fb.fill(0)
    fb.fill_rect(0, 0, width, _TITLE_H, 1)
    _centre(fb, title, 2, width, 0)
    bottom = height
    if action:
        bottom = height - _ACTION_H
        if button:
            fb.fill_rect(0, bottom + 1, width, height - bottom - 1, 1)
            _centre(fb, action, height - _GLYPH - 1, width, 0)
        else:
            fb.hline(0, bottom, width, 1)
            _centre(fb, action, height - _GLYPH, width, 1)
    # rows: centred in the band between the title bar and the action line
    top = _TITLE_H + 2
    room = bottom - 1 - top
    need = 0
    for r in rows:
        need += _BIG if r[0] == 2 and len(r[1]) * _BIG <= width else _GLYPH
    gap = 0
    if len(rows) > 1:
        gap = (room - need) // (len(rows) - 1)
        if gap > _MAX_GAP:
            gap = _MAX_GAP
        if gap < 0:
            gap = 0
    y = top + (room - need - gap * (len(rows) - 1)) // 2
    if y < top:
        y = top
    for r in rows:
        text = r[1]
        if r[0] == 2 and len(text) * _BIG <= width:
            big_text(fb, text, (width - len(text) * _BIG) // 2, y, 1)
            y += _BIG
        else:
            _centre(fb, text, y, width, 1)
            y += _GLYPH
        y += gap
