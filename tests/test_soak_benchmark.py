"""The soak benchmark (benchmarks/soak.py) runs and reports: a 12-second run of what is meant to run for
10 minutes (``python -m benchmarks.soak --minutes 10``)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_a_short_soak_trains_draws_and_reports_memory():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-m", "benchmarks.soak", "--minutes", "0.2", "--per-class", "40"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    start = float(re.search(r"^memory at start: ([\d.]+) MB$", out, re.M).group(1))
    end = float(re.search(r"^memory at the end \(0\.2 min\): ([\d.]+) MB$", out, re.M).group(1))
    growth = float(re.search(r"^growth: ([+-][\d.]+) MB over 0\.2 min$", out, re.M).group(1))
    assert 50 < start < 4000 and abs(end - start - growth) < 0.11
    steps, runs, drawn = map(int, re.search(r"^trained (\d+) steps in (\d+) runs .*; drew (\d+) drawings", out, re.M).groups())
    assert steps > 0 and runs >= 1 and drawn >= 1  # it trained and drew at the same time
    assert "problem:" not in out
