"""The README is what a newcomer follows: its two set-up commands must be real, and CI must run the
test one verbatim."""

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _setup_commands() -> list[str]:
    section = REPO.joinpath("README.md").read_text().split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```\n(.+?)\n```", section)


def test_readme_has_exactly_two_setup_commands_install_and_launch_then_install_and_test():
    commands = _setup_commands()
    assert len(commands) == 2
    launch, test = commands
    assert "pip install" in launch and launch.rstrip().endswith("cnn-desktop")
    assert "pip install" in test and "pytest" in test
    for command in commands:
        assert "torch==2.13.0" in command  # a bare torch requirement would pull the CUDA build


def test_ci_runs_the_readme_test_command_verbatim():
    ci = REPO.joinpath(".ci", "run").read_text().splitlines()
    assert _setup_commands()[1] in ci


def test_entry_point_and_pinned_around_the_pyside6_crash():
    project = tomllib.loads(REPO.joinpath("pyproject.toml").read_text())["project"]
    assert project["scripts"]["cnn-desktop"] == "cnn_desktop.cli:main"
    pyside = [d for d in project["dependencies"] if d.startswith("PySide6")]
    assert pyside and "!=6.12.*" in pyside[0]
    assert any(d.startswith("torch") for d in project["dependencies"])
