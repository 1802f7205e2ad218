"""The display screens (firmware/steadydose/screens.py) and the CPython framebuf stand-in (sim/framebuf.py).

- every screen, with realistic fields, renders inside 128x64 (the stand-in counts clipped draws) and every
  line of it fits 16 characters of the 8x8 font;
- snapshot tests of the key screens as text art in tests/snapshots/*.txt: a mismatch shows a readable
  diff; `UPDATE_SNAPSHOTS=1 pytest tests/test_screens.py` rewrites them (look at the diff before committing);
- the same screens rendered by the REAL framebuf module inside the micropython binary give exactly the
  stand-in's bytes, and so do random mixes of every drawing primitive on every mono format: the simulator
  shows what the device shows.
`SCREENS_PNG_DIR=/tmp/screens pytest tests/test_screens.py -k gallery` saves a PNG of every case there.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import json
import os
import random
import re
from pathlib import Path

import pytest

from sim import framebuf
from sim.framebuf import FrameBuffer, display, frame_to_png, frame_to_text
from steadydose import gate, screens
from steadydose.timebase import parse_utc
from tests.mpy import REPO, mpy_json

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"

T0 = parse_utc("2026-03-01T00:00:00Z")  # device seconds

# name -> (screen, fields): every screen the controller shows, every refusal reason, fault kind and clock
# reason, and the awkward cases (a 1200 mg dose, a long taper, long rule ids, a long plan id).
CASES: dict[str, tuple[str, dict]] = {
    "dose_ready": ("dose_ready", {"slot": "2026-03-01#1", "mg": 600, "units": 2, "time": "08:00"}),
    "dose_ready_1200": ("dose_ready", {"slot": "2026-03-09#3", "mg": 1200, "units": 4, "time": "21:00"}),
    "idle": ("idle", {"slot": "2026-03-01#2", "mg": 300, "units": 1, "time": "14:00"}),
    "idle_taper": ("idle", {"slot": "2026-03-20#1", "mg": 300, "units": 1, "time": "08:00", "taper": True}),
    "dispensing": ("dispensing", {"slot": "2026-03-01#1", "mg": 600, "units": 2}),
    "taken": ("taken", {"slot": "2026-03-01#1", "mg": 600, "units": 2}),
    "taken_one": ("taken", {"slot": "2026-03-01#1", "mg": 300, "units": 1}),
    "stop_refused": ("stop_refused", {}),
    "taper": ("taper", {"steps": [{"days": 7, "daily_mg": 600}, {"days": 7, "daily_mg": 300},
                                  {"days": None, "daily_mg": 0}]}),
    "taper_long": ("taper", {"steps": [{"days": 7, "daily_mg": d} for d in (3300, 3000, 2700, 2400, 2100, 1800,
                                                                            1500, 1200, 900, 600, 300)]
                             + [{"days": None, "daily_mg": 0}]}),
    "taper_one": ("taper", {"steps": [{"days": 7, "daily_mg": 300}, {"days": None, "daily_mg": 0}]}),
    "plan_loaded": ("plan_loaded", {"plan_id": "gaba-demo", "version": 3}),
    "plan_loaded_long_id": ("plan_loaded", {"plan_id": "gabapentin-spasticity-titration-mrs-example",
                                            "version": 12}),
    "plan_rejected": ("plan_rejected", {"violations": ["G-MAX-DAY"]}),
    "plan_rejected_many": ("plan_rejected", {"violations": ["W-DAILY-ABOVE-1800", "G-TITRATE-STEP",
                                                            "PLAN-SIGNATURE", "R-TRANSITION"]}),
    "fault_jam": ("fault", {"kind": "jam"}),
    "fault_home_lost": ("fault", {"kind": "home_lost"}),
    "fault_empty": ("fault", {"kind": "empty"}),
    "fault_storage": ("fault", {"kind": "storage"}),
    "clock": ("clock", {"reason": "rtc_lost_power"}),
    "clock_now": ("clock", {"reason": "forward_jump", "now": "10:42"}),
    "clock_backward": ("clock", {"reason": "backward_jump"}),
    "clock_forward": ("clock", {"reason": "forward_jump"}),
    "clock_build": ("clock", {"reason": "before_build_date"}),
    "no_plan": ("no_plan", {}),
    "stopped": ("stopped", {}),
    "empty": ("empty", {}),
    "ended": ("ended", {}),
    "refused_too_early": ("refused", {"reason": "too_early", "rule": "R-WINDOW", "slot": "2026-03-01#1",
                                      "opens_at": T0 + 7 * 3600 + 30 * 60}),
    "refused_min_interval": ("refused", {"reason": "min_interval", "rule": "R-MIN-INTERVAL",
                                         "slot": "2026-03-01#2", "opens_at": T0 + 11 * 3600 + 5 * 60}),
    "refused_daily_limit": ("refused", {"reason": "daily_limit", "rule": "R-ROLLING-24H", "slot": "2026-03-01#3"}),
    "refused_already": ("refused", {"reason": "already_dispensed", "rule": "R-ONCE", "slot": "2026-03-01#1"}),
    "refused_clock": ("refused", {"reason": "clock_untrusted", "rule": "R-CLOCK"}),
    "refused_no_plan": ("refused", {"reason": "no_plan", "rule": "R-NO-PLAN"}),
    "refused_no_slot": ("refused", {"reason": "no_slot", "rule": "R-WINDOW"}),
    "refused_fault": ("refused", {"reason": "fault", "rule": "R-DEVICE", "slot": "2026-03-01#1"}),
    "refused_empty": ("refused", {"reason": "empty", "rule": "R-DEVICE", "slot": "2026-03-01#1"}),
    "unknown_screen": ("warming_up", {}),
}

SNAPSHOT_CASES = ["dose_ready", "idle", "refused_too_early", "stop_refused", "clock", "fault_jam"]


def draw(name: str) -> FrameBuffer:
    screen, fields = CASES[name]
    fb = display()
    screens.render(fb, screen, fields)
    return fb


# ---- every screen fits -------------------------------------------------------------------------------


def test_cases_cover_every_screen_and_reason():
    shown = {s for s, _ in CASES.values()}
    assert set(screens.SCREENS) <= shown
    reasons = {f["reason"] for s, f in CASES.values() if s == "refused"}
    assert reasons == set(gate.RULE_OF)


def _controller_screens() -> set[str]:
    src = (REPO / "firmware" / "steadydose" / "controller.py").read_text()
    names = set(re.findall(r'_show_note\(\s*"(\w+)"', src))
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.FunctionDef) and node.name == "_screen":
            names |= set(re.findall(r'\(\s*"(\w+)",', ast.get_source_segment(src, node) or ""))
    return names


def test_every_controller_screen_has_a_layout():
    names = _controller_screens()
    assert "dose_ready" in names  # the scan works
    missing = names - set(screens.SCREENS)
    assert not missing, f"the controller shows screens screens.py does not know: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_screen_draws_inside_the_display(name):
    fb = draw(name)
    assert fb.clipped == 0, f"{name}: drawing outside 128x64: {fb.clip_log}"
    art = frame_to_text(fb).splitlines()
    assert len(art) == 64 and all(len(r) == 128 for r in art)
    assert art[0] == "#" * 128, "the title bar is inverted"
    if CASES[name][0] in screens.SCREENS:
        assert any("#" in row for row in art[12:52]), f"{name}: empty body"


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_line_fits_sixteen_characters(name):
    screen, fields = CASES[name]
    title, rows, action, _ = screens.layout(screen, fields)
    assert 0 < len(title) <= 16
    assert len(action) <= 16
    for size, text in rows:
        assert size in (1, 2)
        assert 0 < len(text) * 8 * size <= 128, (name, text)
    for text in [title, action] + [t for _, t in rows]:
        assert text.isascii() and text == text.strip(), repr(text)
    if screen in screens.SCREENS:
        assert action, f"{name}: every known screen says what to do"


def test_words_are_whole_within_a_line():
    # wrapping never splits a word in two (rule ids break only after a hyphen)
    for name, (screen, fields) in CASES.items():
        _, rows, _, _ = screens.layout(screen, fields)
        for _, text in rows:
            for word in text.split():
                assert len(word) <= 16, (name, word)


def test_messages_cover_every_refusal_in_plain_words():
    assert set(screens.MESSAGES) == set(gate.RULE_OF)
    for reason, text in screens.MESSAGES.items():
        assert 0 < len(text) <= 16 and text.isascii(), reason
        assert "_" not in text and not re.search(r"\b[A-Z]-[A-Z]", text), f"{reason}: no ids for patients"
    for name, (screen, fields) in CASES.items():
        if screen != "refused":
            continue
        words = screens.describe(screen, fields)
        assert fields["rule"] not in words and fields["reason"] not in words, name


def test_big_dose_and_the_action():
    title, rows, action, button = screens.layout(*CASES["dose_ready"])
    assert (title, action, button) == ("DOSE READY", "Press TAKE", True)
    assert rows[0] == (2, "600 mg") and (1, "2 capsules") in rows
    _, rows, _, _ = screens.layout(*CASES["taken_one"])
    assert (1, "1 capsule") in rows
    _, rows, action, _ = screens.layout(*CASES["idle"])
    assert rows[0] == (2, "14:00")
    assert screens.layout(*CASES["idle_taper"])[2] == "Slow stop plan"
    assert screens.layout("stop_refused", {})[2] == "Ask prescriber"
    assert screens.layout("clock", {"reason": "rtc_lost_power"})[2] == "Call caregiver"


def test_opens_at_is_shown_on_the_device_clock_and_opens_local_wins():
    fields = dict(CASES["refused_too_early"][1])
    assert screens.layout("refused", fields)[1][-1] == (2, "07:30")
    fields["opens_local"] = "08:30"  # the caller knows the local time (BST)
    assert screens.layout("refused", fields)[1][-1] == (2, "08:30")
    assert screens.hhmm(T0 + 23 * 3600 + 59 * 60 + 59) == "23:59"
    assert screens.hhmm(T0 + 86400) == "00:00"
    no_time = screens.layout("refused", {"reason": "too_early", "rule": "R-WINDOW"})[1]
    assert all(size == 1 for size, _ in no_time)


def test_taper_table():
    _, rows, action, _ = screens.layout(*CASES["taper"])
    assert [t for _, t in rows] == ["Dose each day:", "Days 1-7  600 mg", "Days 8-14 300 mg", "From day 15 stop"]
    assert action == "Starts tomorrow"
    _, rows, _, _ = screens.layout(*CASES["taper_long"])
    texts = [t for _, t in rows]
    assert texts[1].startswith("Days 1-7") and texts[-1] == "From day 78 stop" and "10 more" in texts[2]


def test_long_rule_ids_break_after_a_hyphen():
    _, rows, _, _ = screens.layout("plan_rejected", {"violations": ["W-DAILY-ABOVE-1800"]})
    assert [t for _, t in rows] == ["Old plan kept.", "W-DAILY-ABOVE-", "1800"]
    _, rows, _, _ = screens.layout(*CASES["plan_rejected_many"])
    assert [t for _, t in rows] == ["Old plan kept.", "W-DAILY-ABOVE-", "1800", "+3 more"]


def test_odd_fields_never_raise():
    # the display must never take the app down: missing, None and unknown fields still draw something
    for screen in screens.SCREENS + ("nonsense", ""):
        for fields in ({}, None, {"reason": "??", "kind": "??", "steps": [], "violations": []}):
            fb = display()
            screens.render(fb, screen, fields)
            assert fb.clipped == 0, (screen, fields, fb.clip_log)
            assert isinstance(screens.describe(screen, fields), str)


def test_a_malformed_field_still_draws():
    with pytest.raises(TypeError):
        screens.layout("dose_ready", {"mg": "600"})  # layout (and the tests) see the bug...
    fb = display()
    screens.render(fb, "dose_ready", {"mg": "600"})  # ...the device still shows something useful
    assert fb.clipped == 0 and frame_to_text(fb).splitlines()[0] == "#" * 128


def test_describe_is_one_line():
    line = screens.describe(*CASES["dose_ready"])
    assert line == "DOSE READY | 600 mg | 2 capsules | Due at 08:00 | Press TAKE"
    assert "\n" not in screens.describe(*CASES["taper_long"])


def test_big_text_is_smooth_but_the_same_glyph():
    # 2x text keeps every pixel of the 8x8 glyph as a 2x2 block except the smoothed corners
    small, big = display(16, 16), display(32, 32)
    small.text("7", 0, 0, 1)
    screens.big_text(big, "7", 0, 0, 1)
    for y in range(8):
        for x in range(8):
            quads = [big.pixel(2 * x + dx, 2 * y + dy) for dy in (0, 1) for dx in (0, 1)]
            if small.pixel(x, y):
                assert sum(quads) >= 3, (x, y)  # a set pixel loses at most one corner
            else:
                assert sum(quads) <= 1, (x, y)  # a clear pixel gains at most one corner


# ---- snapshots ---------------------------------------------------------------------------------------


def _snapshot_text(name: str) -> str:
    screen, fields = CASES[name]
    head = f"# {screen} {json.dumps(fields, sort_keys=True)}\n# {screens.describe(screen, fields)}\n"
    return head + frame_to_text(draw(name))


@pytest.mark.parametrize("name", SNAPSHOT_CASES)
def test_snapshot(name):
    path = SNAPSHOTS / f"{name}.txt"
    got = _snapshot_text(name)
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(got)
        return
    if not path.exists():
        pytest.fail(f"no snapshot {path}: run UPDATE_SNAPSHOTS=1 pytest tests/test_screens.py and check it")
    want = path.read_text()
    if got != want:
        diff = difflib.unified_diff(
            [f"{i - 1:2d} {line}" for i, line in enumerate(want.splitlines())],
            [f"{i - 1:2d} {line}" for i, line in enumerate(got.splitlines())],
            f"snapshots/{name}.txt (stored)", f"{name} (rendered now)", n=1, lineterm="")
        pytest.fail(f"screen {name} changed (row numbers from the top; UPDATE_SNAPSHOTS=1 to accept):\n"
                    + "\n".join(diff), pytrace=False)


# ---- the stand-in framebuf ---------------------------------------------------------------------------


def test_shim_counts_clipped_draws():
    fb = display()
    fb.text("AB", 120, 0)  # the second character's cell is off the right edge
    assert fb.clipped == 8 * 8
    fb.reset_clip()
    fb.fill_rect(120, 60, 10, 10, 1)
    assert fb.clipped == 100 - 8 * 4
    fb.reset_clip()
    fb.pixel(128, 0, 1)
    fb.hline(-2, 5, 4, 1)
    fb.line(0, 0, 130, 0, 1)
    assert fb.clipped == 1 + 2 + 3 and len(fb.clip_log) == 3
    fb.reset_clip()
    fb.text("inside", 0, 56)
    fb.pixel(200, 200)  # reading is not drawing
    assert fb.clipped == 0


def test_shim_refuses_floats_and_small_buffers():
    fb = display()
    with pytest.raises(TypeError):
        fb.pixel(1.5, 2, 1)
    with pytest.raises(ValueError):
        FrameBuffer(bytearray(10), 8, 16, framebuf.MONO_VLSB)
    with pytest.raises(TypeError):
        FrameBuffer(b"\x00" * 8, 8, 8, framebuf.MONO_VLSB)  # read-only


def test_frame_to_text_and_png(tmp_path):
    fb = display()
    fb.pixel(0, 0, 1)
    fb.pixel(127, 63, 1)
    art = frame_to_text(fb).splitlines()
    assert art[0] == "#" + "." * 127 and art[63] == "." * 127 + "#"
    assert frame_to_text(bytes(fb)) == frame_to_text(fb)  # raw MONO_VLSB bytes work too
    from PIL import Image

    out = frame_to_png(fb, tmp_path / "a.png", scale=4)
    with Image.open(out) as img:
        assert img.size == (512, 256)
        assert img.getpixel((0, 0)) != img.getpixel((4, 0))


def test_gallery(tmp_path):
    # every case as a PNG; SCREENS_PNG_DIR keeps them for a person to look at
    where = Path(os.environ.get("SCREENS_PNG_DIR") or tmp_path)
    for name in CASES:
        frame_to_png(draw(name), where / f"{name}.png", scale=4, border=8)
    assert len(list(where.glob("*.png"))) >= len(CASES)


# ---- the device: real MicroPython framebuf, same bytes ----------------------------------------------

_RENDER_SCRIPT = """
import framebuf
import mpytest
from steadydose import screens
out = {}
p = mpytest.payload()
for name in p["cases"]:
    screen, fields = p["cases"][name]
    buf = bytearray(128 * 64 // 8)
    fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB)
    screens.render(fb, screen, fields)
    out[name] = {"hex": "".join("%02x" % b for b in buf), "describe": screens.describe(screen, fields)}
