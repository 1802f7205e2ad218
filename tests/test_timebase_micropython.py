"""steadydose.timebase: CPython and the real MicroPython 1.29 binary give identical answers.

Hypothesis generates a batch of cases (civil days, UTC times, texts to parse, POSIX TZ strings with
instants and local wall times, many of them in DST gaps and overlaps); the batch goes to ONE
micropython process as JSON lines on stdin, the same evaluation code runs in CPython, and the two
lists of answers must be equal. Once more with a 64 KiB heap (line by line, as on a small device).
"""

# ruff: noqa: UP031  (the evaluation code runs on MicroPython too)

import json

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from steadydose import timebase
from tests.mpy import run_micropython
from tests.test_timebase import ALL_ZONES, DAY_MAX, DAY_MIN, T_1999, T_MAX, posix_rules, tzif

DAY = timebase.DAY

# Evaluated by both interpreters, with `tb` bound to steadydose.timebase. Plain MicroPython.
EVAL_SRC = """
def _raised(e):
    return {"raised": type(e).__name__}


def _try(f, *args):
    try:
        return f(*args)
    except Exception as e:
        return _raised(e)


def _parser(name):
    if name == "date":
        return tb.parse_date
    if name == "hhmm":
        return tb.parse_hhmm
    return tb.parse_utc


def evaluate(case):
    kind = case[0]
    if kind == "civil":
        n = case[1]
        y, m, d = tb.civil_from_days(n)
        return [[y, m, d], tb.days_from_civil(y, m, d), tb.weekday(n), tb.format_date(n),
                tb.is_leap(y), tb.month_days(y, m)]
    if kind == "utc":
        t = case[1]
        text = tb.format_utc(t)
        return [text, tb.parse_utc(text), tb.format_hhmm(t // 60 % 1440)]
    if kind == "parse":
        return _try(_parser(case[1]), case[2])
    if kind == "tz":
        try:
            tz = tb.PosixTZ(case[1])
        except Exception as e:
            return _raised(e)
        out = [tz.std, tz.dst, tz.has_dst()]
        for t in case[2]:
            out.append([_try(tz.utc_offset, t), _try(tz.to_local, t)])
        for wall in case[3]:
            out.append(_try(tz.to_device, wall[0], wall[1]))
        if tz.has_dst():
            for y in case[4]:
                out.append(_try(tz.transitions, y))
        return out
    return {"unknown": kind}
"""

MPY_SCRIPT = (
    "import sys, json\n"
    "from steadydose import timebase as tb\n"
    + EVAL_SRC
    + """
count = 0
while True:
    line = sys.stdin.readline()
    if not line:
        break
    print(json.dumps(evaluate(json.loads(line))))
    count += 1
print(json.dumps({"done": count}))
"""
)


def evaluate_cpython(cases):
    ns = {"tb": timebase}
    exec(EVAL_SRC, ns)
    return [json.loads(json.dumps(ns["evaluate"](json.loads(json.dumps(c))))) for c in cases]


def evaluate_micropython(cases, heapsize=None):
    stdin = "".join(json.dumps(c) + "\n" for c in cases)
    proc = run_micropython(MPY_SCRIPT, stdin=stdin, heapsize=heapsize, timeout=60)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert lines and lines[-1] == {"done": len(cases)}, proc.stdout[-2000:]
    return lines[:-1]


# -------------------------------------------------------------------------------------------------
# case strategies (texts stay in the Basic Multilingual Plane: MicroPython's json reads a surrogate
# pair as two characters, so astral characters would not reach both sides the same)

FOOTERS = sorted({tzif(z)[1] for z in ALL_ZONES})
TEXT_NOISE = "0123456789-:TZz +.\u0662\uff12x"
TZ_NOISE = "<>+-:,./0123456789JMESTDAa\uff15"

civil_cases = st.integers(DAY_MIN - 400, DAY_MAX + 400).map(lambda n: ["civil", n])
utc_cases = st.integers(T_1999 - 40 * DAY, T_MAX).map(lambda t: ["utc", t])


def mutate(text, alphabet):
    """A text one edit away from `text`: replace, insert or delete one character, or truncate."""
    return st.tuples(st.integers(0, max(len(text) - 1, 0)), st.sampled_from(alphabet), st.integers(0, 3)).map(
        lambda a: (
            text[: a[0]] + a[1] + text[a[0] + 1 :],
            text[: a[0]] + a[1] + text[a[0] :],
            text[: a[0]] + text[a[0] + 1 :],
            text[: a[0]],
        )[a[2]]
    )


@st.composite
def parse_cases(draw):
    which = draw(st.sampled_from(["date", "hhmm", "utc"]))
    if which == "date":
        valid = timebase.format_date(draw(st.integers(DAY_MIN, DAY_MAX)))
    elif which == "hhmm":
        valid = timebase.format_hhmm(draw(st.integers(0, 1439)))
    else:
        valid = timebase.format_utc(draw(st.integers(T_1999, T_MAX)))
    text = draw(
        st.one_of(
            st.just(valid),
            mutate(valid, TEXT_NOISE),
            st.text(TEXT_NOISE, max_size=21),
            st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"]), max_size=21),
            st.sampled_from([None, 20260101, 8, [], ["08:00"], {"d": 1}, True, 1.5]),
        )
    )
    return ["parse", which, text]


