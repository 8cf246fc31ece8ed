"""Can the window open at all? Checked on Linux before the QApplication is made.

Without a display, or without the X libraries Qt's xcb plugin needs, Qt prints several lines that
blame the wrong library ("xcb-cursor0 ... is needed" even when that one is installed) and then aborts
(exit 134). This check says what is missing and the command that fixes it, in one line.

It runs at every launch, so it stays cheap (a fraction of a millisecond when all is well: loading the
plugin now only loads what Qt loads a moment later anyway), and it never blocks a start it cannot
judge: any doubt returns None and Qt tries for itself.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from importlib.util import find_spec
from pathlib import Path

# The libraries PySide6's xcb plugin and the Qt libraries under it link to (measured with ldd on
# PySide6 6.11.3's libqxcb.so), and the Debian/Ubuntu package of each; libc, libstdc++, zlib and the
# like are on every system and left out.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}

NO_DISPLAY = (
    "no display to open the window on (DISPLAY is not set); run it in a desktop session, "
    "or over ssh with -X"
)

# What the dynamic loader says about the first library it cannot find (glibc's wording).
_CANNOT_OPEN = re.compile(r"(\S+\.so[.\d]*): cannot open shared object file")
_LDD_NOT_FOUND = re.compile(r"^\s*(\S+) => not found\s*$", re.MULTILINE)


def load_library(path: str) -> object:
    """Loads a shared library as Qt would; raises OSError naming the first library it cannot find."""
    return ctypes.CDLL(path, mode=os.RTLD_LAZY)


def window_problem(
    environ: Mapping[str, str] = os.environ,
    platform: str = sys.platform,
    plugin: Path | None = None,
    load: Callable[[str], object] = load_library,
) -> str | None:
    """One line saying why the window cannot open, or None when it can (or this cannot tell)."""
    try:
        return _problem(environ, platform, plugin, load)
    except Exception:  # noqa: BLE001  the check must never be what stops the app
        return None


def _problem(environ, platform, plugin, load) -> str | None:
    if not platform.startswith("linux"):
        return None
    requested = environ.get("QT_QPA_PLATFORM", "")
    # "xcb", "xcb:arg" or a fallback list "wayland;xcb": only the first choice decides.
    first_choice = requested.split(";")[0].split(":")[0].strip()
    if requested and first_choice != "xcb":
        return None  # the user picked offscreen, wayland, vnc...: theirs to run
    if not requested and environ.get("WAYLAND_DISPLAY"):
        return None  # Qt may well choose Wayland here
    if not environ.get("DISPLAY"):
        return NO_DISPLAY
    if plugin is None:
        plugin = _xcb_plugin(environ)
    if plugin is None or not plugin.is_file():
        return None
    missing = missing_libraries(plugin, load)
    return missing_message(missing) if missing else None


def _xcb_plugin(environ: Mapping[str, str]) -> Path | None:
    """Where Qt will look for the xcb plugin: QT_QPA_PLATFORM_PLUGIN_PATH, or PySide6's own copy."""
    folder = environ.get("QT_QPA_PLATFORM_PLUGIN_PATH")
    if folder:
        return Path(folder) / "libqxcb.so"
    spec = find_spec("PySide6")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)), "Qt", "plugins", "platforms", "libqxcb.so")


def missing_libraries(plugin: Path, load: Callable[[str], object] = load_library) -> list[str]:
    """The shared libraries the plugin needs and the system lacks; [] when it loads, or when it fails
    for another reason (Qt will then say what that is)."""
    try:
        load(str(plugin))
        return []
    except OSError as error:
        first = _CANNOT_OPEN.search(str(error))
        if first is None:
            return []
    # The loader stops at the first missing library; ldd (part of glibc, so nearly always there)
    # lists them all, at about 20 ms, paid only on this failing path.
    return _ldd_missing(plugin) or [first.group(1)]


def _ldd_missing(plugin: Path) -> list[str]:
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        listing = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return list(dict.fromkeys(_LDD_NOT_FOUND.findall(listing)))  # each once, in ldd's order


def missing_message(sonames: list[str]) -> str:
    packages = list(dict.fromkeys(DEBIAN_PACKAGES[name] for name in sonames if name in DEBIAN_PACKAGES))
    line = f"the window needs system libraries that are missing ({', '.join(sonames)})"
    if not packages:
        return f"{line}; install the packages that provide them"
    unknown = [name for name in sonames if name not in DEBIAN_PACKAGES]
    also = f", and whatever provides {', '.join(unknown)}" if unknown else ""
    return f"{line}; install them with: sudo apt-get install {' '.join(packages)}{also}"
