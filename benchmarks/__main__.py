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

BENCHMARKS = ["training_throughput", "preset_throughput", "gui_throughput", "latency", "responsiveness", "two_trainings", "startup",
              "memory", "time_to_accuracy"]
# Run only when named (``--only scale``): the first run generates a 60,000-drawing project (minutes).
ON_REQUEST = ["scale"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (seconds, not minutes): a smoke test")
    parser.add_argument("--only", action="append", choices=BENCHMARKS + ON_REQUEST, metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS + ON_REQUEST)}; "
                             f"{', '.join(ON_REQUEST)} only when named")
    parser.add_argument("--json", metavar="PATH", help="also write the rows and the machine's facts as JSON")
    parser.add_argument("--child", choices=BENCHMARKS + ON_REQUEST, help=argparse.SUPPRESS)
    return parser


def run_child(name: str, quick: bool) -> int:
    module = importlib.import_module(f"benchmarks.{name}")
    emit_rows(module.run(quick=quick))
    return 0


def _code_version() -> str:
    """The commit measured, and whether the working tree differed from it (other engineers' edits)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "cnn_desktop"],
                               cwd=REPO, capture_output=True, text=True, timeout=10).stdout.split("\n")
        changed = [line[3:] for line in dirty if line.strip()]
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    return f"{head or 'unknown'}" + (f" + uncommitted changes to {', '.join(changed)}" if changed else " (clean)")


def _cpu_busy_seconds() -> float:
    """Seconds of CPU time the whole machine has spent busy since boot (all cores, from /proc/stat)."""
    try:
        with open("/proc/stat") as stat:
            fields = [float(x) for x in stat.readline().split()[1:]]
    except OSError:
        return float("nan")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _children_cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_isolated(name: str, quick: bool) -> tuple[list[Row], float, float]:
    """The benchmark's rows, its wall time, and the share of the machine's cores that OTHER processes kept
    busy meanwhile (0 = the benchmark had the machine to itself)."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "benchmarks", "--child", name] + (["--quick"] if quick else [])
    started, busy, ours = time.monotonic(), _cpu_busy_seconds(), _children_cpu_seconds()
    done = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.monotonic() - started
    others = (_cpu_busy_seconds() - busy) - (_children_cpu_seconds() - ours)
    other_share = max(0.0, others / (elapsed * (os.cpu_count() or 1)))
    try:
        if done.returncode != 0:
            raise ValueError(f"exit status {done.returncode}")
        return parse_rows(done.stdout), elapsed, other_share
    except ValueError as error:
        tail = "\n".join((done.stderr or "").strip().splitlines()[-15:])
        print(f"benchmark {name} failed ({error}):\n{tail}", file=sys.stderr)
        nan = float("nan")
        return [Row(name, "FAILED (see stderr)", nan, "", "", nan, nan, "runs", False)], elapsed, other_share


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    if options.child:
        return run_child(options.child, options.quick)
    names = options.only or BENCHMARKS
    started = datetime.now(timezone.utc)
    print(f"cnn-desktop benchmarks{' (quick)' if options.quick else ''}, {started:%Y-%m-%d %H:%M} UTC", flush=True)
    print(f"machine: {machine_summary()}", flush=True)
    print(f"code: {_code_version()}", flush=True)
    rows: list[Row] = []
    timings, interference = {}, {}
    for name in names:
        print(f"  running {name}...", file=sys.stderr, flush=True)
        got, elapsed, other_share = run_isolated(name, options.quick)
        timings[name], interference[name] = round(elapsed, 1), round(other_share, 3)
        print(f"  {name}: {elapsed:.1f} s, other processes kept {other_share:.0%} of the cores busy",
              file=sys.stderr, flush=True)
        rows += got
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("other processes' share of the cores during each benchmark (0% = machine to itself): "
          + ", ".join(f"{name} {share:.0%}" for name, share in interference.items()))
    print()
    print(format_table(rows))
    if options.json:
        with open(options.json, "w") as out:
            json.dump({"date": started.isoformat(timespec="seconds"), "machine": machine_summary(),
                       "command": "python -m benchmarks " + shlex.join(argv if argv is not None else sys.argv[1:]),
                       "seconds": timings, "other_processes_share": interference, "rows": [r.to_json() for r in rows]}, out, indent=1)
    return 0 if all(r.metric != "FAILED (see stderr)" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
