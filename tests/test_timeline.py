"""sim.timeline.draw_timeline: a readable PNG of a simulated run, drawn fast."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sim.cli import demo_plan
from sim.scenario import parse_scenario, run_scenario
from sim.timeline import draw_timeline

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
GREEN = (26, 152, 80)  # dose taken
RED = (215, 48, 39)  # dose missed


def _count(img: Image.Image, rgb: tuple[int, int, int], tol: int = 12) -> int:
    """Pixels within `tol` of the colour (the markers are drawn in plain colours)."""
    px = np.asarray(img.convert("RGB"), dtype=np.int16)
    return int((np.abs(px - np.array(rgb, dtype=np.int16)) <= tol).all(axis=-1).sum())


def _draw(dev, path: Path, title: str = "") -> tuple[Image.Image, float]:
    t0 = time.perf_counter()
    draw_timeline(dev, path, title=title)
    took = time.perf_counter() - t0
    assert path.read_bytes()[:8] == PNG_MAGIC
    img = Image.open(path)
    img.verify()  # a complete, uncorrupted PNG
    return Image.open(path), took


def test_short_run(tmp_path):
    # 2 days, 2 doses a day: one taken, one missed, early presses refused
    sc = parse_scenario(json.loads((SCENARIOS / "missed_not_doubled.json").read_text()))
    dev = run_scenario(sc)
    out = tmp_path / "short.png"
    img, took = _draw(dev, out, title="short run")
    assert img.format == "PNG"
    w, h = img.size
    assert 700 <= w <= 2100 and 800 <= h <= 1000, img.size
    assert took < 2.0
    assert _count(img, GREEN) > 50, "the dose taken is drawn"
    assert _count(img, RED) > 20, "the missed dose is drawn"


def test_demo_run_21_days(tmp_path):
    # The demo: the built-in titration plan and the 'human' patient model for 21 days.
    plan = demo_plan()
    sc = parse_scenario({"plan": plan, "start": "2026-03-01T12:00:00Z", "until": "2026-03-22T12:00:00Z",
                         "patient": "human", "seed": 1})
    dev = run_scenario(sc)
    img, took = _draw(dev, tmp_path / "demo.png", title="demo, 21 days")
    w, h = img.size
    assert 1000 <= w <= 2100 and 800 <= h <= 1000, img.size
    assert took < 2.0, f"drawing took {took:.2f} s"
    assert _count(img, GREEN) > 500


@pytest.mark.parametrize("name", ["stop_taper_from_1800.json", "clock_forward_10h.json", "discontinue_immediate.json",
                                  "clock_rtc_lost_power.json", "transition.json", "dst_spring_london.json"])
def test_scenarios_draw(tmp_path, name):
    # plan changes, tapers, discontinuation, clock trouble and DST all draw without trouble
    dev = run_scenario(parse_scenario(json.loads((SCENARIOS / name).read_text())))
    img, took = _draw(dev, tmp_path / "x.png")
    assert min(img.size) >= 700 and took < 2.0


def test_returns_path_and_accepts_str(tmp_path):
    sc = parse_scenario(json.loads((SCENARIOS / "window_early_press.json").read_text()))
    dev = run_scenario(sc)
    out = draw_timeline(dev, str(tmp_path / "s.png"))
    assert Path(out).exists()
