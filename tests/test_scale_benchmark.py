"""The 60,000-drawing benchmark (``python -m benchmarks --only scale``) runs in quick mode (60 and 300
drawings) and fills its rows with finite figures. No timing is asserted: this proves it still runs."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_scale_benchmark_runs_in_quick_mode(tmp_path):
    out = tmp_path / "rows.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--only", "scale", "--json", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = json.loads(out.read_text())["rows"]
    assert len(rows) == 9 and all(row["bench"] == "scale" for row in rows)
    for row in rows:
        for key in ("value", "ref_value", "ratio"):
            assert math.isfinite(row[key]), f"{row['metric']}: {key} is {row[key]}"
    metrics = " ".join(row["metric"] for row in rows)
    for what in ("first opening", "next openings", "label key p95", "scroll frame", "Train -> first training step"):
        assert what in metrics
