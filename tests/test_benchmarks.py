"""Every benchmark runs in quick mode and fills its rows of the table with finite numbers.

No timing is asserted here: on a shared machine the figures are whatever the load makes them. The
benchmarks themselves (``python -m benchmarks``) compare each figure with a reference measured side by
side; this only proves that the whole suite still runs against the current app.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

EXPECTED_ROWS = {  # benchmark -> how many rows it reports
    "training_throughput": 7,
    "preset_throughput": 4,
    "gui_throughput": 1,
    "latency": 4,
    "responsiveness": 3,
    "two_trainings": 3,
    "startup": 4,
    "memory": 2,
    "time_to_accuracy": 3,
}


@pytest.mark.slow
def test_every_benchmark_runs_in_quick_mode_and_reports_finite_ratios(tmp_path):
    out = tmp_path / "rows.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = json.loads(out.read_text())["rows"]
    counts = {}
    for row in rows:
        counts[row["bench"]] = counts.get(row["bench"], 0) + 1
        for key in ("value", "ref_value", "ratio"):
            assert math.isfinite(row[key]), f"{row['bench']}: {row['metric']}: {key} is {row[key]}"
        assert row["met"] in (True, False, None)
        assert row["metric"] in done.stdout  # and the printed table has the row
    assert counts == EXPECTED_ROWS
