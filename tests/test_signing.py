"""Signed plans: a good signature loads, a tampered payload or a wrong key is PLAN-SIGNATURE."""

from __future__ import annotations

import json

from host_tools.signing import new_private_key, public_key_b64, sign_plan, verify_with_public_key
from sim.cli import demo_plan
from sim.scenario import parse_scenario, run_scenario


def _events(sc):
    return [rec for _, rec in run_scenario(parse_scenario(sc)).events]


def test_signature_round_trip_and_tampering():
    key = new_private_key()
    signed = sign_plan(json.dumps(demo_plan()), key)
    pub = public_key_b64(key)
    assert verify_with_public_key(pub, signed["payload"], signed["sig"])
    assert not verify_with_public_key(pub, signed["payload"].replace("300", "600", 1), signed["sig"])
    assert not verify_with_public_key(public_key_b64(new_private_key()), signed["payload"], signed["sig"])
    assert not verify_with_public_key(pub, signed["payload"], "not base64!")


def test_scenario_with_signatures_required():
    key = new_private_key()
    plan = demo_plan()
    signed = sign_plan(json.dumps(plan), key)
    v2 = dict(plan, version=2)
    forged = sign_plan(json.dumps(v2), new_private_key())
    unsigned_v3 = dict(plan, version=3)
    sc = {"plan": signed, "start": "2026-03-01T12:00:00Z", "until": "2026-03-01T13:00:00Z",
          "signatures": "required", "key": public_key_b64(key),
          "actions": [{"at": "2026-03-01T12:10:00Z", "do": "load_plan", "plan": forged},
                      {"at": "2026-03-01T12:20:00Z", "do": "load_plan", "plan": unsigned_v3}]}
    ev = _events(sc)
    assert [e["plan_id"] for e in ev if e["event"] == "plan_loaded"] == ["gaba-demo"]
    assert [e["violations"] for e in ev if e["event"] == "plan_rejected"] == [["PLAN-SIGNATURE"], ["PLAN-SIGNATURE"]]
