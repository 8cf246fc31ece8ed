"""How many torch threads a command uses, and how they wait, from the machine's load at start."""

import os
import sys
import types

import pytest

from cnn_desktop.cli import main
from cnn_desktop.core.training import threads
from cnn_desktop.core.training.threads import apply_wait_policy, plan_threads


@pytest.mark.parametrize(
    "load,cores,requested,expected",
    [
        (0.0, 2, None, (2, None)),  # idle: every core, libgomp's spinning default
        (0.49, 2, None, (2, None)),
        (0.5, 2, None, (1, None)),  # half a core taken by others: one thread (no team to wait for)
        (1.2, 2, None, (1, None)),
        (3.7, 2, None, (1, None)),  # more demand than cores: still one
        (0.3, 8, None, (8, None)),
        (3.2, 8, None, (5, "PASSIVE")),  # several threads left: they wait passively
        (6.6, 8, None, (1, None)),
        (0.9, 1, None, (1, None)),
        (1.2, 2, 2, (2, "PASSIVE")),  # CNN_DESKTOP_THREADS fixes the count; the wait follows the load
        (0.1, 2, 3, (3, None)),
        (1.2, 2, 1, (1, None)),
        (float("nan"), 2, None, (2, None)),  # no usable load figure: taken for idle
        (-1.0, 4, None, (4, None)),
    ],
)
def test_the_plan_follows_the_load_and_the_cores(load, cores, requested, expected):
    plan = plan_threads(load, cores, requested)
    assert (plan.threads, plan.wait_policy) == expected
    assert plan.busy == (load >= threads.BUSY_LOAD)


def _ticks(*readings):
    """A fake /proc/stat: (busy, total) CPU ticks of all cores, one reading per call."""
    readings = list(readings)
    return lambda: readings.pop(0)


def test_an_idle_load_average_is_taken_as_it_is(monkeypatch):
    monkeypatch.setattr(os, "getloadavg", lambda: (0.3, 2.0, 2.0))
    monkeypatch.setattr(threads, "_busy_and_total_ticks", lambda: pytest.fail("sampled an idle machine"))
    assert threads.current_load() == 0.3


@pytest.mark.parametrize(
    "load,ticks,expected",
    [
        (1.4, [(100, 1000), (100, 1060)], 0.0),  # the average still trails an ended job: idle now
        (1.4, [(100, 1000), (130, 1060)], 1.0),  # one core of two busy
        (0.8, [(100, 1000), (160, 1060)], 0.8),  # both busy, the average says less: the lower
        (1.4, [None], 1.4),  # no /proc/stat: the average
    ],
)
def test_a_busy_load_average_is_checked_against_what_the_cores_do_now(monkeypatch, load, ticks, expected):
    monkeypatch.setattr(os, "getloadavg", lambda: (load, 1.0, 1.0))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(threads, "_busy_and_total_ticks", _ticks(*ticks))
    assert threads.current_load(sample_seconds=0) == pytest.approx(expected)


def test_the_plan_for_this_machine_takes_its_cores_its_load_and_the_override(monkeypatch):
    monkeypatch.setattr(threads, "current_load", lambda: 1.4)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.delenv("CNN_DESKTOP_THREADS", raising=False)
    plan = threads.plan_for_this_machine()
    assert (plan.threads, plan.wait_policy, plan.load, plan.cores) == (3, "PASSIVE", 1.4, 4)
    monkeypatch.setenv("CNN_DESKTOP_THREADS", "1")
    assert threads.plan_for_this_machine().threads == 1


def test_the_wait_policy_is_only_set_before_torch_is_imported_and_never_over_the_users(monkeypatch):
    busy = plan_threads(3.2, 8)
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    # torch imported: libgomp has read its environment already
    monkeypatch.setitem(sys.modules, "torch", sys.modules.get("torch", types.ModuleType("torch")))
    assert not apply_wait_policy(busy) and "OMP_WAIT_POLICY" not in os.environ
    monkeypatch.delitem(sys.modules, "torch")  # as in a fresh CLI process, before any command runs
    assert not apply_wait_policy(plan_threads(0.1, 8)) and "OMP_WAIT_POLICY" not in os.environ
    assert apply_wait_policy(busy) and os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert not apply_wait_policy(busy) and os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


def test_train_says_when_the_machine_is_busy(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(threads, "current_load", lambda: 1.5)
    out = tmp_path / "ticks.safetensors"
    assert main(["train", "--preset", "ticks-crosses", "--samples", "40", "--epochs", "1", "--out", str(out)]) == 0
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("training ")]
    assert "(machine busy: load average 1.50 on" in line
    monkeypatch.setattr(threads, "current_load", lambda: 0.1)
    assert main(["train", "--preset", "ticks-crosses", "--samples", "40", "--epochs", "1", "--out", str(out)]) == 0
    assert "busy" not in capsys.readouterr().err
