"""Images in a zip: ``<label>/<image>`` as ``export --format images`` writes it, or as people zip a
folder by hand (one top folder around the labels, ``__MACOSX/`` and ``.DS_Store`` along).

A zip is treated as hostile input. Nothing is extracted to disk: members are read one at a time into
memory, each at most ``MAX_MEMBER_BYTES``. Before the zip library parses the central directory (it
holds an object per member), the member count its end record declares is checked against
``MAX_MEMBERS``. Members that are unsafe or unreadable are skipped, one line each: absolute paths and
``..`` (they would escape a folder if extracted), symlinks, encrypted members, a name seen twice,
a declared size above the cap or a compression ratio no image has (a zip bomb), and data that does not
match its declared size or checksum (zipfile checks the CRC as it reads).
"""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cnn_desktop.core.data.collection_marker import MARKER_NAME
from cnn_desktop.core.data.files import open_regular_file
from cnn_desktop.core.data.readers import IMAGE_EXTENSIONS
from cnn_desktop.core.errors import DataError, at, describe_error

# 70,000 MNIST digits as images plus their folders fit ten times over; the central directory of this
# many members takes about 100 MB of Python objects, which is where the cap comes from.
MAX_MEMBERS = 200_000
MAX_MEMBER_BYTES = 32 << 20  # a photo of a drawing is a few MB; a drawing the app stores under 2 kB
# Deflate cannot pack more than about 1032:1; images (even a blank BMP) stay far below 100:1 unless large
# and empty. Beyond this ratio, a member over RATIO_FLOOR bytes is taken for a zip bomb.
MAX_RATIO = 100
RATIO_FLOOR = 1 << 20
_JUNK = re.compile(r"^(__MACOSX|\..*|Thumbs\.db|desktop\.ini)$", re.IGNORECASE)
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class ZipImage:
    label: str
    name: str  # the member's name in the zip
    info: zipfile.ZipInfo


