"""The main window: builds the widgets, wires them to the compute worker, computes nothing itself.

Everything heavy happens in the worker's engine. The window sends commands (the newest drawing to
classify, start/pause/stop training, which model to use) and shows the messages that come back, each
kind routed to the panel that shows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSlider,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from cnn_desktop.core.errors import CnnDesktopError, EmptyDrawingError
from cnn_desktop.core.messages import (
    CollectionEvaluation,
    EngineError,
    Filters,
    ModelReady,
    ModelSaved,
    PauseTraining,
    Predict,
    Prediction,
    ResumeTraining,
    SaveModel,
    StartTraining,
    StopTraining,
    TrainingEpoch,
    TrainingStarted,
    TrainingState,
    Timeline,
    TrainingSteps,
    UseModel,
)
from cnn_desktop.core.geometry import layer_geometry
from cnn_desktop.core.paths import collection_dir, data_home, user_model_path
from cnn_desktop.core.preprocess import preprocess
from cnn_desktop.core.presets import PRESETS, Preset
from cnn_desktop.core.spec import ModelSpec, TrainConfig
from cnn_desktop.core.store import DrawingStore
from cnn_desktop.gui.canvas import DrawingCanvas
from cnn_desktop.gui.collection_view import CollectionView
from cnn_desktop.gui.import_job import ImportJob
from cnn_desktop.gui.input_view import InputView
from cnn_desktop.gui.inspect.hub import SeeInside
from cnn_desktop.gui.label_bar import LabelBar
from cnn_desktop.gui.panels.curves import CurvesPanel
from cnn_desktop.gui.panels.layers import LayerStackPanel
from cnn_desktop.gui.panels.probabilities import ProbabilitiesPanel
from cnn_desktop.gui.training_controls import TrainingControls
from cnn_desktop.gui.worker import ComputeWorker

# Settings the app starts with for training on a person's own (small) collection.
APP_TRAIN_CONFIG = TrainConfig(epochs=15, batch_size=32, learning_rate=0.002)
FIRST_FRAME_FALLBACK_MS = 1000
HINTS = {"digits": "Draw a digit here", "ticks-crosses": "Draw a tick or a cross here"}
LAYER_VERBS = {"conv": "convolution", "relu": "ReLU", "pool": "max-pool", "fc": "fully connected"}


def describe_layers(spec: ModelSpec) -> list[tuple[str, str]]:
    """(name, one-line description) for each layer worth showing as feature maps."""
    described = []
    for geo in layer_geometry(spec)[1:]:
        if geo.kind in ("flatten", "dropout"):
            continue  # flatten only reshapes; dropout does nothing once trained
        if geo.size > 1:
            what = f"{geo.channels} maps {geo.size}×{geo.size}"
        else:
            what = f"{geo.channels} units"
        if geo.kind == "conv":
            verb = f"convolution {geo.kernel}×{geo.kernel}, {geo.channels} filters"
        elif geo.kind == "pool":
            verb = f"max-pool {geo.kernel}×{geo.kernel}, stride {geo.stride}"
        elif geo.name == "out":
            verb, what = "output scores", f"{geo.channels} classes (softmax turns them into probabilities)"
        else:
            verb = LAYER_VERBS.get(geo.kind, geo.kind)
        described.append((geo.name, f"{verb} → {what}"))
    return described


def as_tiles(activation: np.ndarray) -> tuple[np.ndarray, int | None]:
    """A layer's output as a stack of 2-D tiles: maps stay maps; a vector becomes one strip-shaped tile."""
    if activation.ndim == 3:
        return activation, None
    flat = activation.reshape(-1)
    columns = 16 if flat.size > 16 else flat.size
    rows = -(-flat.size // columns)
    padded = np.zeros(rows * columns, np.float32)
    padded[: flat.size] = flat
    return padded.reshape(1, rows, columns), 1


def import_summary(added: int, left_out: Sequence[str]) -> str:
    """"Imported 4 drawings." and, when some files were left out, how many and the first of them."""
    text = f"Imported {added} drawings."
    if left_out:
        more = f" (and {len(left_out) - 1} more)" if len(left_out) > 1 else ""
        text += f" Left out {len(left_out)}: {left_out[0]}{more}."
    return text


class MainWindow(QMainWindow):
    def __init__(self, home: Path | None = None):
        super().__init__()
        self.home = Path(home) if home else data_home()
        self.setWindowTitle("cnn-desktop")
        self.resize(1280, 800)
        self.preset: Preset = PRESETS["digits"]
        self.store: DrawingStore | None = None
        self._request_id = 0
        self._shown_request = -1
        self._training = False
        self._save_trained_model = False  # set when a run ends well; the ModelReady that follows saves it
        self._asked_from_scratch = False  # what the last Train asked for, to name the model while it runs
        self._adopt_path: Path | None = None  # a model file opened by the person, saved as theirs once it loads
        self._label_shortcuts: list[QShortcut] = []
        self._import_job: ImportJob | None = None
        self._message_box: QMessageBox | None = None

        self.worker = ComputeWorker(self)
        self.worker.message.connect(self._on_message)
        self._build_widgets()
        self._build_menus()
        self.switch_mode("digits")  # its commands wait in the worker until the compute thread runs

    # --- starting the compute thread after the first frame ---

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.worker.running:
            # The compute thread imports torch (~1 s of Python holding the GIL much of the time). Started
            # before the window was built and painted, it slowed that down by ~0.6 s; started after the
            # first frame, the window appears first and torch loads while the person looks at it.
            self.canvas.installEventFilter(self)
            # Should no paint come (a window shown minimised), start anyway, a little later.
            QTimer.singleShot(FIRST_FRAME_FALLBACK_MS, self.worker, self.worker.start)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.canvas and event.type() == QEvent.Type.Paint:
            self.canvas.removeEventFilter(self)
            QTimer.singleShot(0, self.worker, self.worker.start)  # once this frame is finished
        return super().eventFilter(watched, event)

    # --- construction ---

    def _build_widgets(self) -> None:
        self.canvas = DrawingCanvas()
        self.canvas.strokes_changed.connect(self._drawing_changed)
        self.label_bar = LabelBar()
        self.label_bar.label_chosen.connect(self.add_drawing)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.label_bar)
        self.setCentralWidget(central)

        self.mode_box = QComboBox()
        for preset in PRESETS.values():
            self.mode_box.addItem(preset.title, preset.name)
        self.mode_box.setToolTip("Each mode has its own collection of drawings and its own model")
        self.mode_box.currentIndexChanged.connect(lambda _: self.switch_mode(self.mode_box.currentData()))
        self.brush = QSlider(Qt.Orientation.Horizontal, minimum=2, maximum=60, value=int(self.canvas.brush_size))
        self.brush.setFixedWidth(120)
        self.brush.setToolTip("Brush size (the network sees the same stroke width whatever you choose)")
        self.brush.valueChanged.connect(self.canvas.set_brush_size)
        self.eraser = QPushButton("Eraser")
        self.eraser.setCheckable(True)
        self.eraser.setToolTip("Erase parts of strokes (E)")
        self.eraser.toggled.connect(self.canvas.set_eraser_mode)
        QShortcut(QKeySequence("E"), self, self.eraser.toggle)
        toolbar = QToolBar("Drawing")
        toolbar.setObjectName("drawing-toolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(QLabel(" Mode "))
        toolbar.addWidget(self.mode_box)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Brush "))
        toolbar.addWidget(self.brush)
        toolbar.addWidget(self.eraser)
        for text, tip, slot in [("Undo", "Ctrl+Z", self.canvas.undo), ("Redo", "Ctrl+Shift+Z", self.canvas.redo),
                                ("Clear", "Esc", self.canvas.clear)]:
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            toolbar.addWidget(button)
        toolbar.addSeparator()
        self.step_through_button = QPushButton("Step through…")
        self.step_through_button.setToolTip("Watch a filter slide over your drawing, then ReLU, pooling and softmax")
        toolbar.addWidget(self.step_through_button)
        self.addToolBar(toolbar)

        # Prediction: the bars, the top class, and the 28x28 input the network actually sees.
        self.probabilities = ProbabilitiesPanel()
        self.probabilities.headline.setWordWrap(True)  # "Not sure — maybe 7 (45%)" must not widen the dock
        self.probabilities.plot_widget.setMinimumHeight(100)  # room for the see-inside controls at 1280x800
        self.input_view = InputView()
        self.feature_maps = LayerStackPanel()
        # See inside: receptive fields, heat maps, "not sure", the timeline, the mistakes (gui/inspect).
        self.inside = SeeInside(self.canvas, self.input_view, self.feature_maps, self.probabilities,
                                self.worker.submit, self)
        self.inside.predict_again.connect(lambda: self._drawing_changed(self.canvas.strokes()))
        self.step_through_button.clicked.connect(self.inside.open_walkthrough)
        prediction = QWidget()
        column = QVBoxLayout(prediction)
        column.addWidget(self.probabilities, 1)
        column.addWidget(self.inside.threshold)
        row = QHBoxLayout()
        row.addWidget(QLabel("The network sees:"))
        row.addWidget(self.input_view)
        row.addStretch(1)
        column.addLayout(row)
        self.model_label = QLabel()
        self.model_label.setWordWrap(True)
        column.addWidget(self.inside.saliency)
        column.addWidget(self.inside.snapshot_label)
        column.addWidget(self.model_label)

        maps = QWidget()
        maps_column = QVBoxLayout(maps)
        maps_column.setContentsMargins(0, 0, 0, 0)
        maps_column.addWidget(self.feature_maps, 1)
        maps_column.addWidget(self.inside.receptive)
        self.inside.confusion.retrain_requested.connect(lambda: self.training.start_button.click())
        self.inside.confusion.changed.connect(self._collection_edited)
        self.filters = LayerStackPanel()
        self.collection = CollectionView()
        self.collection.changed.connect(self._update_counts)
        self.collection.problem.connect(self.show_problem)
        self.training = TrainingControls()
        self.training.start_requested.connect(self.start_training)
        self.training.pause_requested.connect(lambda: self.worker.submit(PauseTraining()))
        self.training.resume_requested.connect(lambda: self.worker.submit(ResumeTraining()))
        self.training.stop_requested.connect(lambda: self.worker.submit(StopTraining()))
        self.curves = CurvesPanel()
        training = QWidget()
        row = QHBoxLayout(training)
        row.addWidget(self.training)
        curves_column = QVBoxLayout()
        curves_column.addWidget(self.curves, 1)
        curves_column.addWidget(self.inside.timeline)
        self.inside.timeline.mark_on(self.curves.loss_plot, self.curves.accuracy_plot)
        row.addLayout(curves_column, 1)

        # Drawing in the middle, its prediction on the left, what every layer makes of it on the right;
        # training and the filters it shapes along the bottom, all visible at once at 1280x800.
        self.docks = {}
        for key, title, widget, area in [
            ("prediction", "Prediction", prediction, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("feature_maps", "Feature maps of your drawing", maps, Qt.DockWidgetArea.RightDockWidgetArea),
            ("collection", "Your collection", self.collection, Qt.DockWidgetArea.RightDockWidgetArea),
            ("mistakes", "Mistakes", self.inside.confusion, Qt.DockWidgetArea.RightDockWidgetArea),
            ("training", "Training", training, Qt.DockWidgetArea.BottomDockWidgetArea),
            ("filters", "Filters the conv layers learn", self.filters, Qt.DockWidgetArea.BottomDockWidgetArea),
        ]:
            dock = QDockWidget(title, self)
            dock.setObjectName(key)
            dock.setWidget(widget)
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                             | QDockWidget.DockWidgetFeature.DockWidgetClosable)
            self.addDockWidget(area, dock)
            self.docks[key] = dock
        self.tabifyDockWidget(self.docks["feature_maps"], self.docks["collection"])
        self.tabifyDockWidget(self.docks["collection"], self.docks["mistakes"])
        self.docks["feature_maps"].raise_()
        self.splitDockWidget(self.docks["training"], self.docks["filters"], Qt.Orientation.Horizontal)
        self.docks["collection"].visibilityChanged.connect(lambda visible: visible and self.collection.refresh())
        self.resizeDocks([self.docks["prediction"], self.docks["feature_maps"]], [280, 420], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["training"]], [250], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["training"], self.docks["filters"]], [880, 400], Qt.Orientation.Horizontal)
        self.statusBar().showMessage("Draw something: the network guesses while you draw.")

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for text, shortcut, slot in [
            ("&Open model…", QKeySequence.StandardKey.Open, self.open_model),
            ("&Save model as…", QKeySequence.StandardKey.SaveAs, self.save_model_as),
            ("Import &MNIST IDX folder…", None, lambda: self.import_data("MNIST IDX folder")),
            ("Import &image folder…", None, lambda: self.import_data("image folder (<folder>/<label>/*.png)")),
            ("&Quit", QKeySequence.StandardKey.Quit, self.close),
        ]:
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)
            action.triggered.connect(slot)
            file_menu.addAction(action)
        train_action = QAction("&Train", self)
        train_action.setShortcut(QKeySequence("Ctrl+T"))
        train_action.triggered.connect(self.training.start_button.click)
        self.menuBar().addMenu("&Training").addAction(train_action)
        view_menu = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        step_through = QAction("Step &through the network…", self)
        step_through.setShortcut(QKeySequence("Ctrl+K"))
        step_through.triggered.connect(self.inside.open_walkthrough)
        view_menu.addAction(step_through)

    # --- modes ---

    def switch_mode(self, name: str) -> None:
        if self._training:
            # Switching mid-training ends the run; the model it trained is saved under its own mode
            # before the other mode's model is loaded (the engine takes commands in order).
            self.worker.submit(StopTraining())
            self._save_current_model()
        self._save_trained_model = False  # the run's ModelReady arrives after the switch: not this mode's
        self._adopt_path = None
        self.preset = PRESETS[name]
        index = self.mode_box.findData(name)
        if self.mode_box.currentIndex() != index:
            self.mode_box.blockSignals(True)
            self.mode_box.setCurrentIndex(index)
            self.mode_box.blockSignals(False)
        try:
            self.store = DrawingStore(collection_dir(self.preset, self.home), self.preset.classes)
        except CnnDesktopError as error:
            self.store = None
            self.show_problem(f"{error} (drawings cannot be saved)")
        self.label_bar.set_classes(self.preset.classes, self.preset.keys)
        self._bind_label_keys()
        self._update_counts()
        if self.store is not None:
            self.collection.set_store(self.store)
        self.inside.set_store(self.store)
        self.inside.set_classes(self.preset.classes)
        self.probabilities.set_classes(list(self.preset.classes))
        self.training.set_defaults(APP_TRAIN_CONFIG)
        self.canvas.set_hint(HINTS[name])
        self.canvas.clear()
        spec = self.preset.spec()
        self.feature_maps.set_layers(describe_layers(spec))
        user_model, bundled = user_model_path(self.preset, self.home), self.preset.bundled_model_path()
        use_bundled = UseModel(bundled, spec, f"bundled {self.preset.title.lower()} model") if bundled.exists() else None
        if user_model.exists():  # one that cannot be read is said so, and the bundled one used instead
            self.worker.submit(UseModel(user_model, spec, "your trained model", fallback=use_bundled))
        elif use_bundled is not None:
            self.worker.submit(use_bundled)
        else:
            self.worker.submit(UseModel(None, spec, "untrained network"))

    def _bind_label_keys(self) -> None:
        for shortcut in self._label_shortcuts:
            shortcut.setEnabled(False)
            shortcut.deleteLater()
        self._label_shortcuts = []
        for name, key in zip(self.preset.classes, self.preset.keys):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.activated.connect(lambda n=name: self.add_drawing(n))
            self._label_shortcuts.append(shortcut)

    # --- drawing and labelling ---

    def _drawing_changed(self, strokes) -> None:
        self._request_id += 1
        self.worker.submit(Predict(self._request_id, strokes, *self.inside.saliency_request()))

    def add_drawing(self, label: str) -> None:
        """Store the current drawing as an example of ``label`` and clear the canvas for the next one."""
        if self.store is None:
            self.show_problem("the collection folder cannot be written; the drawing was not saved")
            return
        strokes = self.canvas.strokes()
        try:
            raster = preprocess(strokes)
        except EmptyDrawingError:
            self.statusBar().showMessage("Nothing to add: the canvas is empty.", 4000)
            return
        try:
            self.store.add(label, raster, strokes)
        except CnnDesktopError as error:
            self.show_problem(str(error))
            return
        self.canvas.clear()
        self._update_counts()
        if self.docks["collection"].isVisible():  # a dock behind another tab is hidden
            self.collection.refresh()
        self.statusBar().showMessage(f"Added as '{label}'. Draw the next one.", 4000)

    def _update_counts(self) -> None:
        if self.store is not None:
            self.label_bar.set_counts(self.store.counts())

    def _collection_edited(self) -> None:
        """Drawings were deleted or relabelled outside the collection view (from the Mistakes panel)."""
        self._update_counts()
        if self.docks["collection"].isVisible():
            self.collection.refresh()

    # --- training ---

    def start_training(self, config: TrainConfig, from_scratch: bool) -> None:
        if self.store is None:
            self.training.set_state("failed", "No collection to train on.")
            return
        self._asked_from_scratch = from_scratch
        self.worker.submit(StartTraining(self.store.root, config, from_scratch))

    # --- models ---

    def open_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", str(self.home), "cnn-desktop models (*.safetensors);;All files (*)")
        if path:
            self.open_model_file(Path(path))

    def open_model_file(self, path: Path) -> None:
        """Use a model file in this mode; once it loads, it is kept as the person's model for the mode."""
        self._adopt_path = path
        self.worker.submit(UseModel(path, self.preset.spec(), path.name, fallback_to_fresh=False))

    def save_model_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save model", str(self.home / f"{self.preset.name}.safetensors"),
                                              "cnn-desktop models (*.safetensors)")
        if path:
            self.worker.submit(SaveModel(Path(path)))

    def import_data(self, kind: str) -> None:
        if self.store is None or self._import_job is not None:
            return
        folder = QFileDialog.getExistingDirectory(self, f"Import an {kind} into your collection")
        if folder:
            self.start_import(Path(folder))

    def start_import(self, folder: Path) -> ImportJob:
        """Import a data set into the current collection in the background."""
        job = ImportJob(folder, self.store.root, self.preset.classes, self)
        job.progress.connect(lambda done, total: self.statusBar().showMessage(f"Importing {done}/{total}…"))
        job.finished.connect(self._import_finished)
        self._import_job = job
        job.start()
        return job

    def _import_finished(self, added: int, left_out: tuple[str, ...], problem: str) -> None:
        self._import_job = None
        if problem:
            self.show_problem(problem)
        else:
            self.statusBar().showMessage(import_summary(added, left_out), 10000 if left_out else 6000)
        if self.store is not None:
            self.collection.set_store(self.store)
        self._update_counts()

    # --- messages from the worker ---

    def _on_message(self, message) -> None:
        handler = {
            Prediction: self._show_prediction,
            Filters: self._show_filters,
            ModelReady: self._model_ready,
            TrainingStarted: self._training_started,
            TrainingSteps: self._training_steps,
            TrainingEpoch: self._training_epoch,
            TrainingState: self._training_state,
            ModelSaved: lambda m: self.statusBar().showMessage(f"Model saved: {m.path}", 4000),
            EngineError: self._engine_error,
            Timeline: self.inside.show_timeline,
            CollectionEvaluation: self.inside.show_evaluation,
        }.get(type(message))
        if handler is not None:
            handler(message)

    def _show_prediction(self, message: Prediction) -> None:
        if message.request_id < self._shown_request or message.classes != self.preset.classes:
            return  # an answer to a drawing that has since changed, or from the other mode's model
        self._shown_request = message.request_id
        self.probabilities.show_probabilities(message.probabilities)
        self.input_view.show_image(message.image)
        for name in self.feature_maps.layer_names():
            activation = message.activations.get(name)
            if activation is None:
                continue
            tiles, columns = as_tiles(activation)
            self.feature_maps.show_layer(name, tiles, diverging=name.startswith(("conv", "fc", "out")), columns=columns)
        self.inside.show_prediction(message)

    def _show_filters(self, message: Filters) -> None:
        self.inside.show_filters(message)
        layers = [(name, self._filter_title(weights)) for name, weights, _ in message.layers]
        if self.filters.layer_names() != [name for name, _ in layers]:
            self.filters.set_layers(layers)
        for name, weights, _ in message.layers:
            out_channels, in_channels, k, _ = weights.shape
            # One row per filter, one column per input map it reads: the whole weight tensor on screen.
            self.filters.show_layer(name, weights.reshape(out_channels * in_channels, k, k), diverging=True,
                                    columns=in_channels if in_channels > 1 else min(out_channels, 8))

    @staticmethod
    def _filter_title(weights: np.ndarray) -> str:
        out_channels, in_channels, k, _ = weights.shape
        if in_channels == 1:
            return f"{out_channels} filters of {k}×{k} (red positive, blue negative)"
        return f"{out_channels} filters (rows) × {in_channels} input maps (columns), {k}×{k} each"

    def _model_ready(self, message: ModelReady) -> None:
        self.inside.model_ready(message)
        advice = "" if message.trained else ": train it, or open a model"
        self.model_label.setText(f"Model: {message.label}{advice} · {message.parameters:,} parameters")
        self.model_label.setStyleSheet("" if message.trained else "color: #b00020; font-weight: bold;")
        if message.spec.classes != self.preset.classes:
            return  # the other mode's model, announced after a switch
        adopted = message.origin == "file" and message.path is not None and message.path == self._adopt_path
        if adopted or (message.origin == "training" and self._save_trained_model):
            self._save_trained_model = False
            self._adopt_path = None
            self._save_current_model()

    def _save_current_model(self) -> None:
        """Have the engine save its model as this mode's own, to be loaded again at the next launch."""
        path = user_model_path(self.preset, self.home)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self.show_problem(f"{path.parent}: cannot create the models folder ({error.strerror})")
            return
        self.worker.submit(SaveModel(path))

    def _training_started(self, message: TrainingStarted) -> None:
        if self._asked_from_scratch:
            # The engine has replaced the model with new random weights: the guesses on screen are theirs.
            self.model_label.setText("Model: a new network, training from scratch")
            self.model_label.setStyleSheet("")
        self.curves.clear(message.total_steps)  # lets the x axes show how far the run has to go
        self.training.training_started(message.total_steps, message.config.epochs, message.train_size, message.val_size)

    def _training_steps(self, message: TrainingSteps) -> None:
        steps = message.steps
        self.curves.add_steps([s.step for s in steps], [s.loss for s in steps], [s.accuracy for s in steps])
        self.training.show_step(message.last)  # the status line only ever shows the newest

    def _training_epoch(self, message: TrainingEpoch) -> None:
        info = message.info
        self.curves.add_epoch(info.epoch, info.step, info.train_loss, info.train_accuracy, info.val_loss, info.val_accuracy)
        self.training.show_epoch(info)

    def _training_state(self, message: TrainingState) -> None:
        self._training = message.state in ("running", "paused")
        self.training.set_state(message.state, message.message)
        # A run that finished or was stopped is worth keeping; a failed one was rolled back by the engine.
        self._save_trained_model = message.state in ("finished", "stopped")
        if message.state == "failed":
            self.show_problem(message.message)

    def _engine_error(self, message: EngineError) -> None:
        if self.training.state == "starting":
            self.training.set_state("failed", message.message)
        self._adopt_path = None  # whatever was being opened, it was refused
        self.show_problem(message.message)

    def show_problem(self, text: str) -> None:
        """A one-line problem, shown without blocking (no nested event loop)."""
        self.statusBar().showMessage(text, 10000)
        if self._message_box is None:
            self._message_box = QMessageBox(QMessageBox.Icon.Warning, "cnn-desktop", text, parent=self)
        self._message_box.setText(text)
        self._message_box.open()

    # --- closing ---

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._training:
            self._save_trained_model = False
            self.worker.submit(StopTraining())
            self._save_current_model()
        if self._import_job is not None:
            self._import_job.cancel()
        self.worker.shutdown(timeout=1.0)
        super().closeEvent(event)
