"""Run the benchmarks: `python -m benchmarks [NAME ...]` (`./dev bench`); `--list` names them.

NAME is a module name with or without the `bench_` prefix. Each module's `main()` runs in turn and prints
its own figures; a failing benchmark is reported and the others still run (exit status 1 at the end)."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover() -> list[str]:
    return sorted(p.stem for p in HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)

    available = discover()
    if args.list:
        for name in available:
            print(name)
        return 0
    if not available:
        print("No benchmarks yet (add benchmarks/bench_*.py with a main() that prints figures).")
        return 0

    selected = available
    if args.names:
        wanted = [n if n.startswith("bench_") else "bench_" + n for n in args.names]
        unknown = [n for n in wanted if n not in available]
        if unknown:
            parser.error(f"unknown benchmark(s): {', '.join(unknown)} (have: {', '.join(available)})")
        selected = wanted

    failed = []
    for name in selected:
        print(f"== {name} ==", flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module("benchmarks." + name)
            entry = getattr(module, "main", None)
            if not callable(entry):
                raise TypeError(f"benchmarks/{name}.py has no main()")
            entry()
        except Exception:
            failed.append(name)
            traceback.print_exc()
        print(f"({name} took {time.perf_counter() - start:.1f} s)\n", flush=True)

    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