class ZipImages:
    """The images of a zip, listed and checked when opened; ``read`` gives one member's bytes.

    ``stored`` is True when the zip holds the collection marker (an image export): its PNGs are already
    the network's 28x28 inputs and must not be preprocessed again. ``skipped`` has one line per member
    left out. Close it (or use ``with``) to close the file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.skipped: list[str] = []
        file = os.fdopen(open_regular_file(self.path), "rb")
        try:
            count = declared_member_count(file)
            if count is not None and count > MAX_MEMBERS:
                raise DataError(at(self.path, f"holds {count:,} members, more than the {MAX_MEMBERS:,} read from a "
                                              "zip; refused before reading"))
            self._zip = zipfile.ZipFile(file)
        except zipfile.BadZipFile as error:
            file.close()
            raise DataError(at(self.path, f"not a zip file, or a damaged one ({describe_error(error)})")) from None
        except BaseException:
            file.close()
            raise
        try:
            self.images, self.stored = self._list()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._zip.close()  # it owns the file object now

    def __enter__(self) -> "ZipImages":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def labels(self) -> list[str]:
        return sorted({image.label for image in self.images})

    def where(self, image: ZipImage) -> str:
        return f"{self.path}:{image.name}"

    def read(self, image: ZipImage) -> BinaryIO:
        """The member's bytes as a file object, read whole (at most ``MAX_MEMBER_BYTES``), CRC checked."""
        where = self.where(image)
        try:
            with self._zip.open(image.info) as member:
                data = member.read(MAX_MEMBER_BYTES + 1)
        except zipfile.BadZipFile as error:
            raise DataError(at(where, f"data does not match its declared size or checksum ({describe_error(error)}); "
                                      "damaged, or a zip bomb")) from None
        except (NotImplementedError, RuntimeError, ValueError, EOFError, OSError) as error:
            raise DataError(at(where, f"cannot be read ({describe_error(error)})")) from None
        # zipfile stops at the declared size and checks the CRC only when the compressed data is used up,
        # so a member inflating to more than it declares would pass unnoticed: check the CRC here.
        if len(data) != image.info.file_size or zlib.crc32(data) != image.info.CRC:
            raise DataError(at(where, f"data does not match its declared size ({image.info.file_size:,} bytes) or "
                                      "checksum; damaged, or a zip bomb"))
        if not data:
            raise DataError(at(where, "empty file"))
        return io.BytesIO(data)

    # --- listing ---

    def _list(self) -> tuple[list[ZipImage], bool]:
        members: list[tuple[tuple[str, ...], zipfile.ZipInfo]] = []
        seen: set[str] = set()
        for info in self._zip.infolist():
            parts = tuple(p for p in info.filename.replace("\\", "/").split("/") if p not in ("", "."))
            if info.is_dir() or not parts:
                continue
            problem = member_problem(info, parts)
            if problem is None and any(_JUNK.match(p) for p in parts):
                continue  # what macOS and Windows add to a zip, and hidden files, are no drawings
            if problem is None and "/".join(parts) in seen:
                problem = "a second member of the same name; the first is used"
            if problem:
                self.skipped.append(at(f"{self.path}:{info.filename}", f"{problem}; skipped"))
                continue
            seen.add("/".join(parts))
            members.append((parts, info))
        # One folder around everything (a folder zipped by hand): look inside it.
        image_parts = [parts for parts, _ in members if parts[-1].lower().endswith(IMAGE_EXTENSIONS)]
        if (len({parts[0] for parts, _ in members}) == 1 and image_parts
                and all(len(parts) >= 3 for parts in image_parts)):
            members = [(parts[1:], info) for parts, info in members if len(parts) > 1]
        stored = any(parts == (MARKER_NAME,) for parts, _ in members)
        images = []
        for parts, info in members:
            if not parts[-1].lower().endswith(IMAGE_EXTENSIONS):
                continue  # a README, the marker...: ignored, as in a folder
            if len(parts) != 2:
                where = f"{self.path}:{info.filename}"
                self.skipped.append(at(where, "not in a <label>/<image> place; skipped" if len(parts) > 2
                                       else "outside any label folder; skipped"))
                continue
            images.append(ZipImage(parts[0], info.filename, info))
        if not images:
            raise DataError(at(self.path, f"no images ({', '.join(IMAGE_EXTENSIONS)}) in label folders "
                                          "(expected <label>/<image>.png in the zip)"))
        images.sort(key=lambda image: (image.label, image.name))
        return images, stored


def member_problem(info: zipfile.ZipInfo, parts: tuple[str, ...]) -> str | None:
    name = info.filename
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "an absolute path"
    if ".." in parts:
        return "a path leading out of the zip's folder ('..')"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link"
    if info.flag_bits & 0x1:
        return "encrypted"
    if info.file_size > MAX_MEMBER_BYTES:
        return f"declares {info.file_size:,} bytes, more than the {MAX_MEMBER_BYTES >> 20} MiB an image may have"
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(1, info.compress_size):
        return (f"packs {info.file_size:,} bytes into {info.compress_size:,} (more than {MAX_RATIO}:1, "
                "a zip bomb?)")
    return None


def declared_member_count(file: BinaryIO) -> int | None:
    """The member count a zip's end-of-central-directory record declares (ZIP64's when present), read
    from the last 64 kB; None when there is no such record (zipfile then says what is wrong)."""
    try:
        size = file.seek(0, os.SEEK_END)
        tail_start = max(0, size - (22 + 0xFFFF))
        file.seek(tail_start)
        tail = file.read()
    except OSError:
        return None
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) - end < 22:
        return None
    count = struct.unpack_from("<H", tail, end + 10)[0]
    locator = end - 20
    if count == 0xFFFF and locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
        offset = struct.unpack_from("<Q", tail, locator + 8)[0]
        try:
            file.seek(offset)
            record = file.read(56)
        except (OSError, ValueError, OverflowError):
            return None
        if len(record) == 56 and record[:4] == b"PK\x06\x06":
            count = struct.unpack_from("<Q", record, 32)[0]
    file.seek(0)
    return count
