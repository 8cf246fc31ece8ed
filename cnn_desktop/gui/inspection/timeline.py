"""The training timeline: scrub back through the weights kept during the last training run.

The slider's last position is "now" (the live weights); every position before it is a snapshot the
engine kept. Moving the slider asks the engine to show that snapshot: the filters, the feature maps
and the prediction of the current drawing as they were then. Training itself is not disturbed.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from cnn_desktop.core.app.messages import SnapshotInfo, Timeline
from cnn_desktop.gui.throttle import Throttle

SCRUB_INTERVAL_MS = 80  # at most ~12 snapshot requests a second while the slider is dragged
NO_SNAPSHOTS = "train to record how the network changes, then scrub back here."


def describe(info: SnapshotInfo) -> str:
    if info.step == 0:
        return "before training (step 0)"
    loss = f" · loss {info.loss:.3f}" if info.loss is not None else ""
    return f"step {info.step} · epoch {info.epoch:.1f}{loss}"


class TimelineBar(QWidget):
    show_snapshot = Signal(object)  # snapshot index, or None for the live weights

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._snapshots: tuple[SnapshotInfo, ...] = ()
        self.slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=0)
        self.slider.setToolTip("Drag back to see the filters, feature maps and guess of an earlier moment of training")
        self.slider.setEnabled(False)
        self.label = QLabel(NO_SNAPSHOTS)
        self.now_button = QPushButton("Back to now")
        self.now_button.setToolTip("Show the live network again")
        self.now_button.setEnabled(False)
        self.now_button.clicked.connect(self.back_to_now)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(QLabel("Timeline"))
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label, 2)  # the words need the room more than the slider does
        layout.addWidget(self.now_button)
        self._markers: list[pg.InfiniteLine] = []
        self._send = Throttle(SCRUB_INTERVAL_MS, self._send_position, leading=True, parent=self)
        self.slider.valueChanged.connect(self._moved)
        self.slider.setMinimumWidth(160)
        self.label.setWordWrap(True)
        # Two lines, always: a third (a long "step · epoch · loss" line in a narrow dock) took its height
        # from the curves above, whose axis labels then slid under the line beneath them.
        self.label.setFixedHeight(2 * self.label.fontMetrics().lineSpacing() + 2)
        self._describe()

    def mark_on(self, *plots: pg.PlotWidget) -> None:
        """Show the moment being looked at as a dashed vertical line (at its step) on these plots."""
        for plot in plots:
            line = pg.InfiniteLine(angle=90, movable=False,
                                   pen=pg.mkPen("#b35c00", width=2, style=Qt.PenStyle.DashLine))
            line.hide()
            plot.getPlotItem().addItem(line, ignoreBounds=True)
            self._markers.append(line)

    @property
    def snapshots(self) -> tuple[SnapshotInfo, ...]:
        return self._snapshots

    @property
    def showing(self) -> int | None:
        """The snapshot index the slider is on; None at "now"."""
        position = self.slider.value()
        return None if position >= len(self._snapshots) else position

    def set_timeline(self, message: Timeline) -> None:
        at_now = self.showing is None
        self._snapshots = message.snapshots
        with QSignalBlocker(self.slider):
            self.slider.setMaximum(len(self._snapshots))
            if message.showing is not None and not self.slider.isSliderDown():
                self.slider.setValue(message.showing)  # thinning may have moved the snapshot shown
            elif at_now or not self._snapshots:
                self.slider.setValue(len(self._snapshots))
        self.slider.setEnabled(bool(self._snapshots))
        self._describe()

    def back_to_now(self) -> None:
        self.slider.setValue(self.slider.maximum())

    def _moved(self, _value: int) -> None:
        self._describe()
        self._send.request()

    def _send_position(self) -> None:
        self.show_snapshot.emit(self.showing)

    def _describe(self) -> None:
        showing = self.showing
        self.now_button.setEnabled(showing is not None)
        self.slider.setVisible(bool(self._snapshots))  # an empty slider looks like a checkbox
        for line in self._markers:
            line.setVisible(showing is not None)
            if showing is not None:
                line.setValue(self._snapshots[showing].step)
        if not self._snapshots:
            self.label.setText(NO_SNAPSHOTS)
            self.label.setStyleSheet("color: #55555f;")
        elif showing is None:
            self.label.setText(f"now (live weights) · {len(self._snapshots)} moments kept")
            self.label.setStyleSheet("color: #55555f;")
        else:
            self.label.setText(f"{describe(self._snapshots[showing])} (dashed line)")
            self.label.setStyleSheet("color: #b35c00; font-weight: bold;")
