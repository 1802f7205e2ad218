"""The simulator's command line: the demo (screens, summary, picture, saved frames) and its options."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from sim.cli import cli, demo_plan, main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_demo_prints_screens_summary_and_writes_the_pictures(tmp_path: Path):
    png = tmp_path / "t.png"
    res = CliRunner().invoke(cli, ["demo", "--days", "3", "--png", str(png), "--frames", str(tmp_path / "f")])
    assert res.exit_code == 0, res.output
    assert "DOSE READY | 300 mg | 1 capsule | Due at 21:00 | Press TAKE" in res.output
    assert "Summary after 3 simulated days" in res.output
    assert "doses dispensed : " in res.output
    assert png.read_bytes().startswith(PNG_MAGIC)
    frames = sorted((tmp_path / "f").glob("*.png"))
    assert any(f.name.endswith("-dose_ready.png") for f in frames)
    assert all(f.read_bytes().startswith(PNG_MAGIC) for f in frames)


def test_quiet_prints_only_the_summary(tmp_path: Path):
    res = CliRunner().invoke(cli, ["demo", "--days", "2", "--quiet", "--png", str(tmp_path / "t.png")])
    assert res.exit_code == 0
    assert "DOSE READY" not in res.output and "Summary after 2 simulated days" in res.output


def test_demo_options_work_without_the_word_demo(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    try:
        main(["--days", "1", "--quiet"])
    except SystemExit as ex:
        assert ex.code == 0
    out = capsys.readouterr().out
    assert "Summary after 1 simulated days" in out
    assert (tmp_path / "steadydose-demo.png").exists()


def test_patient_models_are_reproducible_and_differ(tmp_path: Path):
    outs = {}
    for patient, seed in (("adherent", 1), ("adherent", 1), ("forgetful", 1)):
        res = CliRunner().invoke(cli, ["demo", "--days", "7", "--quiet", "--patient", patient, "--seed",
                                       str(seed), "--png", str(tmp_path / "t.png")])
        outs.setdefault(patient, []).append(res.output)
    assert outs["adherent"][0] == outs["adherent"][1]
    assert outs["forgetful"][0] != outs["adherent"][0]


def test_python_dash_m_sim_has_help():
    res = subprocess.run([sys.executable, "-m", "sim", "--help"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "scenario" in res.stdout and "demo" in res.stdout


def test_bad_plan_file_is_a_usage_error(tmp_path: Path):
    bad = tmp_path / "p.json"
    bad.write_text("{not json")
    res = CliRunner().invoke(cli, ["demo", "--plan", str(bad)])
    assert res.exit_code == 2 and "cannot read the plan" in res.output


def test_the_carousel_turns_forward_one_compartment_per_dose_and_passes_home():
    from sim.scenario import parse_scenario, run_scenario

    sc = {"plan": demo_plan(), "start": "2026-03-01T12:00:00Z", "until": "2026-03-13T12:00:00Z",
          "patient": "adherent", "actions": [{"at": "2026-03-10T09:00:00Z", "do": "refill", "doses": 28}]}
    dev = run_scenario(parse_scenario(sc))
    pos = [r["pos"] for _, r in dev.events if r["event"] == "dispensed"]
    c = dev.carousel
    assert len(pos) == 34 and c.empty_presented == 0
    assert pos == [i % 28 + 1 for i in range(34)]  # compartment after compartment, round again after 28
    # all forward: one pitch per dose, two when passing the home stop after compartment 28
    assert c.turned == 34 + 1 and c.home_passes == 2  # homing at power-on, then once round


def test_unknown_keys_in_a_scenario_are_warned_about_not_fatal(tmp_path: Path):
    import json

    sc = {"plan": demo_plan(), "start": "2026-03-01T20:00:00Z", "until": "2026-03-01T22:00:00Z",
          "_comment": "a note", "actions": [{"at": "2026-03-01T20:45:00Z", "do": "take", "why": "on time"}]}
    f = tmp_path / "s.json"
    f.write_text(json.dumps(sc))
    res = subprocess.run([str(Path(sys.executable).parent / "steadydose-sim"), "scenario", str(f), "--json"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0
    assert "ignored unknown scenario key(s): _comment" in res.stderr and "why" in res.stderr
    events = [json.loads(line) for line in res.stdout.splitlines()]  # stdout stays JSON lines only
    assert [e["event"] for e in events if e["event"] == "dispensed"] == ["dispensed"]
