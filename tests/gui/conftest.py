"""GUI tests run without a display: Qt's offscreen platform renders into memory."""

import os

# Must happen before the QApplication exists (pytest-qt creates it lazily, after this import).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
