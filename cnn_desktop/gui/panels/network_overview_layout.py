"""Where every column of the network overview goes: plain arithmetic, no Qt, so it is tested alone.

The overview draws the drawing, then each layer's maps as a column, then the output, side by side
(CNN Explainer's and Harley's picture). Every map tile has the same side whatever its resolution, so a
5x5 pool map is as easy to see as a 28x28 conv map; the side is the largest that fits the whole
network in the width given. A layer with more maps than fit one above the other gets more sub-columns.
Below the smallest readable side the picture is wider than the view and scrolls sideways (the titles
are part of each column, so they scroll with it and never out of view vertically).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cnn_desktop.core.network.geometry import fed_size, layer_geometry
from cnn_desktop.core.network.spec import ModelSpec

MAX_TILE = 56  # a map larger than this is no easier to read in an overview
MIN_TILE = 12  # below this a 28x28 map is mush: scroll sideways instead
TILE_GAP = 2  # display pixels between tiles of one column
COLUMN_GAP = 6  # between columns
MARGIN = 4
FLAT_CELL_WIDTH = 10  # a fully connected layer's strip
MIN_CELL_HEIGHT = 3
MAX_CELL_HEIGHT = 20
BAR_SPACE = 66  # beside the output cells: the class name and its probability bar
INPUT_RANGE = (40, 72)  # the drawing is shown twice a tile's side, within this range
SHOWN_ELSEWHERE = ("flatten", "dropout")  # flatten only reshapes; dropout does nothing once trained
ELEMENTWISE = ("relu", "tanh", "sigmoid", "dropout")
POOLS = ("pool", "avgpool")


@dataclass(frozen=True)
class ColumnPlan:
    """What one column shows, from the spec: ``role`` is "input", "maps", "flat" or "output"."""

    name: str
    kind: str
    role: str
    count: int  # maps, or units of a flat layer
    size: int  # side of a map; 1 for flat layers
    signed: bool  # values may be negative: a diverging colour map centred on 0
    kernel: int = 0
    stride: int = 1
    padding: int = 0


def plan_columns(spec: ModelSpec, signed: set[str]) -> list[ColumnPlan]:
    """The columns for ``spec``, in network order: the input, every layer worth a picture, the output."""
    plans = []
    for geo in layer_geometry(spec):
        if geo.kind in SHOWN_ELSEWHERE:
            continue
        if geo.name == "input":
            role = "input"
        elif geo.name == "out":
            role = "output"
        else:
            role = "flat" if geo.size == 1 and geo.kind in ("fc",) + ELEMENTWISE else "maps"
        # The drawing as the person made it (28x28 even for a 32x32 network, which pads it itself): the
        # receptive fields are boxes on it (core/network/geometry).
        size = fed_size(spec) if role == "input" else geo.size if role == "maps" else 1
        plans.append(ColumnPlan(geo.name, geo.kind, role, geo.channels if role != "input" else 1, size,
                                geo.name in signed, geo.kernel, geo.stride, geo.padding))
    return plans


@dataclass(frozen=True)
class ColumnBox:
    """Where a column sits (display pixels, scene coordinates) and how its cells are arranged.

    Cells are row-major: cell ``i`` is at row ``i // sub_columns``, column ``i % sub_columns``. A cell
    is a whole map (``maps``/``input``) or one unit (``flat``/``output``).
    """

    plan: ColumnPlan
    x: float
    y: float
    sub_columns: int
    rows: int
    cell_width: float
    cell_height: float
    gap: float
    extra_width: float = 0.0  # the output's names and bars, right of its cells

    @property
    def cells_width(self) -> float:
        return self.sub_columns * (self.cell_width + self.gap) - self.gap

    @property
    def width(self) -> float:
        return self.cells_width + self.extra_width

    @property
    def height(self) -> float:
        return self.rows * (self.cell_height + self.gap) - self.gap

    def cell_rect(self, index: int) -> tuple[float, float, float, float]:
        """(x, y, width, height) of cell ``index``."""
        row, column = divmod(index, self.sub_columns)
        return (self.x + column * (self.cell_width + self.gap), self.y + row * (self.cell_height + self.gap),
                self.cell_width, self.cell_height)

    def unit_rect(self, index: int, top: int, left: int, bottom: int, right: int) -> tuple[float, float, float, float]:
        """The display rectangle of map ``index``'s units rows top..bottom, columns left..right (inclusive)."""
        x, y, w, h = self.cell_rect(index)
        scale = w / self.plan.size
        return x + left * scale, y + top * scale, (right - left + 1) * scale, (bottom - top + 1) * scale

    def hit(self, px: float, py: float) -> tuple[int, int, int] | None:
        """(cell index, row, column) at scene point (px, py): the map and its unit, or the flat unit
        (row and column 0); None outside the cells or over a gap."""
        dx, dy = px - self.x, py - self.y
        if dx < 0 or dy < 0 or dx >= self.cells_width or dy >= self.height:
            return None
        column, x_in = divmod(dx, self.cell_width + self.gap)
        row, y_in = divmod(dy, self.cell_height + self.gap)
        index = int(row) * self.sub_columns + int(column)
        if x_in >= self.cell_width or y_in >= self.cell_height or index >= self.plan.count:
            return None
        if self.plan.role in ("flat", "output"):
            return index, 0, 0
        scale = self.cell_width / self.plan.size
        return index, min(int(y_in / scale), self.plan.size - 1), min(int(x_in / scale), self.plan.size - 1)


