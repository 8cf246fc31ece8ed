"""How many threads torch computes with, chosen from how busy the machine is when a command starts.

torch's OpenMP threads (libgomp) spin while they wait for each other. That is the fastest way on an
idle machine, and a collapse on a busy one: on a 2-core machine with one other CPU-bound process, the
CLI's 2 spinning threads trained 8-20x slower than they do alone (benchmarks/RESULTS.md, finding 1).
``Trainer`` bs64 on that machine, samples/s, each competitor a process of its own (a pure-Python busy
loop; a 2-thread torch matmul loop; a 2-thread torch training loop), two runs each:

    machine                  2 threads (default)   2 threads, OMP_WAIT_POLICY=PASSIVE   1 thread
    idle                     12,300-14,200         7,400                                8,800
    busy loop                3,000-3,100           3,900-4,200                          8,700-9,100
    torch matmul loop        1,600-2,100           3,700-3,900                          7,200-7,400
    torch training loop      4,300-5,000           3,900                                7,200-7,400
    (RESULTS.md, older code) 179-480               3,855-3,903                          178-2,211

So: every core when the machine is idle, spinning as usual; when other processes already keep at least
half a core busy at start, only the cores they leave, at least one; and if that still means several
threads, they wait passively (the steadiest of the three under load). One thread has no team to wait
for, so its wait policy does not matter.

How busy: the 1-minute load average, and when that says busy, what the cores did in the last 0.3 s
(/proc/stat), whichever is lower. The average trails by a minute or more: right after a job of our own
ends it still read 1.4 on a machine measured 0 % busy, which alone would cost an idle machine 38 %
(one thread instead of two).

Nothing here imports torch: OMP_WAIT_POLICY is read once, when torch loads libgomp, so it has to be in
the environment before the first ``import torch`` (setting it later has no effect, measured). The
thread count is applied by ``configure_torch``; ``CNN_DESKTOP_THREADS`` still overrides it.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass

# Cores' worth of work by other processes from which the machine counts as busy.
BUSY_LOAD = 0.5
SAMPLE_SECONDS = 0.3


@dataclass(frozen=True)
class ThreadPlan:
    threads: int  # torch intra-op threads
    wait_policy: str | None  # OMP_WAIT_POLICY to set before torch is imported; None: libgomp's default
    load: float  # cores' worth of other processes' work it was decided from
    cores: int

    @property
    def busy(self) -> bool:
        return self.load >= BUSY_LOAD


def plan_threads(load: float, cores: int, requested: int | None = None) -> ThreadPlan:
    """The plan for a process about to compute, from the load average at start and the core count;
    ``requested`` (CNN_DESKTOP_THREADS) fixes the thread count, the wait policy still follows the load."""
    cores = max(1, int(cores))
    load = max(0.0, float(load)) if math.isfinite(load) else 0.0
    busy = load >= BUSY_LOAD
    if requested:
        threads = max(1, int(requested))
    elif busy:
        others = max(1, round(load))  # cores the other processes want
        threads = max(1, cores - others)
    else:
        threads = cores
    return ThreadPlan(threads, "PASSIVE" if busy and threads > 1 else None, load, cores)


def current_load(sample_seconds: float = SAMPLE_SECONDS) -> float:
    """Cores' worth of work other processes are doing now (this process is starting: it does none)."""
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):  # no load average on this platform: take the machine for idle
        return 0.0
    if load < BUSY_LOAD:
        return load
    before = _busy_and_total_ticks()
    if before is None:
        return load
    time.sleep(sample_seconds)
    after = _busy_and_total_ticks()
    if after is None or after[1] <= before[1]:
        return load
    share = (after[0] - before[0]) / (after[1] - before[1])  # of all cores' time
    return min(load, share * (os.cpu_count() or 1))


def _busy_and_total_ticks() -> tuple[float, float] | None:
    """(busy, total) CPU time of all cores since boot, from /proc/stat; None where there is none."""
    try:
        with open("/proc/stat") as stat:
            ticks = [float(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    if len(ticks) < 5:
        return None
    total = sum(ticks[:8])  # user nice system idle iowait irq softirq steal (guest time is inside user)
    return total - ticks[3] - ticks[4], total


def plan_for_this_machine() -> ThreadPlan:
    load = current_load()
    try:
        requested = int(os.environ.get("CNN_DESKTOP_THREADS", "0")) or None
    except ValueError:
        requested = None  # configure_torch refuses it
    return plan_threads(load, os.cpu_count() or 1, requested)


def apply_wait_policy(plan: ThreadPlan) -> bool:
    """Put the plan's OMP_WAIT_POLICY in the environment, unless the user set one or torch is already
    imported (then it would have no effect). True when it was set."""
    if plan.wait_policy is None or "OMP_WAIT_POLICY" in os.environ or "torch" in sys.modules:
        return False
    os.environ["OMP_WAIT_POLICY"] = plan.wait_policy
    return True
