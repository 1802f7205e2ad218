"""Scenarios: a plan, a start, an end and timed actions, run on a VirtualDevice (DESIGN.md contract).

Beyond the contract's keys a scenario may give "compartments" (default 28), "seed" (for the patient
model) and "key" (the provisioned prescriber public key, base64 of its raw 32 Ed25519 bytes, used with
"signatures": "required").

A malformed scenario raises ScenarioError (the CLI exits 2 with its message); a plan loaded later that
the device rejects is not an error of the scenario: the device logs it as `plan_rejected`.
"""

from __future__ import annotations

import heapq
import json
from dataclasses import dataclass, field
from typing import Any

from sim.device import VirtualDevice
from sim.patients import PATIENTS, make_patient
from steadydose.plan import check_plan, unwrap_signed
from steadydose.timebase import format_utc, parse_utc

PERSON_ACTIONS = {"take", "request_stop", "silence", "set_clock", "confirm_clock", "load_plan", "refill"}
HARDWARE_ACTIONS = {"power_off", "power_on", "rtc_lost_power", "jam", "clear_jam"}
ARGS = {"set_clock": ("to",), "load_plan": ("plan",), "refill": ("doses",)}
TOP_KEYS = {"plan", "start", "until", "actions", "filled", "signatures", "patient", "seed", "key",
            "compartments", "description", "name"}


class ScenarioError(ValueError):
    """The scenario itself is malformed (exit 2)."""


@dataclass(order=True)
class Action:
    at: int
    order: int
    do: str = field(compare=False)
    args: dict[str, Any] = field(compare=False, default_factory=dict)
    source: str = field(compare=False, default="script")


@dataclass
class Scenario:
    plan: Any
    start: int
    until: int
    actions: list[Action]
    filled: int | None = None
    signatures_required: bool = False
    key: str | None = None
    patient: str | None = None
    seed: int = 0
    compartments: int = 28
    warnings: list[str] = field(default_factory=list)  # said on stderr; the run goes on


def _time(value: Any, where: str) -> int:
    try:
        return parse_utc(value)
    except ValueError as ex:
        raise ScenarioError(f"{where}: {value!r} is not a time YYYY-MM-DDTHH:MM:SSZ ({ex})") from None


def _int(obj: dict, key: str, where: str, lo: int = 0) -> int:
    v = obj[key]
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise ScenarioError(f"{where}.{key}: must be a whole number >= {lo}, got {v!r}")
    return v


def parse_scenario(obj: Any) -> Scenario:
    if not isinstance(obj, dict):
        raise ScenarioError("a scenario is a JSON object")
    warnings: list[str] = []
    unknown = sorted(set(obj) - TOP_KEYS)
    if unknown:  # notes and comments are welcome; a key the runner does not know is said, not fatal
        warnings.append(f"ignored unknown scenario key(s): {', '.join(unknown)}")
    for key in ("plan", "start", "until"):
        if key not in obj:
            raise ScenarioError(f"missing scenario key: {key}")
    start = _time(obj["start"], "start")
    until = _time(obj["until"], "until")
    if until < start:
        raise ScenarioError("until is before start")
    raw_actions = obj.get("actions", [])
    if not isinstance(raw_actions, list):
        raise ScenarioError("actions: must be a list")
    actions: list[Action] = []
    last = start
    for i, a in enumerate(raw_actions):
        where = f"actions[{i}]"
        if not isinstance(a, dict) or "at" not in a or "do" not in a:
            raise ScenarioError(f"{where}: each action needs 'at' and 'do'")
        at = _time(a["at"], f"{where}.at")
        if at < last:
            raise ScenarioError(f"{where}.at: {a['at']} is out of order (before {format_utc(last)})")
        last = at
        do = a["do"]
        if do not in PERSON_ACTIONS and do not in HARDWARE_ACTIONS:
            raise ScenarioError(f"{where}.do: unknown action {do!r}")
        args = {k: v for k, v in a.items() if k not in ("at", "do")}
        for need in ARGS.get(do, ()):
            if need not in args:
                raise ScenarioError(f"{where}: {do} needs '{need}'")
        extra = set(args) - set(ARGS.get(do, ()))
        if extra:
            warnings.append(f"{where}: ignored unknown argument(s) for {do}: {', '.join(sorted(extra))}")
            for k in extra:
                del args[k]
        if do == "set_clock":
            args["to"] = _time(args["to"], f"{where}.to")
        if do == "refill":
            _int(args, "doses", where)
        actions.append(Action(at, i, do, args))
    sig = obj.get("signatures")
    if sig not in (None, "required", "optional"):
        raise ScenarioError("signatures: must be \"required\" or left out")
    patient = obj.get("patient")
    if patient is not None and patient not in PATIENTS:
        raise ScenarioError(f"patient: unknown model {patient!r} (known: {', '.join(PATIENTS)})")
    sc = Scenario(obj["plan"], start, until, actions, signatures_required=sig == "required",
                  key=obj.get("key"), patient=patient, warnings=warnings)
    if "filled" in obj:
        sc.filled = _int(obj, "filled", "scenario")
    if "seed" in obj:
        sc.seed = _int(obj, "seed", "scenario")
    if "compartments" in obj:
        sc.compartments = _int(obj, "compartments", "scenario", lo=1)
    _check_initial_plan(sc)
    return sc