def tile_gap(tile: float, size: int) -> tuple[int, float]:
    """The gap between maps of side ``size`` shown ``tile`` pixels wide: (map pixels, display pixels).

    The maps of a column are packed into one image with whole map pixels between them, so the gap is a
    whole number of map pixels: as near TILE_GAP on screen as that allows, and at least one."""
    scale = tile / max(size, 1)
    pixels = max(1, round(TILE_GAP / scale))
    return pixels, pixels * scale


def _map_columns(count: int, tile: int, height: float, gap: float = TILE_GAP) -> tuple[int, int]:
    """(sub-columns, rows) for ``count`` tiles of side ``tile`` in ``height`` pixels."""
    rows_fit = max(1, int((height + gap) // (tile + gap)))
    columns = math.ceil(count / rows_fit)
    return columns, math.ceil(count / columns)


def _flat_columns(count: int, height: float) -> tuple[int, int, float]:
    """(sub-columns, rows, cell height) for a strip of ``count`` units (no gaps: they would eat it)."""
    columns = max(1, math.ceil(count * MIN_CELL_HEIGHT / max(height, 1)))
    rows = math.ceil(count / columns)
    return columns, rows, max(min(MAX_CELL_HEIGHT, height / rows), 1.0)


def _input_side(tile: int, height: float) -> float:
    return min(max(2 * tile, INPUT_RANGE[0]), INPUT_RANGE[1], height)


def _strip_height(plans: list[ColumnPlan], tile: int, height: float) -> float:
    """Strips no taller than the tallest column of maps: on a tall screen a 64-unit strip would
    otherwise tower over the maps it comes from."""
    tallest = 0.0
    for plan in plans:
        if plan.role == "maps":
            gap = tile_gap(tile, plan.size)[1]
            tallest = max(tallest, _map_columns(plan.count, tile, height, gap)[1] * (tile + gap))
    return min(height, max(tallest, 10 * MAX_CELL_HEIGHT)) if tallest else height


def _width_at(plans: list[ColumnPlan], tile: int, height: float) -> float:
    strip_height = _strip_height(plans, tile, height)
    total = 2 * MARGIN + COLUMN_GAP * (len(plans) - 1)
    for plan in plans:
        if plan.role == "input":
            total += _input_side(tile, height)
        elif plan.role == "maps":
            gap = tile_gap(tile, plan.size)[1]
            columns, _ = _map_columns(plan.count, tile, height, gap)
            total += columns * (tile + gap) - gap
        else:
            columns, _, _ = _flat_columns(plan.count, strip_height)
            total += columns * FLAT_CELL_WIDTH + (BAR_SPACE if plan.role == "output" else 0)
    return total


def best_tile(plans: list[ColumnPlan], width: float, height: float) -> tuple[int, bool]:
    """The largest tile side at which every column fits ``width``; (MIN_TILE, False) when none does."""
    limit = max(MIN_TILE, min(MAX_TILE, int(height)))
    for tile in range(limit, MIN_TILE - 1, -1):
        if _width_at(plans, tile, height) <= width:
            return tile, True
    return MIN_TILE, False


def layout_columns(plans: list[ColumnPlan], width: float, height: float, top: float = 0.0) -> tuple[list[ColumnBox], float]:
    """The boxes of every column, within ``height`` below ``top``, and the total width
    (more than ``width`` when the network does not fit: the view then scrolls sideways)."""
    tile, _ = best_tile(plans, width, height)
    # Width left over once the maps are as large as the height allows goes to the drawing.
    spare = max(0.0, width - _width_at(plans, tile, height))
    strip_height = _strip_height(plans, tile, height)
    boxes, x = [], float(MARGIN)
    for plan in plans:
        if plan.role == "input":
            side = min(_input_side(tile, height) + spare, max(INPUT_RANGE[1], _input_side(tile, height)), height)
            box = ColumnBox(plan, x, 0, 1, 1, side, side, TILE_GAP)
        elif plan.role == "maps":
            gap = tile_gap(tile, plan.size)[1]
            columns, rows = _map_columns(plan.count, tile, height, gap)
            box = ColumnBox(plan, x, 0, columns, rows, tile, tile, gap)
        else:
            columns, rows, cell = _flat_columns(plan.count, strip_height)
            box = ColumnBox(plan, x, 0, columns, rows, FLAT_CELL_WIDTH, cell, 0,
                            BAR_SPACE if plan.role == "output" else 0.0)
        boxes.append(box)
        x += box.width + COLUMN_GAP
    # Centred on one another, just under the titles: on a tall screen the spare height goes below
    # rather than between the titles and their maps.
    band = max(box.height for box in boxes)
    boxes = [ColumnBox(box.plan, box.x, top + round((band - box.height) / 2), box.sub_columns, box.rows, box.cell_width,
                       box.cell_height, box.gap, box.extra_width) for box in boxes]
    return boxes, x - COLUMN_GAP + MARGIN


def _window(unit: int, kernel: int, stride: int, padding: int, size: int) -> tuple[int, int]:
    start = unit * stride - padding
    return max(start, 0), min(start + kernel - 1, size - 1)


def reads_from(plan: ColumnPlan, previous: ColumnPlan, index: int, row: int, col: int,
               input_box: tuple[int, int, int, int] | None = None) -> list[tuple[int, int, int, int, int]]:
    """What unit (index, row, col) of ``plan``'s column reads in the column before it, as
    (cell index, top, left, bottom, right) regions of that column (flat cells: 0, 0, 0, 0).

    ``input_box`` is the unit's receptive field on the drawing, used when the column before is the
    drawing itself (a 32x32 network pads the drawing, so its own window would be off by the border).
    """
    last = previous.size - 1
    if previous.role == "input":
        if input_box is None:
            return [(0, 0, 0, last, last)]
        return [(0, *input_box)]
    if plan.role in ("flat", "output"):
        if plan.kind in ELEMENTWISE and previous.role == "flat":
            return [(index, 0, 0, 0, 0)]
        # fully connected: every unit (or every map, whole) of the layer before
        return [(i, 0, 0, last, last) for i in range(previous.count)]
    if plan.kind in ELEMENTWISE:
        return [(index, row, col, row, col)]
    top, bottom = _window(row, plan.kernel, plan.stride, plan.padding, previous.size)
    left, right = _window(col, plan.kernel, plan.stride, plan.padding, previous.size)
    if plan.kind in POOLS:
        return [(index, top, left, bottom, right)]
    return [(i, top, left, bottom, right) for i in range(previous.count)]  # conv: every input map
