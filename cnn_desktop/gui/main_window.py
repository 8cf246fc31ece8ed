"""The main window: builds the widgets and wires them to the session; it holds no state of its own.

Everything the app knows lives in the Qt-free ``Session`` (core/app/session.py), and everything heavy
happens in the worker's engine. The window places the views (each takes the session and subscribes
to the facts it shows), connects the menus and toolbar to the session's methods, and shows problems.
"""

from __future__ import annotations

from pathlib import Path


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

from cnn_desktop.core.tasks import Task
from cnn_desktop.core.app.session import Session
from cnn_desktop.gui.canvas import DrawingCanvas
from cnn_desktop.gui.collection_view import CollectionView
from cnn_desktop.gui.compare_window import add_compare_action
from cnn_desktop.gui.export_actions import ExportActions
from cnn_desktop.gui.first_run_hint import FirstRunHint
from cnn_desktop.gui.import_actions import ImportActions, import_summary
from cnn_desktop.gui.input_view import InputView
from cnn_desktop.gui.inspection.hub import InspectionViews
from cnn_desktop.gui.label_bar import LabelBar
from cnn_desktop.gui.project_actions import ProjectActions
from cnn_desktop.gui.quick_fix_offer import QuickFixOffer
from cnn_desktop.gui.panels.network_overview import NetworkOverview
from cnn_desktop.gui.panels.network_views import FiltersView
from cnn_desktop.gui.panels.probabilities import ProbabilitiesPanel
from cnn_desktop.gui.project_archive_actions import add_project_archive_actions
from cnn_desktop.gui.read_only_watch import ReadOnlyWatch
from cnn_desktop.gui.skipped_notice import SkippedNotice
from cnn_desktop.gui.training_view import TrainingView
from cnn_desktop.gui.versions_view import VersionsView, ask_keep_stopped
from cnn_desktop.gui.window_settings import LayoutMemory, window_settings
from cnn_desktop.gui.worker import ComputeWorker

FIRST_FRAME_FALLBACK_MS = 1000