def _check_initial_plan(sc: Scenario) -> None:
    plan = sc.plan
    if isinstance(plan, dict) and plan.get("format") == "steadydose.signed/1":
        try:
            payload, _key_id, sig = unwrap_signed(plan)
            plan = json.loads(payload)
        except ValueError as ex:
            raise ScenarioError(f"plan: the signed plan cannot be read ({ex})") from None
        verify = _verifier(sc.key)
        if sc.signatures_required and (verify is None or not verify(payload, _key_id, sig)):
            why = "no prescriber key given (scenario key \"key\")" if verify is None else "the signature does not match"
            raise ScenarioError(f"plan: PLAN-SIGNATURE: {why}")
    elif sc.signatures_required:
        raise ScenarioError("plan: PLAN-SIGNATURE: signatures are required and the plan is not signed")
    violations = check_plan(plan)
    if violations:
        lines = "; ".join(f"{r} {p}: {m}" for r, p, m in violations)
        raise ScenarioError(f"plan: the initial plan fails validation: {lines}")


def _verifier(key_b64: str | None):
    if key_b64 is None:
        return None
    from host_tools.signing import verify_with_public_key  # host side only: cryptography

    return lambda payload, key_id, sig: verify_with_public_key(key_b64, payload, sig)


# Journal records that are the device's own bookkeeping, not events of the contract: the write-ahead
# `dispensing` record a `dispensed` (or a jam's refusal) always follows.
INTERNAL_EVENTS = frozenset({"dispensing"})


def contract_events(dev: VirtualDevice) -> list[tuple[int, dict]]:
    """The device's events as the contract lists them, in time order (true time, record)."""
    return [(t, rec) for t, rec in dev.events if rec["event"] not in INTERNAL_EVENTS]


def event_json(true_t: int, rec: dict) -> dict:
    """A device record as the contract's event line: "t" in true time, no internal fields."""
    out: dict[str, Any] = {"t": format_utc(true_t), "event": rec["event"]}
    for k, v in rec.items():
        if k in ("t", "e", "event"):
            continue
        out[k] = format_utc(v) if k == "opens_at" else v
    return out


def run_scenario(sc: Scenario, *, actors=(), on_screen=None) -> VirtualDevice:
    """Run the scenario; returns the device (its .events hold (true time, record) in time order).

    actors: extra behaviour models, each called as actor(true_t, record, schedule) on every event.
    on_screen: called as on_screen(true_t, screen, fields) whenever the display changes."""
    verify = _verifier(sc.key) if sc.signatures_required else None
    dev = VirtualDevice(sc.start, compartments=sc.compartments, require_signature=sc.signatures_required,
                        verify=verify)
    queue: list[Action] = list(sc.actions)
    heapq.heapify(queue)
    patient = make_patient(sc.patient, sc.seed) if sc.patient else None
    counter = [len(queue)]

    def schedule(at: int, do: str, args: dict | None = None) -> None:
        counter[0] += 1
        heapq.heappush(queue, Action(at, counter[0], do, args or {}, "patient"))

    for actor in ([patient.react] if patient else []) + list(actors):
        dev.listeners.append(lambda t, rec, actor=actor: actor(t, rec, schedule))
    dev.on_screen = on_screen
    dev.power_on()
    dev.refill(sc.filled if sc.filled is not None else sc.compartments)
    dev.load_plan(sc.plan)
    while True:
        # whichever comes first: the device's next time-driven step or the next action (patients add
        # actions as they react); at the same instant the time-driven step comes first
        due = dev.next_due()
        head = queue[0].at if queue else None
        if head is not None and head <= sc.until and (due is None or head < due):
            act = heapq.heappop(queue)
            dev.advance(act.at)
            _do(dev, act)
        elif due is not None and due <= sc.until:
            dev.step(due)
        else:
            break
    dev.advance(sc.until)
    return dev


def _do(dev: VirtualDevice, act: Action) -> None:
    a = act.args
    match act.do:
        case "take":
            dev.take()
        case "request_stop":
            dev.request_stop()
        case "silence":
            dev.silence()
        case "power_off":
            dev.power_off()
        case "power_on":
            dev.power_on()
        case "set_clock":
            dev.set_clock(a["to"])
        case "confirm_clock":
            dev.confirm_clock()
        case "rtc_lost_power":
            dev.rtc_lost_power()
        case "jam":
            dev.jam()
        case "clear_jam":
            dev.clear_jam()
        case "load_plan":
            dev.load_plan(a["plan"])
        case "refill":
            dev.refill(a["doses"])
