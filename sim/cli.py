"""`steadydose-sim`: the simulator's command line (also `python -m sim`)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from importlib import resources
from pathlib import Path

import click

from sim.patients import PATIENTS
from sim.scenario import (
    Action,
    Scenario,
    ScenarioError,
    contract_events,
    event_json,
    parse_scenario,
    run_scenario,
)
from steadydose.timebase import format_utc, parse_date, parse_utc


def demo_plan() -> dict:
    return json.loads(resources.files("sim").joinpath("demo_plan.json").read_text())


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """The steadydose simulator: the device's firmware on virtual hardware and a virtual clock.

    With no command it runs the demo (the built-in gabapentin titration plan, 21 days); the demo's
    options also work without the word `demo` (e.g. `steadydose-sim --quiet`).
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(demo)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0].startswith("-") and args[0] not in ("-h", "--help"):
        args.insert(0, "demo")  # `steadydose-sim --days 7` means the demo
    cli.main(args=args, prog_name="steadydose-sim")


@cli.command()
@click.option("--days", default=21, show_default=True, type=click.IntRange(1, 3650), help="Simulated days.")
@click.option("--patient", default="human", show_default=True, type=click.Choice(sorted(PATIENTS)),
              help="Patient behaviour model.")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed for the patient model.")
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A plan (or signed plan) JSON file instead of the built-in demo plan.")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the timeline picture [default: ./steadydose-demo.png].")
@click.option("--quiet", is_flag=True, help="Print only the summary.")
@click.option("--frames", type=click.Path(file_okay=False, path_type=Path),
              help="Also save every screen the display showed as a PNG in this folder.")
def demo(days: int, patient: str, seed: int, plan_file: Path | None, png: Path | None, quiet: bool,
         frames: Path | None) -> None:
    """Run a simulated patient on a plan and show what the device does."""
    try:
        plan = json.loads(plan_file.read_text()) if plan_file else demo_plan()
    except (OSError, ValueError) as ex:
        raise click.UsageError(f"cannot read the plan: {ex}") from None
    start_date = _plan_start(plan)
    start = parse_date(start_date) * 86400 + 12 * 3600 if start_date else parse_utc("2026-03-01T12:00:00Z")
    sc_obj = {"plan": plan, "start": format_utc(start), "until": format_utc(start + days * 86400),
              "patient": patient, "seed": seed}
    try:
        sc = parse_scenario(sc_obj)
    except ScenarioError as ex:
        raise click.ClickException(str(ex)) from None
    view = None if quiet else _ScreenPrinter()
    dev = run_scenario(sc, actors=[_caregiver(sc)], on_screen=view)
    _summary(dev, sc, days)
    from sim.timeline import draw_timeline

    if frames is not None:
        _save_frames(dev, frames)
    out = png or Path("steadydose-demo.png")
    draw_timeline(dev, out, title=f"steadydose simulator: {days} days, patient model '{patient}' (seed {seed})")
    click.echo(f"Timeline picture: {out.resolve()}")


def _save_frames(dev, folder: Path) -> None:
    from sim.framebuf import frame_to_png

    folder.mkdir(parents=True, exist_ok=True)
    with click.progressbar(range(len(dev.screens)), label="Saving screens") as bar:
        for i in bar:
            t, screen, _ = dev.screens[i]
            frame_to_png(dev.frame(i), folder / f"{i:04d}-{format_utc(t)[:16].replace(':', '')}-{screen}.png")
    click.echo(f"Screens: {len(dev.screens)} PNGs in {folder.resolve()}")


def _plan_start(plan: dict) -> str | None:
    try:
        if plan.get("format") == "steadydose.signed/1":
            plan = json.loads(plan["payload"])
        return plan.get("start_date")
    except (AttributeError, ValueError, KeyError, TypeError):
        return None


def _caregiver(sc: Scenario):
    """The demo's caregiver refills the carousel within a few hours of the device saying supply is low."""

    def react(t: int, rec: dict, schedule) -> None:
        if rec["event"] == "supply_low":
            schedule(t + 3 * 3600, "refill", {"doses": sc.compartments})

    return react


class _ScreenPrinter:
    """A compact terminal view of the display: one line per screen change."""

    def __init__(self) -> None:
        from steadydose.screens import describe

        self.describe = describe
        self.last = None

    def __call__(self, t: int, screen: str, fields: dict) -> None:
        line = self.describe(screen, fields)
        if line != self.last:
            self.last = line
            click.echo(f"{format_utc(t)[:16].replace('T', ' ')}  {line}")


def _summary(dev, sc: Scenario, days: int) -> None:
    events = [rec for _, rec in dev.events]
    count = Counter(rec["event"] for rec in events)
    refused = Counter(rec["reason"] for rec in events if rec["event"] == "refused")
    alarms = Counter(rec["priority"] for rec in events if rec["event"] == "alarm")
    mg = sum(rec["mg"] for rec in events if rec["event"] == "dispensed")
    click.echo("")
    click.echo(f"Summary after {days} simulated days")
    click.echo(f"  doses dispensed : {count['dispensed']} ({mg} mg in all)")
    click.echo(f"  doses missed    : {count['missed']}")
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(refused.items())) or "none"
    click.echo(f"  TAKE refused    : {sum(refused.values())} ({reasons})")
    tapers = [rec for rec in events if rec["event"] == "taper_started"]
    if tapers:
        steps = ", ".join(f"{s['daily_mg']} mg/day" + (f" x {s['days']} d" if s["days"] else "")
                          for s in tapers[-1]["steps"])
        click.echo(f"  taper           : started ({steps})")
    else:
        stops = count["stop_refused"]
        click.echo("  taper           : none" + (f" (stop refused {stops}x)" if stops else ""))
    al = ", ".join(f"{k} {v}" for k, v in sorted(alarms.items())) or "none"
    click.echo(f"  alarms raised   : {sum(alarms.values())} ({al})")
    click.echo(f"  refills         : {count['refilled']}")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print only JSON lines (one event each) on stdout.")
def scenario(file: Path, as_json: bool) -> None:
    """Run a scenario FILE and print its events in time order (exit 2 if the scenario is malformed)."""
    try:
        obj = json.loads(file.read_text(encoding="utf-8"))
    except OSError as ex:
        click.echo(f"error: cannot read {file}: {ex.strerror}", err=True)
        sys.exit(2)
    except ValueError as ex:
        click.echo(f"error: {file} is not valid JSON: {ex}", err=True)
        sys.exit(2)
    try:
        sc = parse_scenario(obj)
    except ScenarioError as ex:
        click.echo(f"error: {file}: {ex}", err=True)
        sys.exit(2)
    for w in sc.warnings:
        click.echo(f"warning: {file}: {w}", err=True)
    dev = run_scenario(sc)
    for t, rec in contract_events(dev):
        line = event_json(t, rec)
        if as_json:
            click.echo(json.dumps(line))
        else:
            rest = " ".join(f"{k}={json.dumps(v)}" for k, v in line.items() if k not in ("t", "event"))
            click.echo(f"{line['t']}  {line['event']:<16} {rest}".rstrip())


__all__ = ["main", "Action"]
