"""Starting without a display or without the X libraries: one clear line and status 2, not Qt's abort.

These run without any display (the offscreen platform or none at all). The strings the loader and ldd
print were captured on a Debian 12 machine that lacked libxcb-icccm4 and libxcb-keysyms1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_desktop.gui.display_check import DEBIAN_PACKAGES, NO_DISPLAY, missing_libraries, window_problem

REPO = Path(__file__).resolve().parents[2]

# What ctypes.CDLL said about PySide6 6.11.3's libqxcb.so there, and the lines of its ldd listing that
# matter (the same two libraries appear twice: once for the plugin, once for libQt6XcbQpa).
LOADER_ERROR = "libxcb-icccm.so.4: cannot open shared object file: No such file or directory"
LDD_LISTING = """\
\tlibQt6XcbQpa.so.6 => /site-packages/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f811bacb000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f811b9e1000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => /lib/x86_64-linux-gnu/libxcb-util.so.1 (0x00007f811b9d9000)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
"""
X = {"DISPLAY": ":0"}


def _failing_load(path):
    raise OSError(LOADER_ERROR)


@pytest.fixture
def plugin(tmp_path):
    path = tmp_path / "libqxcb.so"
    path.write_bytes(b"not really a plugin")
    return path


def test_without_a_display_the_app_says_so_in_one_line_and_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(PYTHONPATH=str(REPO), CNN_DESKTOP_HOME=str(tmp_path / "home"))
    result = subprocess.run([sys.executable, "-m", "cnn_desktop"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [f"cnn-desktop: error: {NO_DISPLAY}"]
    assert result.stdout == ""


@pytest.mark.parametrize("environ", [
    {"QT_QPA_PLATFORM": "offscreen"},
    {"QT_QPA_PLATFORM": "wayland"},
    {"QT_QPA_PLATFORM": "vnc:size=800x600"},
    {"QT_QPA_PLATFORM": "wayland;xcb"},
    {"WAYLAND_DISPLAY": "wayland-0"},  # Qt may choose Wayland by itself
])
def test_a_platform_the_user_chose_or_wayland_is_left_to_qt(environ, plugin):
    assert window_problem(environ, "linux", plugin, _failing_load) is None


@pytest.mark.parametrize("environ", [
    {},
    {"QT_QPA_PLATFORM": "xcb"},
    {"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"},  # asked for X: Wayland does not help
])
def test_xcb_without_display_is_reported(environ, plugin):
    assert window_problem(environ, "linux", plugin, _failing_load) == NO_DISPLAY


def test_other_systems_are_left_to_qt(plugin):
    assert window_problem({}, "darwin", plugin, _failing_load) is None
    assert window_problem({}, "win32", plugin, _failing_load) is None


def test_missing_libraries_are_named_with_the_packages_that_fix_them(plugin, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/ldd")
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, LDD_LISTING, ""))
    assert window_problem(X, "linux", plugin, _failing_load) == (
        "the window needs system libraries that are missing (libxcb-icccm.so.4, libxcb-keysyms.so.1); "
        "install them with: sudo apt-get install libxcb-icccm4 libxcb-keysyms1"
    )


def test_without_ldd_the_first_missing_library_is_still_named(plugin, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert window_problem(X, "linux", plugin, _failing_load) == (
        "the window needs system libraries that are missing (libxcb-icccm.so.4); "
        "install them with: sudo apt-get install libxcb-icccm4"
    )


def test_a_plugin_that_loads_or_fails_for_another_reason_is_left_to_qt(plugin):
    assert window_problem(X, "linux", plugin, lambda path: None) is None

    def wrong_architecture(path):
        raise OSError(f"{path}: wrong ELF class: ELFCLASS32")

    assert window_problem(X, "linux", plugin, wrong_architecture) is None
    assert window_problem(X, "linux", plugin.with_name("absent.so"), _failing_load) is None


def test_the_check_itself_never_stops_the_launch(plugin):
    def broken(path):
        raise RuntimeError("anything at all")

    assert window_problem(X, "linux", plugin, broken) is None


def test_every_soname_of_the_xcb_plugin_maps_to_a_debian_package():
    for soname in ("libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-image.so.0",
                   "libxcb-render-util.so.0", "libxcb-xkb.so.1", "libxkbcommon-x11.so.0", "libxcb-shape.so.0",
                   "libxcb-randr.so.0"):
        assert DEBIAN_PACKAGES[soname].startswith("lib")
    assert DEBIAN_PACKAGES["libxcb-cursor.so.0"] == "libxcb-cursor0"
    assert DEBIAN_PACKAGES["libxkbcommon-x11.so.0"] == "libxkbcommon-x11-0"


@pytest.mark.skipif(not (shutil.which("cc") and shutil.which("ldd")), reason="needs a C compiler and ldd")
def test_a_real_library_with_a_missing_dependency_is_diagnosed(tmp_path):
    """The real loader and ldd, on a plugin built here that links to a library deleted afterwards."""
    (tmp_path / "dep.c").write_text("int cnn_fake_dep(void) { return 1; }\n")
    (tmp_path / "plugin.c").write_text(
        "int cnn_fake_dep(void);\nint cnn_fake_plugin(void) { return cnn_fake_dep(); }\n")
    dep, plugin = tmp_path / "libcnnfakedep.so.3", tmp_path / "libqxcb.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-Wl,-soname,libcnnfakedep.so.3", "-o", str(dep),
                    str(tmp_path / "dep.c")], check=True)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(plugin), str(tmp_path / "plugin.c"), str(dep)], check=True)
    dep.unlink()
    assert missing_libraries(plugin) == ["libcnnfakedep.so.3"]
    assert window_problem(X, "linux", plugin) == (
        "the window needs system libraries that are missing (libcnnfakedep.so.3); "
        "install the packages that provide them"
    )
