"""`steadydose`: the host command line (console script `steadydose = host_tools.cli:main`).

    steadydose plan check FILE [--json]

Exit status of `plan check`: 0 the plan is valid, 1 it is not (one line per violation on stdout,
`RULE-ID path: message`), 2 the file cannot be read or is not JSON, or the command was misused
(message on stderr). Plans are judged by `steadydose.plan.check_plan`, the device's own validator.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console

from steadydose.plan import check_plan_full, is_signed, unwrap_signed

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2

_stderr = Console(stderr=True, highlight=False, soft_wrap=True)


class Unreadable(Exception):
    """The input is not a JSON document we can judge (exit 2)."""


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys silently; a plan must not mean two things.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def parse_json_text(text: str) -> Any:
    """JSON text -> object; raises ValueError (with a readable message) on bad JSON or duplicate keys."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None


def read_json_file(name: str) -> Any:
    """Read FILE ('-' = stdin) as UTF-8 JSON; raises Unreadable with a message for a person."""
    try:
        if name == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(name, "rb") as f:
                data = f.read()
    except OSError as exc:
        raise Unreadable(f"cannot read {name}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"{name} is not UTF-8 text (byte {exc.start})") from None
    try:
        return parse_json_text(text)
    except ValueError as exc:
        raise Unreadable(f"{name}: {exc}") from None


Violation = tuple[str, str, str]


def judge(obj: Any) -> tuple[list[Violation], list[Violation], dict[str, Any] | None]:
    """A plan or a signed plan -> (violations, warnings, envelope info or None).

    The signature itself is not verified here (that needs the prescriber's public key)."""
    if not is_signed(obj):
        violations, warnings = check_plan_full(obj)
        return violations, warnings, None
    try:
        payload, key_id, _sig = unwrap_signed(obj)
    except ValueError as exc:
        return [("PLAN-FORMAT", getattr(exc, "path", "plan"), str(exc))], [], None
    try:
        plan = parse_json_text(payload)
    except ValueError as exc:
        return [("PLAN-FORMAT", "payload", f"the signed payload is {exc}")], [], {"key_id": key_id}
    violations, warnings = check_plan_full(plan)
    return violations, warnings, {"key_id": key_id}


def _as_dicts(items: list[Violation]) -> list[dict[str, str]]:
    return [{"rule": r, "path": p, "message": m} for r, p, m in items]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """steadydose: host tools for the steadydose pill dispenser (plans, signing, device link)."""


@main.group()
def plan() -> None:
    """Work with plan files (plan format v1, plain or signed)."""


@plan.command("check")
@click.argument("file", metavar="FILE")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def plan_check(file: str, as_json: bool) -> None:
    """Check a plan (or signed plan) FILE against every plan rule; FILE '-' reads stdin.

    \b
    Exit status: 0 valid, 1 invalid (one line per violation on stdout: RULE-ID path: message),
    2 unreadable file, bad JSON or bad usage (message on stderr).
    The signature of a signed plan is not verified here, only its envelope and payload.
    """
    try:
        obj = read_json_file(file)
    except Unreadable as exc:
        if as_json:
            click.echo(json.dumps({"valid": False, "error": str(exc), "violations": [], "warnings": []}))
        _stderr.print(f"[red]error:[/red] {exc}", markup=True)
        sys.exit(EXIT_UNREADABLE)

    violations, warnings, envelope = judge(obj)
    valid = not violations
    if as_json:
        click.echo(
            json.dumps({"valid": valid, "violations": _as_dicts(violations), "warnings": _as_dicts(warnings)})
        )
    else:
        for rule, path, message in violations:
            click.echo(f"{rule} {path}: {message}")
        if valid:
            what = "plan"
            if isinstance(obj, dict) and not envelope:
                what = f"plan {obj.get('plan_id')!s} version {obj.get('version')!s}"
            click.echo(f"valid: {what} passes every plan rule")
            for rule, path, message in warnings:
                click.echo(f"{rule} {path}: {message} (acknowledged by the prescriber)")
        else:
            n = len(violations)
            _stderr.print(f"[red]invalid:[/red] {n} violation{'s' if n != 1 else ''}", markup=True)
    if envelope is not None:
        _stderr.print(
            f"note: signed by key {envelope['key_id']!r}; the signature was not verified (no key given)",
            markup=False,
        )
    sys.exit(EXIT_VALID if valid else EXIT_INVALID)


if __name__ == "__main__":  # pragma: no cover
    main()
