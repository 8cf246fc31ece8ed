"""One writer per project: a second writer is refused, in this process or another; a killed one lets go."""

import os
import signal
import subprocess
import sys
import time

import pytest

from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.projects.project import Project

HOLDER = """
import sys, time
from cnn_desktop.core.projects.project import Project
project = Project.open(sys.argv[1])
print("holding", flush=True)
time.sleep(120)
"""


@pytest.fixture
def folder(tmp_path):
    Project.create(tmp_path / "p", "P", ["a", "b"]).close()
    return tmp_path / "p"


def refused(folder) -> str:
    with pytest.raises(CnnDesktopError) as error:
        Project.open(folder)
    text = str(error.value)
    assert "\n" not in text and text.startswith(str(folder))
    return text


def test_a_second_writer_in_the_same_process_is_refused(folder):
    first = Project.open(folder)
    assert refused(folder) == f"{folder}: open in another window or command (pid {os.getpid()}); open it read-only"
    assert Project.open(folder, read_only=True).class_names == ("a", "b")  # reading stays possible
    first.close()
    Project.open(folder).close()  # released on close


def test_create_holds_the_lock_until_closed(folder, tmp_path):
    with Project.create(tmp_path / "q", "Q", ["a", "b"]):
        refused(tmp_path / "q")
    Project.open(tmp_path / "q").close()


def start_holder(folder) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], stdout=subprocess.PIPE, text=True, env=env)
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_a_writer_in_another_process_is_named_and_a_killed_one_lets_go(folder):
    holder = start_holder(folder)
    try:
        assert f"(pid {holder.pid})" in refused(folder)
        holder.send_signal(signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
        holder.wait(timeout=30)
        deadline = time.monotonic() + 10
        while True:  # the OS drops the lock with the process; allow it a moment to reap
            try:
                Project.open(folder).close()
                break
            except CnnDesktopError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_a_command_started_by_the_writer_is_refused_too(folder):
    """The lock is not inherited: a command the app starts cannot write the project the app is writing."""
    with Project.open(folder):
        code = "import sys; from cnn_desktop.core.projects.project import Project; Project.open(sys.argv[1])"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        result = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, env=env,
                                timeout=120)
        assert result.returncode != 0 and "open in another window or command" in result.stderr
    Project.open(folder).close()