class MainWindow(QMainWindow):
    def __init__(self, home: Path | None = None):
        super().__init__()
        self.setWindowTitle("cnn-desktop")
        self.resize(1280, 800)
        self._message_box: QMessageBox | None = None
        self.keep_question: QMessageBox | None = None  # asked after a stopped run
        self._collection_waits = False  # held back while a first count runs (_refresh_collection)
        self.worker = ComputeWorker(self)
        # deliver: a large project's first count, done in a thread, comes back through the worker's
        # queued signal like the engine's messages.
        self.session = Session(self.worker.submit, home, deliver=self.worker.message.emit)
        self.worker.message.connect(self.session.handle)
        self.exports = ExportActions(self.session, self)
        self.imports = ImportActions(self.session, self)
        self.imports.finished.connect(self._import_finished)
        self.projects: ProjectActions | None = None  # made with the toolbar's mode selector
        self.exports.finished.connect(lambda ok, text: self.statusBar().showMessage(text, 8000) if ok
                                      else self.show_problem(text))
        self._build_widgets()
        self._build_docks()
        self._build_menus()
        self._wire()
        self.session.switch_task("digits")  # its commands wait in the worker until the compute thread runs

    # --- starting the compute thread after the first frame ---

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._docks_sized:  # the first show, at the size the window really has
            self._docks_sized = True
            self._size_docks()
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
        session = self.session
        self.canvas = DrawingCanvas()
        self.label_bar = LabelBar(session)
        central = QWidget()
        layout = QVBoxLayout(central)
        self.settings = window_settings(session.home)
        self.first_run_hint = FirstRunHint(session, self.settings)
        self.first_run_hint.setVisible(FirstRunHint.wanted(self.settings))
        layout.addWidget(self.first_run_hint)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.label_bar)
        self.setCentralWidget(central)
        self._build_toolbar()

        # Prediction: the bars, the top class, and the 28x28 input the network actually sees.
        self.probabilities = ProbabilitiesPanel()
        self.probabilities.plot_widget.setMinimumHeight(100)  # room for the see-inside controls at 1280x800
        self.input_view = InputView()
        self.feature_maps = NetworkOverview(session)  # the whole network as one picture
        self.filters = FiltersView(session)
        # See inside: receptive fields, heat maps, "not sure", the timeline, the mistakes (gui/inspect).
        self.inspection = InspectionViews(session, self.canvas, self.input_view, self.feature_maps, self)
        self.prediction_column = QWidget()
        column = QVBoxLayout(self.prediction_column)
        column.addWidget(self.probabilities, 1)
        column.addWidget(self.inspection.threshold)
        row = QHBoxLayout()
        row.addWidget(QLabel("The network sees:"))
        row.addWidget(self.input_view)
        row.addStretch(1)
        column.addLayout(row)
        self.model_label = QLabel()
        self.model_label.setWordWrap(True)
        column.addWidget(self.inspection.saliency)
        column.addWidget(self.inspection.snapshot_label)
        column.addWidget(self.model_label)

        self.maps_column = self.feature_maps
        self.collection = CollectionView()
        self.training_view = TrainingView(session, self.inspection.timeline)
        self.training = self.training_view.controls
        self.curves = self.training_view.curves
        self.inspection.timeline.mark_on(self.curves.loss_plot, self.curves.accuracy_plot)
        self.versions = VersionsView(session)

    def _build_toolbar(self) -> None:
        self.mode_box = QComboBox()  # filled by ProjectActions: the built-in modes and the person's projects
        self.mode_box.setToolTip("Each mode has its own collection of drawings and its own model; "
                                 "File > New project makes one of your own")
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
        self.projects = ProjectActions(self.session, self, self.mode_box)
        self.projects.problem.connect(self.show_problem)
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

    def _build_docks(self) -> None:
        # Drawing in the middle, its prediction on the left, what every layer makes of it on the right;
        # training and the filters it shapes along the bottom, all visible at once at 1280x800. Titles
        # are short: four docks share one tab bar on the right, and longer ones were cut to "Mis...".
        self.docks = {}
        self._dock_areas = {}
        for key, title, widget, area in [
            ("prediction", "Prediction", self.prediction_column, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("feature_maps", "Network", self.maps_column, Qt.DockWidgetArea.RightDockWidgetArea),
            ("collection", "Collection", self.collection, Qt.DockWidgetArea.RightDockWidgetArea),
            ("mistakes", "Mistakes", self.inspection.confusion, Qt.DockWidgetArea.RightDockWidgetArea),
            ("versions", "Versions", self.versions, Qt.DockWidgetArea.RightDockWidgetArea),
            ("training", "Training", self.training_view, Qt.DockWidgetArea.BottomDockWidgetArea),
            ("filters", "Filters the conv layers learn", self.filters, Qt.DockWidgetArea.BottomDockWidgetArea),
        ]:
            dock = QDockWidget(title, self)
            dock.setObjectName(key)
            dock.setWidget(widget)
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                             | QDockWidget.DockWidgetFeature.DockWidgetClosable)
            self.docks[key] = dock
            self._dock_areas[key] = area
        self._arrange_docks()
        self.layout_memory = LayoutMemory(self, self.settings, self._arrange_docks)
        # A layout the person chose comes back as it was; else the docks are sized to the window once
        # it is shown at its real size (maximised, a larger screen), see _size_docks.
        self._docks_sized = self.layout_memory.restore()
        self.statusBar().showMessage("Draw something: the network guesses while you draw.")

    def _arrange_docks(self) -> None:
        """The layout of the first launch; View > Reset layout calls it again."""
        for key, dock in self.docks.items():
            dock.setFloating(False)
            self.addDockWidget(self._dock_areas[key], dock)
            dock.show()
        self.tabifyDockWidget(self.docks["feature_maps"], self.docks["collection"])
        self.tabifyDockWidget(self.docks["collection"], self.docks["mistakes"])
        self.tabifyDockWidget(self.docks["mistakes"], self.docks["versions"])
        self.docks["feature_maps"].raise_()
        self.splitDockWidget(self.docks["training"], self.docks["filters"], Qt.Orientation.Horizontal)
        self._size_docks()

    def _size_docks(self) -> None:
        """The docks' sizes for this window's size: at 1280x800 the prediction column 280 px, the
        network overview 420, training 250 high and the filters 400 wide; larger windows give the
        overview and the plots their share of the extra room rather than all of it to the canvas
        (at 1920x1080 the overview's maps grow from 20 to about 30 px)."""
        width, height = max(self.width(), 1280), max(self.height(), 800)
        left = min(340, 280 * width // 1280)
        right, filters = 420 * width // 1280, 400 * width // 1280
        self.resizeDocks([self.docks["prediction"], self.docks["feature_maps"]], [left, right], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["training"]], [250 * height // 800], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["training"], self.docks["filters"]], [width - filters, filters],
                         Qt.Orientation.Horizontal)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for text, shortcut, slot in [
            ("&Open model…", QKeySequence.StandardKey.Open, self.open_model),
            ("&Save model as…", QKeySequence.StandardKey.SaveAs, self.save_model_as),
            ("&Export model as ONNX…", None, self.exports.export_model),
            ("Export your &drawings…", None, self.exports.export_drawings),
            ("Import &image folder…", None, lambda: self.imports.choose("folder")),
            ("Import a &zip of images…", None, lambda: self.imports.choose("zip")),
            ("Import &MNIST IDX folder…", None, lambda: self.imports.choose("idx")),
        ]:
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)
            action.triggered.connect(slot)
            file_menu.addAction(action)
        self.projects.add_menus(file_menu, self.menuBar())
        file_menu.addSeparator()
        self.project_archives = add_project_archive_actions(file_menu, self.session, self)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        train_action = QAction("&Train", self)
        train_action.setShortcut(QKeySequence("Ctrl+T"))
        train_action.triggered.connect(self.training.start_button.click)
        training_menu = self.menuBar().addMenu("&Training")
        training_menu.addAction(train_action)
        self.compare = add_compare_action(training_menu, self)  # Compare two networks… (gui/compare_window.py)
        view_menu = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        reset_layout = QAction("&Reset layout", self)
        reset_layout.setToolTip("Every panel back where it was at the first launch")
        reset_layout.triggered.connect(self.layout_memory.reset)
        view_menu.addAction(reset_layout)
        view_menu.addSeparator()
        step_through = QAction("Step &through the network…", self)
        step_through.setShortcut(QKeySequence("Ctrl+K"))
        step_through.triggered.connect(self.inspection.open_walkthrough)
        view_menu.addAction(step_through)

    def _wire(self) -> None:
        """The window's own connections: everything not already subscribed by a view."""
        session = self.session
        self.canvas.strokes_changed.connect(session.drawing_changed)
        self.step_through_button.clicked.connect(self.inspection.open_walkthrough)
        self.inspection.confusion.retrain_requested.connect(self.training.start_button.click)
        self.inspection.confusion.changed.connect(self._collection_edited)
        self.collection.changed.connect(session.refresh_counts)
        self.collection.problem.connect(self.show_problem)
        self.docks["collection"].visibilityChanged.connect(lambda visible: visible and self._refresh_collection())

        session.task_changed.connect(self._task_changed)
        # After a first count done in a thread, the collection it held back (only then: every label
        # key also counts, and refreshes the collection itself).
        session.counts_changed.connect(lambda _: self._collection_waits and self._refresh_collection())
        self.skipped_notice = SkippedNotice(session)
        self.statusBar().addPermanentWidget(self.skipped_notice)
        self.quick_fix_offer = QuickFixOffer(session)  # "Teach it your 1 now?" after a label key corrects it
        self.statusBar().addPermanentWidget(self.quick_fix_offer)
        self.read_only_watch = ReadOnlyWatch(session, self)  # a read-only window follows the writer's changes
        self.read_only_watch.refreshed.connect(self._collection_edited_elsewhere)
        session.drawing_added.connect(self._drawing_added)
        session.prediction_changed.connect(self._show_prediction)
        session.threshold_changed.connect(self.probabilities.set_threshold)
        self.probabilities.set_threshold(session.threshold)
        session.model_described.connect(self._describe_model)
        session.model_saved.connect(lambda path: self.statusBar().showMessage(f"Model saved: {path}", 4000))
        session.run_stopped_keep.connect(self._ask_keep_stopped)
        session.problem.connect(self.show_problem)
        session.status.connect(lambda text: self.statusBar().showMessage(text, 4000))

    # --- what the session says ---

    def _task_changed(self, task: Task) -> None:
        if self.keep_question is not None and self.keep_question.isVisible():
            self.keep_question.close()  # the session kept that stopped run as a version only
        if self.session.store is not None:
            self.collection.set_store(self.session.store, refresh=False)
            self._refresh_collection()
        self.probabilities.set_classes(list(task.classes))
        self.canvas.set_hint(task.hint)
        self.canvas.clear()

    def _ask_keep_stopped(self, token: Path) -> None:
        if self.keep_question is not None:  # the last one was answered, or is out of date
            self.keep_question.close()
            self.keep_question.deleteLater()
        self.keep_question = ask_keep_stopped(self, self.session, token)

    def _refresh_collection(self, *_) -> None:
        """Show the collection's newest drawings, if its dock is on screen (one behind another tab is
        hidden), and not while a large project's first count runs in a thread: asking the store then
        would count it all again on this thread. The count's end refreshes it (``counts_changed``)."""
        self._collection_waits = self.session.counting
        if self.docks["collection"].isVisible() and not self.session.counting:
            self.collection.refresh()

    def _drawing_added(self, label: str) -> None:
        self.canvas.clear()
        self._refresh_collection()
        self.statusBar().showMessage(f"Added as '{label}'. Draw the next one.", 4000)

    def _show_prediction(self, message) -> None:
        self.probabilities.show_probabilities(message.probabilities)
        self.input_view.show_image(message.image)

    def _describe_model(self, text: str, trained: bool) -> None:
        self.model_label.setText(f"Model: {text}")
        self.model_label.setStyleSheet("" if trained else "color: #b00020; font-weight: bold;")

    def _collection_edited_elsewhere(self) -> None:
        self._refresh_collection()

    def _collection_edited(self) -> None:
        """Drawings were deleted or relabelled outside the collection view (from the Mistakes panel)."""
        self.session.refresh_counts()
        self._refresh_collection()

    def show_problem(self, text: str) -> None:
        """A one-line problem, shown without blocking (no nested event loop)."""
        self.statusBar().showMessage(text, 10000)
        if self._message_box is None:
            self._message_box = QMessageBox(QMessageBox.Icon.Warning, "cnn-desktop", text, parent=self)
        self._message_box.setText(text)
        self._message_box.open()

    # --- files ---

    def open_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", str(self.session.home),
                                              "cnn-desktop models (*.safetensors);;All files (*)")
        if path:
            self.session.open_model(Path(path))

    def save_model_as(self) -> None:
        task = self.session.task
        path, _ = QFileDialog.getSaveFileName(self, "Save model", str(self.session.home / f"{task.name}.safetensors"),
                                              "cnn-desktop models (*.safetensors)")
        if path:
            self.session.save_model_as(Path(path))

    def _import_finished(self, added: int, left_out: tuple[str, ...], problem: str) -> None:
        if problem:
            self.show_problem(problem)
        else:
            self.statusBar().showMessage(import_summary(added, left_out), 10000 if left_out else 6000)
        if self.session.store is not None:
            self.collection.set_store(self.session.store)
        self.session.refresh_counts()

    # --- closing ---

    def closeEvent(self, event: QCloseEvent) -> None:
        self.layout_memory.save()  # where the person put the docks comes back at the next launch
        self.session.close()  # a run in progress is stopped, and what it trained is kept as a version
        self.imports.cancel()
        self.worker.shutdown(timeout=1.0)
        super().closeEvent(event)
