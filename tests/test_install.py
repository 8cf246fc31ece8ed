"""A real install, as someone who is not us gets it: build the wheel, install it into a fresh virtual
environment, and use it from another folder with nothing pointing back at this checkout.

Offline: the wheel is built without build isolation (which would download setuptools), and the venv
reuses the torch, PySide6 and the rest already installed (--system-site-packages) instead of fetching
them. That system site-packages may hold an editable install of some other checkout, so the test
proves that the venv's own copy is the one that ran.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from cnn_desktop.core.tasks import TASKS, bundled_file

REPO = Path(__file__).resolve().parents[1]
SHIPPED = ["digits.safetensors", "digits.md", "ticks-crosses.safetensors", "ticks-crosses.md"]


def test_bundled_models_are_found_in_the_package_and_the_override_replaces_them(monkeypatch, tmp_path):
    monkeypatch.delenv("CNN_DESKTOP_RESOURCES", raising=False)
    import cnn_desktop

    package = Path(cnn_desktop.__file__).parent
    for preset in TASKS.values():
        assert preset.bundled_model_path() == package / "resources" / "models" / preset.model_file
        assert preset.bundled_model_path().is_file()
    monkeypatch.setenv("CNN_DESKTOP_RESOURCES", str(tmp_path))
    assert bundled_file("models", "digits.safetensors") == tmp_path / "models" / "digits.safetensors"


def _run(command, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)
    assert result.returncode == 0, f"{command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


def _draw_seven(path: Path, ink: int, paper: int) -> None:
    """A '7' drawn with thick lines, as a person would with a mouse."""
    image = Image.new("L", (200, 200), paper)
    ImageDraw.Draw(image).line([(50, 40), (150, 40), (85, 165)], fill=ink, width=16, joint="curve")
    image.save(path)


@pytest.mark.slow
def test_the_wheel_installed_in_a_fresh_venv_ships_and_finds_the_bundled_models(tmp_path):
    import setuptools

    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip(f"building offline uses the installed setuptools {setuptools.__version__}; pyproject needs 77+")

    # Build from a copy holding only what the wheel is made from, so nothing is written into the checkout.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source)
    shutil.copytree(REPO / "cnn_desktop", source / "cnn_desktop", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist),
          str(source)])
    (wheel,) = dist.glob("cnn_desktop-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in SHIPPED:
        assert f"cnn_desktop/resources/models/{name}" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)])
    python, command = venv / "bin" / "python", venv / "bin" / "cnn-desktop"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
          str(wheel)])

    # Somewhere else, with nothing pointing at this checkout or at a folder of models.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("CNN_DESKTOP_RESOURCES", "PYTHONPATH")}
    env["CNN_DESKTOP_HOME"] = str(tmp_path / "home")
    where = _run([str(python), "-c", "import cnn_desktop; from cnn_desktop.core.tasks import get_task; "
                  "print(cnn_desktop.__file__); print(get_task('digits').bundled_model_path())"],
                 cwd=elsewhere, env=env).stdout.splitlines()
    for path in where:
        assert Path(path).resolve().is_relative_to(venv.resolve()), where
    assert Path(where[1]).is_file()

    _draw_seven(elsewhere / "seven-on-paper.png", ink=0, paper=255)
    _draw_seven(elsewhere / "seven-on-black.png", ink=255, paper=0)
    predicted = _run([str(command), "predict", "seven-on-paper.png", "seven-on-black.png"],
                     cwd=elsewhere, env=env).stdout.splitlines()
    assert [line.split("    ")[0].rsplit(" (", 1)[0] for line in predicted] == [
        "seven-on-paper.png: 7", "seven-on-black.png: 7"], predicted

    info = _run([str(command), "info"], cwd=elsewhere, env=env).stdout
    assert "classes: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9" in info
    assert "command: cnn-desktop train --preset digits" in info
    info = _run([str(command), "info", "--preset", "ticks-crosses"], cwd=elsewhere, env=env).stdout
    assert "classes: tick, cross" in info
