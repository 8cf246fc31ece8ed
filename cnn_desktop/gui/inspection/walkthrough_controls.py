"""The walkthrough's controls: layer, filter, input map and stage choosers, and the player (start over,
step back, play/pause, step on, a position slider, the speed). They show a ``WalkthroughState`` and
forward every click to it; the player's clock only ticks it. The stage tabs are named as the chosen
layer has them (its activation and pooling, or none), from the state's ``stage_titles``."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, QTimer, Qt
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QSpinBox, QTabBar, QVBoxLayout, QWidget)

from cnn_desktop.core.inspection.walkthrough_state import WalkthroughState

SPEEDS = (("slow", 700), ("medium", 150), ("fast", 25))  # milliseconds per step
PLAY, PAUSE = "▶ Play", "Pause"


class WalkthroughControls(QWidget):
    def __init__(self, state: WalkthroughState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.layer_box = QComboBox()
        self.layer_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.layer_box.setToolTip("Which conv layer to step through")
        self.filter_spin = QSpinBox(minimum=0, maximum=0)
        self.filter_spin.setToolTip("Which of the layer's filters")
        self.channel_spin = QSpinBox(minimum=0, maximum=0)
        self.channel_spin.setToolTip("A filter of a later layer reads every map of the layer before; "
                                     "this picks the map shown (the sum uses them all)")
        self.channel_label = QLabel("input map")
        self.stage_bar = QTabBar()
        for name in state.stage_titles():  # renamed for each layer: "2 · tanh", "3 · Average pooling"...
            self.stage_bar.addTab(name)
        self.stage_bar.setExpanding(False)
        self.restart_button = QPushButton("Start over")
        self.back_button = QPushButton("◀ Step")
        self.play_button = QPushButton(PLAY)
        self.play_button.setCheckable(True)
        self.forward_button = QPushButton("Step ▶")
        self.slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=0)
        self.speed_box = QComboBox()
        for words, ms in SPEEDS:
            self.speed_box.addItem(words, ms)
        self.speed_box.setCurrentIndex(1)
        self.speed_box.setToolTip("Animation speed")
        self.position_label = QLabel()
        self.position_label.setMinimumWidth(110)
        self.timer = QTimer(self)
        self.timer.setInterval(self.speed_box.currentData())
        self._layers: tuple[tuple[str, int], ...] = ()

        choose = QHBoxLayout()
        for widget in (QLabel("Layer"), self.layer_box, QLabel("filter"), self.filter_spin, self.channel_label,
                       self.channel_spin):
            choose.addWidget(widget)
        choose.addSpacing(16)
        choose.addWidget(self.stage_bar)
        choose.addStretch(1)
        play = QHBoxLayout()
        for widget in (self.restart_button, self.back_button, self.play_button, self.forward_button):
            play.addWidget(widget)
        play.addWidget(self.slider, 1)
        play.addWidget(self.position_label)
        play.addWidget(QLabel("speed"))
        play.addWidget(self.speed_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(choose)
        layout.addLayout(play)

        # What the person does goes to the state ...
        self.layer_box.currentIndexChanged.connect(lambda _: state.choose_layer(self.layer_box.currentData()))
        self.filter_spin.valueChanged.connect(state.choose_filter)
        self.channel_spin.valueChanged.connect(state.choose_channel)
        self.stage_bar.currentChanged.connect(state.set_stage)
        self.restart_button.clicked.connect(state.restart)
        self.back_button.clicked.connect(state.back)
        self.forward_button.clicked.connect(state.forward)
        self.play_button.toggled.connect(self._play_toggled)
        self.slider.valueChanged.connect(state.seek)
        self.speed_box.currentIndexChanged.connect(lambda _: self.timer.setInterval(self.speed_box.currentData()))
        self.timer.timeout.connect(state.tick)
        # ... and what the state says comes back here.
        state.walk_changed.connect(self._show_walk)
        state.position_changed.connect(self._show_position)
        state.channel_changed.connect(self._show_channel)
        state.playing_changed.connect(self._show_playing)
        self._show_walk()

    def _show_walk(self) -> None:
        state = self.state
        if state.conv_layers != self._layers:
            self._layers = state.conv_layers
            with QSignalBlocker(self.layer_box):
                self.layer_box.clear()
                for name, filters in state.conv_layers:
                    self.layer_box.addItem(f"{name} ({filters} filters)", name)
        with QSignalBlocker(self.layer_box):
            self.layer_box.setCurrentIndex(self.layer_box.findData(state.layer))
        enabled = state.walk is not None
        if enabled:
            for spin, count, value in ((self.filter_spin, state.filter_count, state.filter),
                                       (self.channel_spin, state.channel_count, state.channel)):
                with QSignalBlocker(spin):
                    spin.setMaximum(max(0, count - 1))
                    spin.setValue(value)
            multi = state.channel_count > 1
            self.channel_spin.setVisible(multi)
            self.channel_label.setVisible(multi)
        for widget in (self.slider, self.play_button, self.back_button, self.forward_button, self.restart_button,
                       self.stage_bar, self.filter_spin):
            widget.setEnabled(enabled)
        for index, title in enumerate(state.stage_titles()):
            self.stage_bar.setTabText(index, title)
        self._show_position(state.stage, state.position)

    def _show_position(self, stage: int, position: int) -> None:
        length = self.state.stage_length()
        with QSignalBlocker(self.slider):
            self.slider.setMaximum(length - 1)
            self.slider.setValue(position)
        with QSignalBlocker(self.stage_bar):
            self.stage_bar.setCurrentIndex(stage)
        self.position_label.setText(f"{position + 1} / {length}" if self.state.walk is not None else "")

    def _show_channel(self, channel: int) -> None:
        with QSignalBlocker(self.channel_spin):
            self.channel_spin.setValue(channel)

    def _play_toggled(self, on: bool) -> None:
        self.state.play(on)
        self._show_playing(self.state.playing)  # it does not play without a walk: the button pops back up

    def _show_playing(self, on: bool) -> None:
        if on:
            self.timer.start()
        else:
            self.timer.stop()
        self.play_button.setText(PAUSE if on else PLAY)
        with QSignalBlocker(self.play_button):
            self.play_button.setChecked(on)
