"""What every benchmark shares: the result row, the table, statistics, data, and the machine's facts.

Every figure in the table is a ratio against a reference measured side by side in the same run (same
process or same session, interleaved where the benchmark allows), printed next to both absolute figures,
its target and whether the target is met. Absolute figures from different runs are not comparable on a
shared machine; the ratios are the figures that count.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(os.environ.get("CNN_DESKTOP_MNIST", REPO.parent / "shared" / "data" / "mnist"))
ROWS_MARKER = "BENCHMARK-ROWS "


@dataclass
class Row:
    """One line of the table: a measured figure against its reference."""

    bench: str  # module name, e.g. "training_throughput"
    metric: str  # what was measured
    value: float  # the figure measured
    unit: str
    reference: str  # what it is compared with
    ref_value: float  # the reference's figure, same unit unless ``ref_unit`` says otherwise
    ratio: float  # value / ref_value (or as ``ratio_note`` says)
    target: str  # e.g. ">= 1.5x", "p95 <= 16 ms", "" when the row is for information only
    met: bool | None  # None: no target
    note: str = ""
    ref_unit: str = ""
    extra: dict = field(default_factory=dict)  # anything worth keeping in the JSON, not in the table

    def to_json(self) -> dict:
        return asdict(self)


def ratio(value: float, ref: float) -> float:
    return value / ref if ref else float("nan")


def met_at_least(value: float, limit: float) -> bool:
    return bool(value >= limit)


def met_at_most(value: float, limit: float) -> bool:
    return bool(value <= limit)


# --- statistics ---


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation; NaN for no values."""
    if len(values) == 0:
        return float("nan")
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if len(values) else float("nan")


# --- the table ---


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "nan"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def format_table(rows: Sequence[Row]) -> str:
    """A Markdown table (readable in a terminal too): one line per row."""
    header = ["benchmark", "metric", "value", "reference", "ref value", "ratio", "target", "met"]
    lines = []
    notes: list[str] = []
    for row in rows:
        met = "n/a" if row.met is None else ("yes" if row.met else "NO")
        unit = f" {row.unit}" if row.unit else ""
        ref_unit = f" {row.ref_unit or row.unit}" if (row.ref_unit or row.unit) else ""
        metric = row.metric
        if row.note:
            notes.append(row.note)
            metric += f" [{len(notes)}]"
        lines.append([row.bench, metric, _fmt(row.value) + unit, row.reference, _fmt(row.ref_value) + ref_unit,
                      _fmt(row.ratio) + "x", row.target or "-", met])
    widths = [max(len(str(c)) for c in column) for column in zip(header, *lines)]

    def render(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    out = [render(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [render(cells) for cells in lines]
    out += [""] + [f"[{i}] {note}" for i, note in enumerate(notes, 1)]
    return "\n".join(out)


def emit_rows(rows: Sequence[Row]) -> None:
    """How a benchmark child process hands its rows to ``python -m benchmarks``: one marked JSON line."""
    print(ROWS_MARKER + json.dumps([r.to_json() for r in rows]), flush=True)


def parse_rows(text: str) -> list[Row]:
    for line in text.splitlines():
        if line.startswith(ROWS_MARKER):
            return [Row(**item) for item in json.loads(line[len(ROWS_MARKER):])]
    raise ValueError("no rows in the benchmark's output")


# --- the machine ---


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
        if found:
            return found.group(1).strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def cpu_mhz() -> float:
    """The clock /proc/cpuinfo reports (the nominal clock on a VM; turbo is not visible there)."""
    try:
        values = [float(v) for v in re.findall(r"^cpu MHz\s*:\s*([\d.]+)$", Path("/proc/cpuinfo").read_text(), re.M)]
        if values:
            return max(values)
    except OSError:
        pass
    return 2000.0


def cpu_flags() -> set[str]:
    try:
        found = re.search(r"^flags\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        return set(found.group(1).split()) if found else set()
    except OSError:
        return set()


def peak_flops(cores: int | None = None) -> tuple[float, str]:
    """Peak fp32 FLOP/s under the stated assumption: each core retires 2 vector FMAs per cycle at the
    /proc/cpuinfo clock, 8 lanes wide with AVX2 or 16 with AVX-512 (which torch's kernels use when the
    CPU has it). The Trainer measured 181 GFLOP/s at batch 256 on this machine, above the AVX2-only
    figure (147), so the AVX-512 peak is the one that bounds it."""
    cores = cores or os.cpu_count() or 1
    mhz = cpu_mhz()
    lanes, unit = (16, "AVX-512") if "avx512f" in cpu_flags() else (8, "AVX2")
    flops = cores * 2 * lanes * 2 * mhz * 1e6
    assumption = (f"{cores} cores x 2 {unit} FMA/cycle x {lanes * 2} FLOP x {mhz / 1000:.2f} GHz = "
                  f"{flops / 1e9:.0f} GFLOP/s")
    return flops, assumption


def load_average() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def machine_summary() -> str:
    one, five, fifteen = load_average()
    return (f"{cpu_model()}, {os.cpu_count()} cores, {cpu_mhz():.0f} MHz; load average {one:.2f} {five:.2f} "
            f"{fifteen:.2f}; Python {platform.python_version()}")


# --- data ---


def mnist_available() -> bool:
    try:
        from cnn_desktop.core.data.readers import find_mnist_pair

        return MNIST_DIR.is_dir() and find_mnist_pair(MNIST_DIR) is not None
    except Exception:  # noqa: BLE001 - any problem means: use random data
        return False


def digits_data(n: int | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """(images float32 (N, 28, 28) in [0, 1], labels int64, where they came from).

    Real MNIST (the 10k set in shared/data/mnist) scaled to [0, 1], without the app's preprocessing (it
    re-centres and re-thins every digit at ~1.3 ms each, which is not what is being measured here); else
    random images of the same size, with random labels.
    """
    if mnist_available():
        from cnn_desktop.core.data.readers import read_mnist_folder

        images, labels = read_mnist_folder(MNIST_DIR)
        images = images.astype(np.float32) / 255.0
        labels = labels.astype(np.int64)
        source = "MNIST"
    else:
        rng = np.random.default_rng(0)
        images = rng.random((10000, 28, 28), dtype=np.float32)
        labels = rng.integers(0, 10, 10000).astype(np.int64)
        source = "random 28x28 (no MNIST found)"
    if n is not None:
        images, labels = images[:n], labels[:n]
    return images, labels, f"{len(labels)} {source}"


# --- timing ---


def wait_for(predicate: Callable[[], bool], timeout: float, step: float = 0.005) -> bool:
    """Poll ``predicate`` until true (without an event loop); False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def rss_mb() -> float:
    """This process's resident memory now, in MB (from /proc/self/status)."""
    return _status_kb("VmRSS") / 1024


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (VmHWM), in MB."""
    return _status_kb("VmHWM") / 1024


def _status_kb(key: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    import resource

    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
