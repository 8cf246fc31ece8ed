"""``python -m benchmarks [--quick] [--only NAME ...] [--json PATH]``: run the benchmarks, print one table.

Each benchmark runs in a fresh Python process of its own (``--child NAME``), so that one's threads,
caches and memory never colour another's figures (peak RSS above all), and prints its rows as one
marked JSON line that this parent collects.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone

from benchmarks.common import REPO, Row, emit_rows, format_table, machine_summary, parse_rows

BENCHMARKS = ["training_throughput", "gui_throughput", "latency", "responsiveness", "startup", "memory",
              "time_to_accuracy"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (seconds, not minutes): a smoke test")
    parser.add_argument("--only", action="append", choices=BENCHMARKS, metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}")
    parser.add_argument("--json", metavar="PATH", help="also write the rows and the machine's facts as JSON")
    parser.add_argument("--child", choices=BENCHMARKS, help=argparse.SUPPRESS)
    return parser


def run_child(name: str, quick: bool) -> int:
    module = importlib.import_module(f"benchmarks.{name}")
    emit_rows(module.run(quick=quick))
    return 0


def run_isolated(name: str, quick: bool) -> tuple[list[Row], float]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "benchmarks", "--child", name] + (["--quick"] if quick else [])
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.monotonic() - started
    try:
        if done.returncode != 0:
            raise ValueError(f"exit status {done.returncode}")
        return parse_rows(done.stdout), elapsed
    except ValueError as error:
        tail = "\n".join((done.stderr or "").strip().splitlines()[-15:])
        print(f"benchmark {name} failed ({error}):\n{tail}", file=sys.stderr)
        nan = float("nan")
        return [Row(name, "FAILED (see stderr)", nan, "", "", nan, nan, "runs", False)], elapsed


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    if options.child:
        return run_child(options.child, options.quick)
    names = options.only or BENCHMARKS
    started = datetime.now(timezone.utc)
    print(f"cnn-desktop benchmarks{' (quick)' if options.quick else ''}, {started:%Y-%m-%d %H:%M} UTC", flush=True)
    print(f"machine: {machine_summary()}", flush=True)
    rows: list[Row] = []
    timings = {}
    for name in names:
        print(f"  running {name}...", file=sys.stderr, flush=True)
        got, elapsed = run_isolated(name, options.quick)
        timings[name] = round(elapsed, 1)
        print(f"  {name}: {elapsed:.1f} s", file=sys.stderr, flush=True)
        rows += got
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print(format_table(rows))
    if options.json:
        with open(options.json, "w") as out:
            json.dump({"date": started.isoformat(timespec="seconds"), "machine": machine_summary(),
                       "command": "python -m benchmarks " + shlex.join(argv if argv is not None else sys.argv[1:]),
                       "seconds": timings, "rows": [r.to_json() for r in rows]}, out, indent=1)
    return 0 if all(r.metric != "FAILED (see stderr)" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