mpytest.emit(out)
"""


# fields a caller might get wrong: the device must draw these too, and the same way
ODD = {
    "odd_idle_empty": ("idle", {}),
    "odd_refused_unknown": ("refused", {"reason": "??", "opens_at": -60}),
    "odd_fault_none": ("fault", {"kind": None}),
    "odd_taper_empty": ("taper", {"steps": []}),
    "odd_plan_loaded_unicode": ("plan_loaded", {"plan_id": "pl\u00e4n-\u00fcber", "version": 2}),
}


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_fields_draw_inside_the_display(name):
    fb = display()
    screens.render(fb, *ODD[name])
    assert fb.clipped == 0, fb.clip_log


def test_micropython_renders_the_same_bytes():
    cases = dict(CASES, **ODD)
    got = mpy_json(_RENDER_SCRIPT, {"cases": {k: list(v) for k, v in cases.items()}}, heapsize="4M")
    assert set(got) == set(cases)
    bad = []
    for name, (screen, fields) in cases.items():
        fb = display()
        screens.render(fb, screen, fields)
        mine = bytes(fb).hex()
        if got[name]["hex"] != mine:
            theirs = frame_to_text(bytes.fromhex(got[name]["hex"])).splitlines()
            ours = frame_to_text(bytes.fromhex(mine)).splitlines()
            bad.append(name + ":\n" + "\n".join(difflib.unified_diff(theirs, ours, "micropython", "shim",
                                                                     n=0, lineterm="")))
        assert got[name]["describe"] == screens.describe(screen, fields), name
    assert not bad, "\n".join(bad)


def _random_ops(rng: random.Random, w: int, h: int, n: int) -> list[list]:
    def xy():
        return rng.randint(-12, w + 12), rng.randint(-12, h + 12)

    ops: list[list] = []
    for _ in range(n):
        kind = rng.choice(["pixel", "hline", "vline", "rect", "rectf", "fill_rect", "line", "text", "scroll",
                           "blit", "fill"])
        c = rng.choice([0, 1, 1, 2])
        x, y = xy()
        if kind == "pixel":
            ops.append(["pixel", x, y, c])
        elif kind in ("hline", "vline"):
            ops.append([kind, x, y, rng.randint(-3, 40), c])
        elif kind in ("rect", "rectf", "fill_rect"):
            ops.append([kind, x, y, rng.randint(-2, 30), rng.randint(-2, 30), c])
        elif kind == "line":
            x2, y2 = xy()
            ops.append(["line", x, y, x2, y2, c])
        elif kind == "text":
            s = "".join(chr(rng.randint(32, 127)) for _ in range(rng.randint(0, 6)))
            ops.append(["text", rng.choice([s, s + "\u00e9", "mg 0:9"]), x, y, c])
        elif kind == "scroll":
            ops.append(["scroll", rng.randint(-w - 2, w + 2) // rng.choice([1, 4]),
                        rng.randint(-h - 2, h + 2) // rng.choice([1, 4])])
        elif kind == "blit":
            ops.append(["blit", x, y, rng.choice([-1, 0, 1])])
        else:
            ops.append(["fill", rng.choice([0, 0, 1])])
    return ops


def _apply(fb, mk, ops):
    # the same code runs on CPython (this function) and, as text, inside MicroPython (below)
    src = mk(bytearray(3 * 2), 5, 7)  # a small 5x7 MONO_VLSB sprite to blit
    src.fill(0)
    src.text("x", -2, 0, 1)
    src.pixel(4, 6, 1)
    for op in ops:
        k = op[0]
        if k == "pixel":
            fb.pixel(op[1], op[2], op[3])
        elif k == "hline":
            fb.hline(op[1], op[2], op[3], op[4])
        elif k == "vline":
            fb.vline(op[1], op[2], op[3], op[4])
        elif k == "rect":
            fb.rect(op[1], op[2], op[3], op[4], op[5])
        elif k == "rectf":
            fb.rect(op[1], op[2], op[3], op[4], op[5], True)
        elif k == "fill_rect":
            fb.fill_rect(op[1], op[2], op[3], op[4], op[5])
        elif k == "line":
            fb.line(op[1], op[2], op[3], op[4], op[5])
        elif k == "text":
            fb.text(op[1], op[2], op[3], op[4])
        elif k == "scroll":
            fb.scroll(op[1], op[2])
        elif k == "blit":
            fb.blit(src, op[1], op[2], op[3])
        else:
            fb.fill(op[1])


_APPLY_SRC = "\n".join(line for line in inspect.getsource(_apply).splitlines()
                       if not line.lstrip().startswith("#"))

_PRIMITIVES_SCRIPT = """
import framebuf
import mpytest
""" + _APPLY_SRC + """