@st.composite
def tz_cases(draw):
    text = draw(
        st.one_of(
            st.sampled_from(FOOTERS),
            st.sampled_from(FOOTERS),
            posix_rules().map(lambda r: r[0]),
            st.sampled_from(FOOTERS).flatmap(lambda f: mutate(f, TZ_NOISE)),
            st.text(TZ_NOISE, max_size=30),
            st.sampled_from([None, 5, ["EST5"], "", "EST5EDT"]),
        )
    )
    instants = draw(st.lists(st.integers(T_1999, T_MAX), min_size=1, max_size=4))
    walls = [list(divmod(t + draw(st.integers(-DAY, DAY)), DAY)) for t in instants]
    years = draw(st.lists(st.integers(1999, 2057), min_size=1, max_size=2))
    try:  # CPython's own answers only choose where to look: next to this rule's transitions
        tz = timebase.PosixTZ(text)
    except ValueError:
        tz = None
    if tz is not None and tz.has_dst():
        for y in years:
            for tr in tz.transitions(y):
                delta = draw(st.one_of(st.integers(-3, 3), st.integers(-150, 150).map(lambda m: m * 60)))
                instants.append(tr + delta)
                walls.append(list(divmod(tr + tz.utc_offset(tr - 1) + delta, DAY)))
    return ["tz", text, instants, walls, years]


def collect(strategy, n):
    """Cases from n Hypothesis examples of lists of cases (generation only: nothing can fail here)."""
    out = []

    @settings(max_examples=n, database=None, phases=[Phase.generate], deadline=None)
    @given(
        st.lists(
            strategy, min_size=1, max_size=4, unique_by=lambda c: json.dumps(c[:2] if c[0] == "tz" else c[:3])
        )
    )
    def gather(cases):
        out.extend(cases)

    gather()
    return out


LOST_POWER = timebase.parse_utc("2000-01-01T00:00:00Z")  # what a DS3231 reads after losing power
SPRING = timebase.parse_utc("2026-03-29T01:00:00Z")
AUTUMN = timebase.parse_utc("2026-10-25T01:00:00Z")
WALLS = [
    [timebase.parse_date(d), timebase.parse_hhmm(hm) * 60]
    for d in ("2026-03-28", "2026-03-29", "2026-10-25", "2026-10-24")
    for hm in ("00:59", "01:00", "01:30", "02:00", "23:30")
]
YEARS = [1999, 2000, 2026, 2057]

# Always in the batch: inputs where CPython and MicroPython builtins differ (str.isdigit/isalpha/int
# take non-ASCII digits and letters on CPython only), and fixed points worth pinning.
EXPLICIT_CASES = [
    ["parse", "date", "2\uff1218-10-15"],
    ["parse", "date", "\u0662\u0660\u0662\u0666-01-01"],
    ["parse", "hhmm", "\uff10\uff18:00"],
    ["parse", "utc", "2026-03-01T1\uff12:00:00Z"],
    ["parse", "utc", "2000-01-01T00:00:00Z"],
    ["parse", "date", "2100-02-29"],
    ["parse", "date", "2000-02-29"],
    ["tz", "EST\uff15EDT,M3.2.0,M11.1.0", [0], [[0, 0]], [2026]],
    ["tz", "\u00c9ST5", [0], [[0, 0]], [2026]],
    ["tz", "<+0\uff15>-5", [0], [[0, 0]], [2026]],
    ["tz", "EST5EDT,M3.\uff12.0,M11.1.0", [0], [[0, 0]], [2026]],
    # London 2026: 01:00Z spring forward (local 01:xx skipped), 01:00Z fall back (local 01:xx twice)
    [
        "tz",
        "GMT0BST,M3.5.0/1,M10.5.0",
        [LOST_POWER, SPRING - 1, SPRING, AUTUMN - 1, AUTUMN, T_MAX],
        WALLS,
        YEARS,
    ],
    ["tz", "IST-1GMT0,M10.5.0,M3.5.0/1", [SPRING - 1, SPRING, AUTUMN - 1, AUTUMN], WALLS, YEARS],
    ["tz", "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", [LOST_POWER, SPRING, AUTUMN], WALLS, YEARS],
    ["tz", "EST5EDT,0/0,J365/25", [LOST_POWER, -1, 0, T_MAX], WALLS, YEARS],
]


@pytest.fixture(scope="module")
def batch():
    cases = (
        EXPLICIT_CASES
        + collect(civil_cases, 60)
        + collect(utc_cases, 60)
        + collect(parse_cases(), 120)
        + collect(tz_cases(), 300)
    )
    return cases


def assert_same(cases, got, want):
    assert len(got) == len(want) == len(cases)
    diffs = [(c, m, p) for c, m, p in zip(cases, got, want, strict=True) if m != p]
    report = "\n".join("case %s\n  micropython %s\n  cpython     %s" % d for d in diffs[:5])
    assert not diffs, "%d of %d cases differ:\n%s" % (len(diffs), len(cases), report)


def test_batch_is_broad(batch):
    tz = [c for c in batch if c[0] == "tz"]
    texts = {c[1] for c in tz if isinstance(c[1], str)}
    valid = [t for t in texts if _parses(t)]
    assert len(batch) >= 600
    assert len(texts) >= 150 and len(valid) >= 80 and len(texts) - len(valid) >= 40
    assert len(set(valid) & set(FOOTERS)) >= 40
    assert sum(len(c[2]) for c in tz) >= 1000 and sum(len(c[3]) for c in tz) >= 1000


def _parses(text):
    try:
        timebase.PosixTZ(text)
    except ValueError:
        return False
    return True


def test_micropython_agrees_with_cpython(batch):
    assert_same(batch, evaluate_micropython(batch), evaluate_cpython(batch))


def test_micropython_agrees_with_cpython_in_64k_heap(batch):
    assert_same(batch, evaluate_micropython(batch, heapsize="64K"), evaluate_cpython(batch))
