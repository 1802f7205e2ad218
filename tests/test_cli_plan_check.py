"""`steadydose plan check FILE [--json]`, run as the installed console script (DESIGN.md "Host CLI").

Exit 0 valid, 1 invalid (one `RULE-ID path: message` line per violation on stdout), 2 unreadable file,
bad JSON or bad usage (message on stderr).
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from steadydose.plan import check_plan, check_plan_full
from tests.test_plan_rules import DEMO, plan, step, tid

STEADYDOSE = Path(sys.executable).parent / "steadydose"
LINE = re.compile(r"^(PLAN|G|W)-[A-Z0-9-]+ \S+: \S.*$")


def run(*args, stdin=None):
    assert STEADYDOSE.exists(), f"{STEADYDOSE} missing: run ./dev setup"
    return subprocess.run(
        [str(STEADYDOSE), *map(str, args)], input=stdin, capture_output=True, text=True, timeout=60
    )


def write(tmp_path, obj, name="plan.json"):
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
    return path


def lines(violations):
    return [f"{r} {p}: {m}" for r, p, m in violations]


BROKEN = plan(
    [tid(1200, 3), step(("08:00", 500), ("09:00", 100), days=2)],
    limits={"early_min": 90},
    colour="red",
)


def signed(payload_text, **over):
    env = {"format": "steadydose.signed/1", "key_id": "dr-smith-2026", "payload": payload_text, "sig": "AAAA"}
    env.update(over)
    return env


# ---- valid --------------------------------------------------------------------------------------------


def test_valid_plan_exits_0(tmp_path):
    r = run("plan", "check", write(tmp_path, DEMO))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "valid: plan gaba-demo version 1 passes every plan rule\n"
    assert r.stderr == ""


def test_valid_plan_json(tmp_path):
    r = run("plan", "check", write(tmp_path, DEMO), "--json")
    assert r.returncode == 0
    assert json.loads(r.stdout) == {"valid": True, "violations": [], "warnings": []}


def test_acknowledged_warnings_are_shown_but_valid(tmp_path):
    p = plan([tid(900, 7), tid(600, 3), tid(600)], acknowledged=["W-REDUCE-FAST"])
    _v, warnings = check_plan_full(p)
    assert warnings
    r = run("plan", "check", write(tmp_path, p))
    assert r.returncode == 0
    assert r.stdout.splitlines()[1:] == [
        line + " (acknowledged by the prescriber)" for line in lines(warnings)
    ]
    r = run("plan", "check", "--json", write(tmp_path, p))
    out = json.loads(r.stdout)
    assert out["valid"] is True and out["violations"] == []
    assert out["warnings"] == [{"rule": a, "path": b, "message": c} for a, b, c in warnings]


def test_stdin_dash(tmp_path):
    r = run("plan", "check", "-", stdin=json.dumps(DEMO))
    assert r.returncode == 0


# ---- invalid ------------------------------------------------------------------------------------------


def test_invalid_plan_exits_1_one_line_per_violation(tmp_path):
    want = check_plan(BROKEN)
    assert len(want) >= 4
    r = run("plan", "check", write(tmp_path, BROKEN))
    assert r.returncode == 1
    assert r.stdout.splitlines() == lines(want)
    assert all(LINE.match(line) for line in r.stdout.splitlines())
    assert f"{len(want)} violations" in r.stderr


def test_invalid_plan_json(tmp_path):
    r = run("plan", "check", "--json", write(tmp_path, BROKEN))
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert set(out) == {"valid", "violations", "warnings"}
    assert out["valid"] is False
    assert out["violations"] == [{"rule": a, "path": b, "message": c} for a, b, c in check_plan(BROKEN)]
    assert out["warnings"] == []


def test_unacknowledged_soft_limit_is_a_violation(tmp_path):
    r = run("plan", "check", write(tmp_path, plan([tid(900, 7), tid(600, 3), tid(600)])))
    assert r.returncode == 1
    assert r.stdout.startswith("W-REDUCE-FAST steps[1]: ")


@pytest.mark.parametrize(
    ("text", "first_line"),
    [
        ("[1, 2]", "PLAN-FORMAT plan: "),
        ("null", "PLAN-FORMAT plan: "),
        (json.dumps(dict(DEMO, format="steadydose.plan/2")), "PLAN-FORMAT format: "),
    ],
)
def test_json_that_is_not_a_plan_is_invalid_not_unreadable(tmp_path, text, first_line):
    r = run("plan", "check", write(tmp_path, text))
    assert r.returncode == 1
    assert r.stdout.startswith(first_line)


# ---- signed plans ---------------------------------------------------------------------------------------


def test_signed_valid_plan(tmp_path):
    r = run("plan", "check", write(tmp_path, signed(json.dumps(DEMO))))
    assert r.returncode == 0
    assert "not verified" in r.stderr


def test_signed_invalid_plan(tmp_path):
    r = run("plan", "check", write(tmp_path, signed(json.dumps(BROKEN))))
    assert r.returncode == 1
    assert r.stdout.splitlines() == lines(check_plan(BROKEN))


def test_signed_payload_not_json(tmp_path):
    r = run("plan", "check", write(tmp_path, signed("{not json")))
    assert r.returncode == 1
    assert r.stdout.startswith("PLAN-FORMAT payload: ")
    assert len(r.stdout.splitlines()) == 1
    r = run("plan", "check", "--json", write(tmp_path, signed("{not json")))
    out = json.loads(r.stdout)
    assert out["valid"] is False and out["violations"][0]["path"] == "payload"


@pytest.mark.parametrize(
    ("env", "path"),
    [
        ({"format": "steadydose.signed/1", "key_id": "k", "payload": "{}"}, "sig"),
        ({"format": "steadydose.signed/1", "key_id": "", "payload": "{}", "sig": "x"}, "key_id"),
        ({"format": "steadydose.signed/1", "key_id": "k", "payload": {"plan": 1}, "sig": "x"}, "payload"),
        ({"format": "steadydose.signed/1", "key_id": "k", "payload": "{}", "sig": "x", "extra": 1}, "extra"),
    ],
)
def test_signed_envelope_broken(tmp_path, env, path):
    r = run("plan", "check", write(tmp_path, env))
    assert r.returncode == 1
    assert r.stdout.startswith(f"PLAN-FORMAT {path}: ")


# ---- unreadable, bad usage ---------------------------------------------------------------------------------


def test_missing_file_exits_2(tmp_path):
    r = run("plan", "check", tmp_path / "nope.json")
    assert r.returncode == 2
    assert r.stdout == ""
    assert "nope.json" in r.stderr


def test_missing_file_json_exits_2_with_error(tmp_path):
    r = run("plan", "check", "--json", tmp_path / "nope.json")
    assert r.returncode == 2
    out = json.loads(r.stdout)
    assert out["valid"] is False and "nope.json" in out["error"]


def test_directory_exits_2(tmp_path):
    assert run("plan", "check", tmp_path).returncode == 2


@pytest.mark.parametrize(
    "text",
    ['{"format": "steadydose.plan/1",', "", "not json", '{"a": 1, "a": 2}', "\ufeff{}"],
    ids=["truncated", "empty", "text", "duplicate-key", "bom"],
)
def test_bad_json_exits_2(tmp_path, text):
    r = run("plan", "check", write(tmp_path, text))
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.strip()


def test_not_utf8_exits_2(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"plan_id": "caf\u00e9"}'.encode("latin-1"))
    r = run("plan", "check", path)
    assert r.returncode == 2 and "UTF-8" in r.stderr


@pytest.mark.parametrize(
    "args",
    [("plan", "check"), ("plan", "check", "--bogus", "x.json"), ("plan", "frobnicate"), ("nope",)],
)
def test_bad_usage_exits_2(args):
    r = run(*args)
    assert r.returncode == 2
    assert r.stdout == ""
    assert "Usage" in r.stderr


@pytest.mark.parametrize("args", [("--help",), ("plan", "--help"), ("plan", "check", "--help"), ("-h",)])
def test_help(args):
    r = run(*args)
    assert r.returncode == 0
    assert r.stdout.startswith("Usage: steadydose")


def test_help_documents_exit_codes():
    out = run("plan", "check", "--help").stdout
    assert "0 valid" in out and "1 invalid" in out and "2 unreadable" in out and "--json" in out


def test_output_does_not_change_the_file(tmp_path):
    path = write(tmp_path, BROKEN)
    before = path.read_bytes()
    run("plan", "check", path)
    assert path.read_bytes() == before
