"""The whole network as one picture: the drawing, every layer's maps as a column, then the output.

The layer list comes from the loaded model's spec (``Session.model_changed``), so any network the
editor allows, or any model file opened, is drawn as it really is. Pointing at a unit names it in a
tooltip (layer, map, position, value, receptive field) and lights up what it sees on the drawing;
with "Connections" on, lines run from it to what it reads in the column before. A click on a map
opens it enlarged with its kernel and its receptive field (gui/inspection/receptive.py).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QCheckBox, QFrame, QGraphicsPathItem, QGraphicsScene, QGraphicsView, QHBoxLayout, QLabel, QToolTip,
    QVBoxLayout, QWidget)

from cnn_desktop.core.app.messages import Filters, Prediction
from cnn_desktop.core.app.session import Session
from cnn_desktop.core.inspection.presentation import describe_layers, signed_layers
from cnn_desktop.core.inspection.receptive_fields import UnitInfo, describe_unit
from cnn_desktop.core.network.spec import ModelSpec
from cnn_desktop.gui.panels.network_overview_items import OverviewColumn, title_font
from cnn_desktop.gui.panels.network_overview_layout import ColumnBox, layout_columns, plan_columns, reads_from
from cnn_desktop.gui.throttle import Throttle

REDRAW_INTERVAL_MS = 33  # at most ~30 redraws a second, as the other live views
HINT = "Point at a unit for its details · click a map to enlarge it"
HIGHLIGHT = QColor("#d9480f")
LINK_COLOUR = QColor(217, 72, 15, 110)


class _OverviewScene(QGraphicsView):
    """The view the columns are drawn in, one scene pixel per screen pixel (never scaled): the layout
    is recomputed for its size instead, so titles and maps stay crisp."""

    moved = Signal(object)  # scene QPointF under the pointer, or None when it left
    clicked = Signal(object)  # scene QPointF
    resized = Signal()
    # pyqtgraph items look for these on the view they are in (as on its GraphicsView); never scaled, the
    # view has no range changes to tell them about.
    sigDeviceRangeChanged = Signal(object, object)
    sigDeviceTransformChanged = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.setScene(QGraphicsScene(self))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(QColor("white"))
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)

    def mouseMoveEvent(self, event) -> None:
        self.moved.emit(self.mapToScene(event.position().toPoint()))
        super().mouseMoveEvent(event)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.mapToScene(event.position().toPoint()))
        super().mousePressEvent(event)

    def leaveEvent(self, event) -> None:
        self.moved.emit(None)
        super().leaveEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.resized.emit()


class NetworkOverview(QWidget):
    """The "see inside" picture of the network, fed by the session."""

    unit_hovered = Signal(object)  # UnitInfo under the pointer, or None
    map_clicked = Signal(str, int, int, int)  # layer, map (or unit), row, column

    def __init__(self, session: Session | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec: ModelSpec | None = None
        self.columns: list[OverviewColumn] = []
        self.prediction: Prediction | None = None
        self.filters: Filters | None = None
        self.hover_text = ""  # what the tooltip says now ("" when the pointer is on no unit)
        self.hovered: tuple[str, int, int, int] | None = None
        self._pending: Prediction | None = None
        self._pointer: QPointF | None = None
        self._last_emitted: tuple | None = (None, None)
        self.detail = None  # the enlarged map (gui/inspection/receptive.MapDetail), made on the first click

        self.view = _OverviewScene()
        self.scene = self.view.scene()
        self.links = QGraphicsPathItem()
        self.links.setPen(QPen(LINK_COLOUR, 0))  # 0: cosmetic, one pixel whatever the scale
        self.links.setZValue(10)
        self.regions = QGraphicsPathItem()
        self.regions.setPen(QPen(HIGHLIGHT, 0))
        self.regions.setZValue(11)
        self.scene.addItem(self.links)
        self.scene.addItem(self.regions)

        self.connections = QCheckBox("Connections")
        self.connections.setToolTip("Lines from the unit under the pointer to what it reads in the layer before")
        self.connections.toggled.connect(lambda _on: self._point(self._pointer))
        self.hint = QLabel(HINT)
        self.hint.setStyleSheet("color: #55555f;")
        footer = QHBoxLayout()
        footer.setContentsMargins(4, 0, 4, 2)
        footer.addWidget(self.connections)
        footer.addWidget(self.hint, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.view, 1)
        layout.addLayout(footer)
        self.setMinimumSize(260, 240)

        self.view.moved.connect(self._point)
        self.view.clicked.connect(self._click)
        self.view.resized.connect(self._relayout)
        # A sideways scroll moves the columns under a still pointer: what it named is no longer there.
        self.view.horizontalScrollBar().valueChanged.connect(lambda _value: self._point(None))
        self._redraw = Throttle(REDRAW_INTERVAL_MS, self._draw, leading=False, parent=self)

        if session is not None:
            session.model_changed.connect(lambda message: self.set_spec(message.spec))
            session.prediction_changed.connect(self.show_prediction)
            session.filters_changed.connect(self.set_filters)
            if session.model is not None:
                self.set_spec(session.model.spec)

    # --- what the session says ---

    def set_spec(self, spec: ModelSpec) -> None:
        """Build the columns of ``spec``'s layers (the same spec again keeps them)."""
        if spec == self.spec:
            return
        for column in self.columns:
            column.remove(self.scene)
        self.spec = spec
        described = dict(describe_layers(spec))
        described["input"] = f"the drawing, {spec.input_size}×{spec.input_size}, as the network gets it"
        self.columns = [OverviewColumn(self.scene, plan, described.get(plan.name, plan.name))
                        for plan in plan_columns(spec, signed_layers(spec))]
        self.columns[-1].set_classes(spec.classes)
        self._point(None)
        self._relayout()
        if self.prediction is not None:
            self.show_prediction(self.prediction)

    def show_prediction(self, message: Prediction) -> None:
        self.prediction = message
        self._pending = message
        self._redraw.request()

    def set_filters(self, message: Filters) -> None:
        self.filters = message
        if self.detail is not None:
            self.detail.set_filters(message)

    # --- what a test or another view may ask ---

    def layer_names(self) -> list[str]:
        return [column.plan.name for column in self.columns]

    def column(self, name: str) -> OverviewColumn:
        for column in self.columns:
            if column.plan.name == name:
                return column
        raise KeyError(f"no layer named {name!r} in the overview {self.layer_names()}")

    grid = column  # the name the feature-map list had: tests and benchmarks read grid(name).image_item

    def column_rect(self, name: str) -> QRectF:
        """A column's cells and title, in view (viewport) coordinates."""
        column = self.column(name)
        box = column.box
        area = QRectF(box.x, box.y, box.width, box.height).united(column.title.sceneBoundingRect())
        return self.view.mapFromScene(area).boundingRect().toRectF()

    # --- drawing ---

    def _relayout(self) -> None:
        if not self.columns:
            return
        viewport = self.view.viewport().size()
        line = title_font_line()
        top = 2 * line + 4  # two title lines: neighbours' titles alternate, so narrow columns keep theirs
        height = max(viewport.height() - top - 4, 40)
        plans = [column.plan for column in self.columns]
        boxes, width = layout_columns(plans, viewport.width(), height, top)
        if width > viewport.width() and self.view.horizontalScrollBar().isHidden():
            # The scroll bar about to appear takes height from the maps: lay out for what is left.
            height -= self.view.horizontalScrollBar().sizeHint().height()
            boxes, width = layout_columns(plans, viewport.width(), height, top)
        scene_width = max(width, viewport.width())
        for index, (column, box) in enumerate(zip(self.columns, boxes)):
            column.place(box, index % 2, line, scene_width)
            if column.values is not None:
                column.show(column.values, column._probabilities)
        self.scene.setSceneRect(QRectF(0, 0, scene_width, top + height + 2))
        self._point(None)

    def _draw(self) -> None:
        message, self._pending = self._pending, None
        if message is None or self.spec is None:
            return
        if not self.isVisible():
            self._pending = message  # behind another tab: drawn when shown, not now
            return
        if message.classes != tuple(self.spec.classes) or not self._fits(message):
            return  # from the model before a mode or project switch, or before another design was loaded
        for column in self.columns:
            name = column.plan.name
            if message.image is None:
                column.show(None)
            elif name == "input":
                column.show(message.image)
            elif name == "out":
                column.show(message.activations.get("out"), message.probabilities)
            else:
                column.show(message.activations.get(name))
        if self.hovered is not None:
            self._point(self._pointer)  # the same unit, with its new value
        if self.detail is not None and self.detail.isVisible():
            self.detail.set_prediction(message)

    def _fits(self, message: Prediction) -> bool:
        """Whether every layer's activation has the shape this spec gives it."""
        if message.image is None:
            return True
        for column in self.columns[1:]:
            plan, values = column.plan, message.activations.get(column.plan.name)
            wanted = (plan.count, plan.size, plan.size) if plan.role == "maps" else (plan.count,)
            if values is None or tuple(values.shape) != wanted:
                return False
        return True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._pending is not None:
            self._redraw.request()

    # --- pointing and clicking ---

    def _hit(self, point: QPointF | None) -> tuple[int, tuple[int, int, int]] | None:
        if point is None:
            return None
        for position, column in enumerate(self.columns):
            if column.box is not None and column.values is not None:
                hit = column.box.hit(point.x(), point.y())
                if hit is not None:
                    return position, hit
        return None

    def unit_at(self, position: int, index: int, row: int, col: int) -> UnitInfo | None:
        """What the unit shown at (map ``index``, ``row``, ``col``) of column ``position`` is."""
        column = self.columns[position]
        plan = column.plan
        if plan.role == "input" or self.spec is None or column.values is None:
            return None
        if plan.role in ("flat", "output"):
            # describe_unit reads a vector as laid out 16 to a row (core/inspection/receptive_fields).
            row, col = divmod(index, 16) if plan.count > 16 else (0, index)
            index = 0
        return describe_unit(self.spec, plan.name, column.values, index, row, col)

    def _point(self, point: QPointF | None) -> None:
        self._pointer = point
        found = self._hit(point)
        unit = None
        if found is not None:
            position, (index, row, col) = found
            column = self.columns[position]
            unit = self.unit_at(position, index, row, col)
            if column.plan.role == "input":
                text = f"the drawing, row {row}, column {col}: {float(column.values[row, col]):.3g}"
            elif unit is None:
                text = ""
            else:
                text = _unit_text(unit)
            self.hovered = (column.plan.name, index, row, col)
            self._show_links(position, index, row, col, unit)
        else:
            text = ""
            self.hovered = None
            self._show_links(None, 0, 0, 0, None)
        if text != self.hover_text:
            self.hover_text = text
            if text and point is not None:
                QToolTip.showText(self.view.mapToGlobal(self.view.mapFromScene(point)), text, self.view)
            else:
                QToolTip.hideText()
        key = (self.hovered, unit.box if unit is not None else None)
        if key != self._last_emitted:  # the overlays repaint the canvas: only when the unit changes
            self._last_emitted = key
            self.unit_hovered.emit(unit)

    def _show_links(self, position: int | None, index: int, row: int, col: int, unit: UnitInfo | None) -> None:
        """Outline the pointed unit; with Connections on, lines to what it reads in the column before."""
        regions, links = QPainterPath(), QPainterPath()
        if position is not None:
            box = self.columns[position].box
            here = _rect(box, index, row, col)
            regions.addRect(here)
            if self.connections.isChecked() and position > 0:
                before = self.columns[position - 1]
                for cell, top, left, bottom, right in reads_from(box.plan, before.plan, index, row, col,
                                                                  unit.box if unit is not None else None):
                    target = _region(before.box, cell, top, left, bottom, right)
                    regions.addRect(target)
                    links.moveTo(here.center())
                    links.lineTo(target.center())
        self.regions.setPath(regions)
        self.links.setPath(links)

    def _click(self, point: QPointF) -> None:
        found = self._hit(point)
        if found is None:
            return
        position, (index, row, col) = found
        name = self.columns[position].plan.name
        if self.columns[position].plan.role == "input":
            return
        self.open_detail(name, index, row, col)

    def open_detail(self, layer: str, index: int, row: int, col: int):
        """Show map ``index`` of ``layer`` enlarged, with its kernel and the receptive field of unit
        (row, col) on the drawing; returns the window."""
        from cnn_desktop.gui.inspection.receptive import MapDetail  # the panels do not need it to load

        if self.detail is None:
            self.detail = MapDetail(self.window())
        if self.filters is not None:
            self.detail.set_filters(self.filters)
        self.detail.show_unit(self.spec, layer, index, row, col, self.prediction)
        self.detail.show()
        self.detail.raise_()
        self.map_clicked.emit(layer, index, row, col)
        return self.detail


def title_font_line() -> int:
    from PySide6.QtGui import QFontMetrics

    return QFontMetrics(title_font()).lineSpacing() + 1


def _unit_text(unit: UnitInfo) -> str:
    """The tooltip: what the unit is, its value, and how much of the drawing it sees."""
    top, left, bottom, right = unit.box
    size = f"{bottom - top + 1}×{right - left + 1}"
    return f"{unit.text}\nreceptive field {size} pixels of the drawing"


def _rect(box: ColumnBox, index: int, row: int, col: int) -> QRectF:
    if box.plan.role in ("flat", "output"):
        return QRectF(*box.cell_rect(index))
    return QRectF(*box.unit_rect(index, row, col, row, col))


def _region(box: ColumnBox, cell: int, top: int, left: int, bottom: int, right: int) -> QRectF:
    if box.plan.role in ("flat", "output"):
        return QRectF(*box.cell_rect(cell))
    return QRectF(*box.unit_rect(cell, top, left, bottom, right))