def mk(buf, w, h):
    return framebuf.FrameBuffer(buf, w, h, framebuf.MONO_VLSB)

out = []
for case in mpytest.payload()["cases"]:
    fmt, w, h, stride, size, ops = case
    buf = bytearray(size)
    fb = framebuf.FrameBuffer(buf, w, h, fmt, stride)
    _apply(fb, mk, ops)
    rows = []
    for y in range(h):
        rows.append("".join("#" if fb.pixel(x, y) else "." for x in range(w)))
    out.append(["".join("%02x" % b for b in buf), rows])
mpytest.emit(out)
"""


def _buf_size(fmt: int, w: int, h: int, stride: int) -> int:
    if fmt == framebuf.MONO_VLSB:
        return (h + 7) // 8 * stride
    return h * ((stride + 7) & ~7) // 8


def test_primitives_match_micropython_on_every_mono_format():
    rng = random.Random(20260301)
    cases = []
    for fmt in (framebuf.MONO_VLSB, framebuf.MONO_HLSB, framebuf.MONO_HMSB):
        for w, h, extra in ((128, 64, 0), (37, 19, 5), (8, 8, 0), (13, 30, 3)):
            stride = w + extra
            for _ in range(3):
                cases.append([fmt, w, h, stride, _buf_size(fmt, w, h, stride), _random_ops(rng, w, h, 40)])
    got = mpy_json(_PRIMITIVES_SCRIPT, {"cases": cases}, heapsize="8M")
    for case, (hexbuf, rows) in zip(cases, got, strict=True):
        fmt, w, h, stride, size, ops = case
        fb = FrameBuffer(bytearray(size), w, h, fmt, stride)
        _apply(fb, lambda buf, ww, hh: FrameBuffer(buf, ww, hh, framebuf.MONO_VLSB), ops)
        mine = [frame_to_text(fb, w, h).splitlines()]
        if bytes(fb).hex() != hexbuf:
            diff = "\n".join(difflib.unified_diff(rows, mine[0], "micropython", "shim", n=0, lineterm=""))
            pytest.fail(f"format {fmt} {w}x{h} stride {stride}: the shim differs from MicroPython\n"
                        f"ops: {json.dumps(ops)}\n{diff}")


def test_font_matches_micropython():
    script = """
import framebuf
buf = bytearray(8)
fb = framebuf.FrameBuffer(buf, 8, 8, framebuf.MONO_VLSB)
out = []
for c in range(32, 128):
    fb.fill(0)
    fb.text(chr(c), 0, 0, 1)
    out.append("".join("%02x" % b for b in buf))
print(repr("".join(out)))
"""
    from tests.mpy import run_micropython

    printed = run_micropython(script).stdout.strip().strip("'")
    assert bytes.fromhex(printed) == framebuf.FONT
